"""Shared step of the colour-label readers: convert each sample's label once into the cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from alcore.sdk.dataset import Sample

from .labelcache import cached_label
from .progress import track


def convert_labels(
    samples: list[tuple[Sample, Path | None]],
    convert: Callable[[np.ndarray], np.ndarray],
    what: str,
) -> list[Sample]:
    """Samples whose label points at the converted train-id PNG; ``dst`` None keeps the label."""
    todo = [(s, d) for s, d in samples if d is not None and s.label is not None]
    stale = [
        (s, d)
        for s, d in todo
        if not s.label.exists() or not d.exists() or d.stat().st_mtime_ns < s.label.stat().st_mtime_ns
    ]
    for sample, dst in track(stale, f"converting {what} labels"):
        if sample.label.exists():
            cached_label(sample.label, dst, convert, colour=True)
    out = []
    for sample, dst in samples:
        if dst is not None and sample.label is not None and sample.label.exists():
            sample = replace(sample, label=dst)
        out.append(sample)
    return out
