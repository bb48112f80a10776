"""Estimate how redundant a pool is, from its group structure and from image content.

Video pools are redundant: long runs of consecutive frames from few drives, many images that
are near copies of a neighbour. Both views are reported, and ``score`` (0 diverse .. 1
redundant) averages them, so that pools can be ranked before choosing an acquisition strategy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import cv2
import numpy as np

from alcore.sdk.dataset import Sample

THUMB = (32, 16)
NEAR_DUPLICATE_MAD = 12.0


def run_lengths(samples: Sequence[Sample]) -> list[int]:
    """Lengths of runs of consecutive frames: frames of one group no further apart than its usual step."""
    frames: dict[str, list[int]] = defaultdict(list)
    runs: list[int] = []
    for s in samples:
        if s.group is None or s.frame is None:
            runs.append(1)
        else:
            frames[s.group].append(s.frame)
    for values in frames.values():
        values.sort()
        gaps = np.diff(values)
        if gaps.size == 0:
            runs.append(1)
            continue
        step = max(int(gaps[gaps > 0].min()) if (gaps > 0).any() else 1, 1)
        length = 1
        for gap in gaps:
            if gap <= 2 * step:
                length += 1
            else:
                runs.append(length)
                length = 1
        runs.append(length)
    return runs


def thumbnails(samples: Sequence[Sample], size: tuple[int, int] = THUMB) -> np.ndarray:
    """Downsampled grayscale images (N × H·W, float32) for cheap content comparison."""
    out = np.empty((len(samples), size[0] * size[1]), np.float32)
    for i, s in enumerate(samples):
        img = cv2.imread(str(s.image), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise ValueError(f"unreadable image {s.image}")
        out[i] = cv2.resize(img, size, interpolation=cv2.INTER_AREA).ravel()
    return out


def nearest_mad(thumbs: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Each thumbnail's mean absolute difference to its nearest other thumbnail."""
    n = len(thumbs)
    best = np.full(n, np.inf, np.float32)
    for a in range(0, n, chunk):
        block = thumbs[a : a + chunk]
        for b in range(0, n, chunk):
            d = np.abs(block[:, None, :] - thumbs[None, b : b + chunk, :]).mean(-1)
            if a == b:
                np.fill_diagonal(d, np.inf)
            best[a : a + chunk] = np.minimum(best[a : a + chunk], d.min(1))
    return best


def redundancy(samples: Sequence[Sample], threshold: float = NEAR_DUPLICATE_MAD) -> dict:
    """Group-structure and content redundancy of ``samples`` with a combined ``score`` in [0, 1]."""
    if len(samples) < 2:
        return {"samples": len(samples), "score": 0.0}
    runs = run_lengths(samples)
    groups = {s.group for s in samples if s.group is not None}
    mad = nearest_mad(thumbnails(samples))
    mean_run = float(np.mean(runs))
    near_dup = float((mad < threshold).mean())
    structural = 1.0 - 1.0 / mean_run
    return {
        "samples": len(samples),
        "groups": len(groups),
        "frames_per_group": len(samples) / max(len(groups), 1),
        "mean_run_length": mean_run,
        "near_duplicate_rate": near_dup,
        "median_nearest_mad": float(np.median(mad)),
        "score": (structural + near_dup) / 2,
    }
