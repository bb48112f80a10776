"""Checks third-party strategy authors can run on their own acquisition functions.

    from alcore.sdk.testing import check_strategy
    check_strategy(MyStrategy(), {"entropy": scores})
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from alcore.sdk.errors import AlcoreError


def check_strategy(strategy, quantities: Mapping[str, np.ndarray], budget: int = 5,
                   seed: int = 0, n_labeled: int = 3) -> np.ndarray:
    """Run ``strategy`` on ``quantities`` and raise if it breaks the acquisition contract.

    Checks: exactly ``budget`` picks, distinct, unlabeled, in range; the same picks for the same
    seed; takes everything when the budget exceeds the unlabeled pool. Returns the picks.
    """
    n = len(next(iter(quantities.values())))
    missing = [q for q in strategy.requires if q not in quantities]
    if missing:
        raise AlcoreError(f"strategy requires quantity '{missing[0]}' but it was not given")
    labeled = np.zeros(n, dtype=bool)
    labeled[np.random.default_rng(seed).choice(n, size=min(n_labeled, n - 1), replace=False)] = True

    def pick(b: int, s: int) -> np.ndarray:
        return np.asarray(strategy.select(quantities, labeled.copy(), b, np.random.default_rng(s)))

    first = pick(budget, seed)
    _check(first, labeled, min(budget, int((~labeled).sum())))
    if not np.array_equal(first, pick(budget, seed)):
        raise AlcoreError("strategy is not deterministic under a fixed seed")
    everything = int((~labeled).sum())
    _check(pick(everything, seed), labeled, everything)
    return first


def _check(picked: np.ndarray, labeled: np.ndarray, expected: int) -> None:
    if len(picked) != expected:
        raise AlcoreError(f"strategy returned {len(picked)} picks, expected {expected}")
    if len(np.unique(picked)) != len(picked):
        raise AlcoreError("strategy returned a sample twice")
    if len(picked) and (picked.min() < 0 or picked.max() >= len(labeled)):
        raise AlcoreError("strategy returned an index outside the pool")
    if labeled[picked].any():
        raise AlcoreError("strategy returned an already labeled sample")
