"""Public entry points: ``kcenter`` and ``greedy_kcenter``, and the result they return."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from alcore.sdk.errors import DataError
from alcore_acquisition.kcenter.result import KCenterResult
from alcore_acquisition.kcenter.search import Greedy
from alcore_acquisition.kcenter.storage import Rows

log = logging.getLogger(__name__)


def greedy_kcenter(
    features: Any,
    labeled_mask: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator | None = None,
    device: Any = None,
    chunk_rows: int | None = None,
) -> np.ndarray:
    """Return ``k`` row indices picked furthest-first from the labeled centres, in pick order."""
    return kcenter(features, labeled_mask, k, rng=rng, device=device, chunk_rows=chunk_rows).indices


def kcenter(
    features: Any,
    labeled_mask: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator | None = None,
    device: Any = None,
    chunk_rows: int | None = None,
    n_clusters: int | None = None,
    compiled: bool | None = None,
) -> KCenterResult:
    """Run exact greedy k-center; return picks, radii and work counters.

    ``features``: N×D float16/32/64 NumPy array, torch tensor or h5py dataset. ``labeled_mask``:
    N booleans, the initial centres. ``k`` is clamped to the number of unlabeled rows (with a
    warning). ``rng`` only draws the cold-start pick. ``device`` runs the products on a torch
    device; ``chunk_rows`` sets the rows per streamed chunk; ``n_clusters`` the pruning clusters.
    ``compiled`` forces (True) or forbids (False) the compiled kernels; by default they run
    wherever they can (in-memory float32/float64 NumPy features).
    """
    rows = Rows(features, device, chunk_rows)
    labeled = np.asarray(labeled_mask, dtype=bool).reshape(-1)
    if labeled.shape[0] != rows.n:
        raise DataError(f"labeled mask has {labeled.shape[0]} entries but the features have {rows.n} rows")
    k = int(k)
    if k < 0:
        raise DataError(f"budget must be >= 0, got {k}")
    n_unlabeled = int(rows.n - labeled.sum())
    took_all = k >= n_unlabeled
    if k > n_unlabeled:
        log.warning("core-set budget %d exceeds the %d unlabeled rows; taking all of them", k, n_unlabeled)
        k = n_unlabeled
    if k == 0:
        return KCenterResult(np.zeros(0, dtype=np.int64), np.zeros(0), math.nan, took_all)
    if rows.dim == 0:
        raise DataError("features have no columns")
    with rows.compute_settings():
        return Greedy(rows, labeled, rng, n_clusters, compiled).run(k, took_all)
