"""What a model plugin provides: train on the labeled set, evaluate, and score the pool in one pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from alcore.dataset import Sample

#: called with (completed, total) as work progresses; the engine turns it into a progress bar
Progress = Callable[[int, int], None]


@runtime_checkable
class Model(Protocol):
    """A segmentation model under active learning. One instance lives for a whole run."""

    def train(
        self,
        labeled: Sequence[Sample],
        unlabeled: Sequence[Sample],
        cycle: int,
        work_dir: Path,
        ssl: Any | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Train for one cycle and return the path of the checkpoint written into ``work_dir``."""
        ...

    def load(self, checkpoint: Path) -> None:
        """Load weights from a checkpoint this plugin wrote (used when a run resumes)."""
        ...

    def evaluate(self, samples: Sequence[Sample], progress: Progress | None = None) -> dict:
        """Return ``{"mIoU": float, "per_class_iou": {class: float}, "aAcc": float}`` in percent."""
        ...

    def compute(
        self,
        samples: Sequence[Sample],
        quantities: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """Run one inference pass over ``samples`` and return each named quantity, one row each."""
        ...
