"""What an acquisition plugin provides: the quantities it needs and a ``select`` over the pool.

A strategy sees arrays aligned with the pool's order (one row per sample), a boolean mask of
which rows are already labeled, the number to pick, and a seeded generator. It returns the
indices it picks, in pick order. It never sees the model: everything it needs is a quantity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Acquisition(Protocol):
    """An acquisition function instance, built by a registered factory from its options."""

    #: names of per-sample quantities (see the ``register_quantities`` hook) this strategy reads
    requires: tuple[str, ...]

    def select(
        self,
        quantities: Mapping[str, np.ndarray],
        labeled: np.ndarray,
        budget: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Return ``budget`` distinct row indices of unlabeled samples, in pick order."""
        ...
