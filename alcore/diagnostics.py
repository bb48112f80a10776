"""How concentrated or spread out a selected batch is: the signature of mode collapse."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alcore.sdk.dataset import Sample

EXAMPLES_LIMIT = 8


def frame_neighbours(pool: Sequence[Sample]) -> dict[str, tuple[str | None, str | None]]:
    """Each framed sample's previous and next frame id in its group, in the pool's frame order.

    Pools often hold every k-th video frame, so the temporal neighbour is the adjacent pool frame
    of the same group, not ``frame ± 1``.
    """
    by_group: dict[str, list[Sample]] = defaultdict(list)
    for s in pool:
        if s.group is not None and s.frame is not None:
            by_group[s.group].append(s)
    out: dict[str, tuple[str | None, str | None]] = {}
    for members in by_group.values():
        members.sort(key=lambda s: s.frame)
        ids = [s.id for s in members]
        for i, sid in enumerate(ids):
            out[sid] = (ids[i - 1] if i else None, ids[i + 1] if i + 1 < len(ids) else None)
    return out


def group_diagnostics(selected: Sequence[Sample], pool: Sequence[Sample] | None = None) -> dict:
    """Distinct groups in the batch, the largest share one group takes, and temporal adjacency.

    ``neighbour_rate`` is the fraction of selected samples whose previous or next frame in the
    same group was selected too. With ``pool`` given, "previous/next" means the adjacent frame of
    that group present in the pool (right for pools subsampled from video); without it, frames
    ``f - 1`` and ``f + 1``. Samples without a group count as a group of their own.
    """
    n = len(selected)
    if n == 0:
        return {"groups": 0, "max_group_share": 0.0, "neighbour_rate": 0.0}
    groups = Counter(s.group if s.group is not None else s.id for s in selected)
    if pool is not None:
        adjacent = frame_neighbours(pool)
        chosen = {s.id for s in selected}
        with_neighbour = sum(
            1 for s in selected if any(a in chosen for a in adjacent.get(s.id, ()) if a is not None)
        )
    else:
        frames = {(s.group, s.frame) for s in selected if s.group is not None and s.frame is not None}
        with_neighbour = sum(
            1
            for s in selected
            if s.group is not None
            and s.frame is not None
            and ((s.group, s.frame - 1) in frames or (s.group, s.frame + 1) in frames)
        )
    return {
        "groups": len(groups),
        "max_group_share": max(groups.values()) / n,
        "neighbour_rate": with_neighbour / n,
    }


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d2, 0.0)


def mean_pairwise_distance(features: np.ndarray, chunk: int = 2048) -> float:
    """Mean Euclidean distance over all pairs of rows (0 for fewer than two rows), in row blocks."""
    x = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    n = len(x)
    if n < 2:
        return 0.0
    total = 0.0
    for start in range(0, n, chunk):
        block = x[start : start + chunk]
        d = np.sqrt(_sq_dist(block, x))
        rows = np.arange(start, start + len(block))[:, None]
        total += float(d[rows < np.arange(n)[None, :]].sum())
    return total / (n * (n - 1) / 2)


def _as_rows(block: Any) -> np.ndarray:
    """A block of feature rows as a float64 matrix (one row per sample)."""
    x = np.asarray(block, dtype=np.float64)
    return x.reshape(len(x), -1)


def coverage_radius(features: np.ndarray, labeled: np.ndarray, chunk: int = 4096) -> float:
    """Largest distance from any pool row to its nearest labeled row (inf with nothing labeled).

    The k-center objective core-set minimises: small means every pool sample has a labeled
    sample close by in embedding space. ``features`` may be an HDF5 dataset: it is read in blocks.
    """
    if not hasattr(features, "shape"):
        features = np.asarray(features)
    n = len(features)
    rows = np.flatnonzero(np.asarray(labeled, dtype=bool))
    if len(rows) == 0:
        return float("inf")
    centres = _as_rows(features[rows])
    worst = 0.0
    for start in range(0, n, chunk):
        d2 = _sq_dist(_as_rows(features[start : start + chunk]), centres)
        worst = max(worst, float(np.sqrt(d2.min(1)).max()))
    return worst


def batch_diagnostics(
    chosen: Sequence[Sample],
    embeddings: Any,
    picked: np.ndarray,
    labeled_after: np.ndarray,
    pool: Sequence[Sample] | None = None,
) -> dict:
    """Every per-batch diagnostic: group spread, and with ``embeddings`` their spread and coverage.

    ``embeddings`` is None where no model pass ran (a strategy that needs none); then only the
    group diagnostics are given.
    """
    out = group_diagnostics(chosen, pool)
    if embeddings is not None:
        picked = np.asarray(picked, dtype=np.int64)
        out["mean_pairwise_distance"] = mean_pairwise_distance(_as_rows(embeddings[np.sort(picked)]))
        out["coverage_radius"] = coverage_radius(embeddings, labeled_after)
    return out


def example_entries(
    chosen: Sequence[Sample],
    predictions: Mapping[str, Path | str] | None = None,
    limit: int = EXAMPLES_LIMIT,
) -> list[dict]:
    """The ``examples.json`` rows for a batch: up to ``limit`` samples with their file paths.

    ``prediction`` is a PNG of class indices where the model wrote one, else None.
    """
    predictions = predictions or {}
    rows = []
    for s in list(chosen)[:limit]:
        pred = predictions.get(s.id)
        rows.append(
            {
                "id": s.id,
                "image": str(s.image),
                "label": str(s.label) if s.label is not None else None,
                "prediction": str(pred) if pred is not None else None,
            }
        )
    return rows
