"""A 2-D map of pool embeddings: PCA, then t-SNE on a seeded subsample when scikit-learn is there."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

log = logging.getLogger("alcore.report")

MAX_POINTS = 1500
PCA_DIMS = 30


def subsample(n: int, keep: np.ndarray, limit: int, seed: int = 0) -> np.ndarray:
    """Row indices to plot: every row in ``keep`` plus a seeded random fill up to ``limit`` rows."""
    keep = np.unique(np.asarray(keep, dtype=np.int64))
    if n <= limit:
        return np.arange(n)
    rest = np.setdiff1d(np.arange(n), keep)
    room = max(limit - len(keep), 0)
    fill = np.random.default_rng(seed).choice(rest, size=min(room, len(rest)), replace=False)
    return np.sort(np.concatenate([keep, fill]))


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    """Principal components by SVD of the centred rows (no dependency beyond numpy)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(0)
    dims = max(1, min(dims, x.shape[0], x.shape[1]))
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, :dims] * s[:dims]


def project(x: np.ndarray, seed: int = 0, method: str = "auto") -> tuple[np.ndarray, str]:
    """Rows of ``x`` in 2-D and the method used ('t-SNE' or 'PCA')."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    n = len(x)
    if n == 0:
        return np.zeros((0, 2)), "PCA"
    reduced = pca(x, PCA_DIMS)
    if method in ("auto", "tsne") and n >= 10:
        try:
            from sklearn.manifold import TSNE
            from threadpoolctl import threadpool_limits

            tsne = TSNE(
                n_components=2,
                perplexity=float(min(30, max(2, (n - 1) // 3))),
                init="pca",
                random_state=seed,
                max_iter=500,
            )
            with threadpool_limits(1):
                xy = tsne.fit_transform(reduced.astype(np.float32))
            return xy.astype(np.float64), "t-SNE"
        except ImportError:
            pass
        except Exception as exc:
            log.warning("t-SNE failed (%s); using PCA", exc)
    two = reduced[:, :2]
    if two.shape[1] < 2:
        two = np.hstack([two, np.zeros((n, 2 - two.shape[1]))])
    return two, "PCA"


def map_points(
    ids: Sequence[str],
    embeddings: np.ndarray,
    initial: Sequence[str],
    selections: dict[int, Sequence[str]],
    limit: int = MAX_POINTS,
    seed: int = 0,
    method: str = "auto",
) -> dict:
    """2-D coordinates of a subsample of the pool with each point's role.

    ``cycle`` is -1 for unlabeled, -2 for the initial labeled set, else the cycle that selected it.
    """
    index = {sid: i for i, sid in enumerate(ids)}
    role = np.full(len(ids), -1, dtype=np.int64)
    for sid in initial:
        if sid in index:
            role[index[sid]] = -2
    for cycle, picked in sorted(selections.items()):
        for sid in picked:
            if sid in index:
                role[index[sid]] = int(cycle)
    rows = subsample(len(ids), np.flatnonzero(role != -1), limit, seed)
    xy, used = project(np.asarray(embeddings)[rows], seed, method)
    return {"xy": xy, "cycle": role[rows], "method": used, "shown": len(rows), "total": len(ids)}
