"""How concentrated or spread out a selected batch is: the signature of mode collapse."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from alcore.dataset import Sample


def group_diagnostics(selected: Sequence[Sample]) -> dict:
    """Distinct groups in the batch, the largest share one group takes, and temporal adjacency.

    ``neighbour_rate`` is the fraction of selected samples whose previous or next frame in the
    same group was selected too.
    """
    n = len(selected)
    if n == 0:
        return {"groups": 0, "max_group_share": 0.0, "neighbour_rate": 0.0}
    groups = Counter(s.group if s.group is not None else s.id for s in selected)
    frames = {(s.group, s.frame) for s in selected if s.group is not None and s.frame is not None}
    with_neighbour = 0
    for s in selected:
        if s.group is None or s.frame is None:
            continue
        if (s.group, s.frame - 1) in frames or (s.group, s.frame + 1) in frames:
            with_neighbour += 1
    return {
        "groups": len(groups),
        "max_group_share": max(groups.values()) / n,
        "neighbour_rate": with_neighbour / n,
    }


def mean_pairwise_distance(features: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of rows (0 for fewer than two rows)."""
    x = np.asarray(features, dtype=np.float64)
    n = len(x)
    if n < 2:
        return 0.0
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    return float(np.sqrt(d2)[np.triu_indices(n, 1)].mean())


def coverage_radius(features: np.ndarray, labeled: np.ndarray, chunk: int = 4096) -> float:
    """Largest distance from any pool row to its nearest labeled row (inf with nothing labeled)."""
    x = np.asarray(features, dtype=np.float64)
    centres = x[labeled]
    if len(centres) == 0:
        return float("inf")
    csq = (centres * centres).sum(1)
    worst = 0.0
    for start in range(0, len(x), chunk):
        block = x[start:start + chunk]
        d2 = (block * block).sum(1)[:, None] + csq[None, :] - 2 * block @ centres.T
        worst = max(worst, float(np.sqrt(np.maximum(d2.min(1), 0.0)).max()))
    return worst
