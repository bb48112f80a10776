"""Textbook greedy k-center, written for clarity: the definition the fast version must match.

Three rules define the result, and :func:`alcore_acquisition.kcenter.greedy_kcenter` follows
them bit for bit:

* **Distance.** The squared Euclidean distance of two feature rows is computed by
  :func:`squared_distances`: both rows are converted to float64 (exactly), subtracted, squared
  and summed along the row with NumPy's row-wise reduction. The result for a pair depends only
  on the two rows, never on what else is in the batch, so any implementation that calls this
  function on the pairs it needs gets the same numbers as one that calls it on everything.
* **Ties.** Each pick is the unselected, unlabeled row with the largest distance to its nearest
  centre; among equal distances the lowest row index wins.
* **Cold start.** With no labeled row, the first pick is the ``j``-th unlabeled row (in index
  order) with ``j = rng.integers(number_of_unlabeled_rows)``; ``rng=None`` means
  ``numpy.random.default_rng(0)``. Every later pick follows the furthest-first rule.
"""

from __future__ import annotations

import numpy as np


def squared_distances(rows: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Row-wise float64 squared distances ``||rows[i] - centres[i]||²`` (centres may broadcast)."""
    diff = np.subtract(rows, centres, dtype=np.float64)
    np.multiply(diff, diff, out=diff)
    return np.add.reduce(diff, axis=-1)


def cold_start_index(unlabeled: np.ndarray, rng: np.random.Generator | None) -> int:
    """Row index of the first pick when nothing is labeled: a seeded draw among unlabeled rows."""
    rng = np.random.default_rng(0) if rng is None else rng
    candidates = np.flatnonzero(unlabeled)
    return int(candidates[rng.integers(len(candidates))])


def greedy_kcenter_reference(
    features: np.ndarray,
    labeled_mask: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Pick ``k`` rows furthest-first, the labeled rows being the initial centres (O(k·N·D))."""
    x = np.asarray(features)
    labeled = np.asarray(labeled_mask, dtype=bool)
    available = ~labeled
    k = min(int(k), int(available.sum()))

    nearest = np.full(len(x), np.inf)
    for centre in np.flatnonzero(labeled):
        nearest = np.minimum(nearest, squared_distances(x, x[centre]))

    picks: list[int] = []
    while len(picks) < k:
        if not labeled.any() and not picks:
            pick = cold_start_index(available, rng)
        else:
            pick = int(np.argmax(np.where(available, nearest, -np.inf)))
        picks.append(pick)
        available[pick] = False
        nearest = np.minimum(nearest, squared_distances(x, x[pick]))
    return np.asarray(picks, dtype=np.int64)
