"""Look at a dataset before running on it, and build fixed-size pools of frame runs from it.

``describe`` summarises sizes, class pixel frequencies, group structure and redundancy.
``frame_run_pool`` implements the redundancy protocol: pools of a fixed size made of runs of K
consecutive frames around seeded anchors (K=1: isolated frames). ``restrict_pool`` applies such
a pool file to a run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from alcore.sdk.dataset import Sample
from alcore.sdk.errors import ConfigError, DataError

#: at most this many label files are read for class frequencies
MAX_LABELS = 300


def class_frequencies(
    samples: Sequence[Sample],
    classes: list[str],
    ignore_index: int,
    limit: int = MAX_LABELS,
    seed: int = 0,
) -> dict[str, Any]:
    """Share of labeled pixels per class over (a seeded sample of at most ``limit``) label files."""
    labeled = [s for s in samples if s.label is not None]
    available = len(labeled)
    sampled = available > limit
    if sampled:
        rng = np.random.default_rng(seed)
        picks = sorted(rng.choice(len(labeled), size=limit, replace=False).tolist())
        labeled = [labeled[i] for i in picks]
    counts = np.zeros(max(len(classes), 1), np.int64)
    other = 0
    for s in labeled:
        lab = cv2.imread(str(s.label), cv2.IMREAD_UNCHANGED)
        if lab is None:
            raise DataError(f"unreadable label file {s.label}")
        if lab.ndim == 3:
            lab = lab[..., 0]
        values = lab[lab != ignore_index].astype(np.int64).ravel()
        bins = np.bincount(values, minlength=len(counts))
        counts += bins[: len(counts)]
        other += int(bins[len(counts) :].sum())
    total = int(counts.sum()) + other
    freqs = {name: (float(counts[i]) / total if total else 0.0) for i, name in enumerate(classes)}
    return {
        "labels_read": len(labeled),
        "labels_total": available,
        "sampled": sampled,
        "seed": seed,
        "pixels": total,
        "unknown_values": other,
        "frequencies": freqs,
    }


def group_stats(samples: Sequence[Sample]) -> dict[str, Any]:
    """Number of groups and frames per group (min / median / max); ungrouped samples counted."""
    sizes: dict[str, int] = defaultdict(int)
    ungrouped = 0
    for s in samples:
        if s.group is None:
            ungrouped += 1
        else:
            sizes[s.group] += 1
    values = list(sizes.values())
    return {
        "groups": len(values),
        "ungrouped": ungrouped,
        "frames_min": min(values) if values else 0,
        "frames_median": float(np.median(values)) if values else 0.0,
        "frames_max": max(values) if values else 0,
    }


def describe(dataset: Any, limit: int = MAX_LABELS, seed: int = 0) -> dict[str, Any]:
    """Sizes, class pixel frequencies, group structure and redundancy of a dataset object."""
    pool = list(dataset.pool())
    info = dataset.info
    return {
        "pool": len(pool),
        "val": len(list(dataset.val())),
        "classes": class_frequencies(pool, list(info.classes), info.ignore_index, limit, seed),
        "groups": group_stats(pool),
        "redundancy": measure_redundancy(dataset),
    }


def _runs_by_group(samples: Sequence[Sample]) -> dict[str, list[Sample]]:
    """Samples of each group in frame order; errors when a sample has no group or frame."""
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        if s.group is None or s.frame is None:
            raise DataError(
                f"sample '{s.id}' has no group or frame; frame-run pools need video-like data "
                "whose samples carry both"
            )
        groups[s.group].append(s)
    for members in groups.values():
        members.sort(key=lambda s: s.frame)
    return dict(groups)


def frame_run_pool(samples: Sequence[Sample], frames: int, size: int, seed: int) -> list[str]:
    """``size`` ids made of non-touching runs of ``frames`` consecutive frames around seeded anchors."""
    if frames < 1:
        raise ConfigError(f"--frames must be at least 1, got {frames}")
    if size < 1:
        raise ConfigError(f"--size must be at least 1, got {size}")
    if size > len(samples):
        raise ConfigError(f"--size {size} is larger than the pool ({len(samples)} samples)")
    groups = _runs_by_group(samples)
    names = sorted(groups)
    anchors = [(g, i) for g in names for i in range(len(groups[g])) if len(groups[g]) >= frames]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(anchors))
    taken: dict[str, set[int]] = defaultdict(set)
    out: list[str] = []
    for a in order:
        group, idx = anchors[a]
        members = groups[group]
        start = min(max(idx - (frames - 1) // 2, 0), len(members) - frames)
        span = range(start, start + frames)
        used = taken[group]
        if any(j in used or j - 1 in used or j + 1 in used for j in span):
            continue  # overlaps or touches an earlier run
        used.update(span)
        out.extend(members[j].id for j in span)
        if len(out) >= size:
            return out[:size]
    raise ConfigError(
        f"only {len(out)} samples fit in separate runs of {frames} frames; "
        f"ask for --size {len(out)} or less, or fewer --frames"
    )


def read_pool_file(path: Path | str) -> list[str]:
    """Ids listed one per line in a pool file (blank lines and '#' comments skipped)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"pool file '{path}' does not exist")
    ids = [ln.strip() for ln in path.read_text().splitlines()]
    ids = [i for i in ids if i and not i.startswith("#")]
    if not ids:
        raise ConfigError(f"pool file '{path}' lists no sample ids")
    return ids


def restrict_pool(pool: Sequence[Sample], path: Path | str) -> list[Sample]:
    """The samples of ``pool`` whose ids the pool file lists, in the dataset's order."""
    listed = read_pool_file(path)
    wanted = set(listed)
    if len(wanted) != len(listed):
        seen: set[str] = set()
        twice = next(i for i in listed if i in seen or seen.add(i))
        raise ConfigError(f"pool file '{path}' lists id '{twice}' twice")
    known = {s.id for s in pool}
    unknown = sorted(wanted - known)
    if unknown:
        raise ConfigError(
            f"pool file '{path}' lists {len(unknown)} id(s) not in the dataset's pool, e.g. '{unknown[0]}'"
        )
    return [s for s in pool if s.id in wanted]


def structural_redundancy(samples: list) -> dict[str, Any]:
    """Redundancy from group structure alone: 1 - 1/(mean frames per group), for plain datasets."""
    groups: dict[str, int] = {}
    for s in samples:
        key = s.group if s.group is not None else f"\0{s.id}"
        groups[key] = groups.get(key, 0) + 1
    mean = float(np.mean(list(groups.values()))) if groups else 1.0
    return {
        "samples": len(samples),
        "groups": len(groups),
        "frames_per_group": mean,
        "score": 1.0 - 1.0 / mean,
        "method": "structural",
    }


def measure_redundancy(dataset: Any) -> dict[str, Any]:
    """The dataset's own ``redundancy()`` estimate where it offers one, else the structural one."""
    own = getattr(dataset, "redundancy", None)
    if callable(own):
        out = dict(own())
        out.setdefault("method", "dataset")
        return out
    return structural_redundancy(list(dataset.pool()))
