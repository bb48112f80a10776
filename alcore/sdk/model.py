"""What a model plugin provides: train on the labeled set, evaluate, and score the pool in one pass.

Required: the four methods of :class:`Model`. Optional (the engine looks for them and does
without): the members of :class:`ModelExtras`. A model without ``predict`` gets no
pre-annotations or report examples; without ``eval_batch_size`` a multi-process scoring pass
splits the pool at single rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from alcore.sdk.dataset import Sample

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


class ModelExtras(Protocol):
    """Optional members of a model; each one the engine uses only where the model has it."""

    #: the checkpoint the weights came from (set by ``train`` and ``load``), or None
    checkpoint: Path | None
    #: batch size of ``compute``; multi-process scoring splits the pool at multiples of it
    eval_batch_size: int
    #: statistics of the last ``train`` call (e.g. SSL pseudo-label rates), stored with the metrics
    last_train_stats: dict | None

    def predict(self, samples: Sequence[Sample]) -> list[np.ndarray]:
        """Class index maps (H×W uint8) for ``samples``: pre-annotations and report examples."""
        ...
