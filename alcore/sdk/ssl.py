"""What an SSL plugin provides: an unsupervised loss the model plugin adds to each training step.

The contract is model-agnostic. The model plugin owns the network, the data loading and the
optimiser; once per training step it draws an unlabeled batch from the pool, hands it to the
method as plain tensors (:class:`UnlabeledBatch`) together with two callables, and adds the
returned losses to its supervised ones::

    losses, stats = method.loss(batch, student, teacher)

``student(images)`` maps raw images (B×3×H×W, float RGB in 0..255) to logits (B×K×H×W) with
gradients; ``teacher(images)`` does the same without gradients, using an exponential moving
average of the student when the method asks for one (``ema_momentum``), else the student itself.
The method never sees a framework object, so one method serves every model plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

#: raw images (B×3×H×W, RGB 0..255) -> logits (B×K×H×W)
Predict = Callable[[Any], Any]


@dataclass
class UnlabeledBatch:
    """One batch of unlabeled images as the model plugin loaded it (after its weak augmentation).

    ``labels`` holds the ground truth where the pool has it (benchmarks). It exists only so that
    a method can report how good its pseudo-labels are; a method must never train on it.
    """

    #: B×3×H×W float tensor, RGB, 0..255
    images: Any
    #: B×H×W bool tensor, False on padding
    valid: Any
    #: B×H×W long tensor with ``ignore_index`` where unknown, or None
    labels: Any | None = None
    ignore_index: int = 255


@runtime_checkable
class SSLMethod(Protocol):
    """A semi-supervised method, built by a factory registered through ``register_ssl_methods``.

    The model plugin reads ``unlabeled_ratio`` (unlabeled images drawn per labeled image of a
    step) and ``ema_momentum`` (None: the teacher is the student; else the momentum of an
    exponential-moving-average teacher). ``loss`` returns a dict of loss tensors whose names
    contain ``loss`` (summed into the training objective) and a dict of per-step statistics
    (plain floats) which the model plugin averages over a cycle and reports.
    """

    name: str
    unlabeled_ratio: float
    ema_momentum: float | None

    def loss(
        self, batch: UnlabeledBatch, student: Predict, teacher: Predict
    ) -> tuple[dict[str, Any], dict[str, float]]:
        """Return ``(losses, stats)`` for one unlabeled batch."""
        ...
