"""What an SSL plugin provides: an unsupervised loss the model plugin adds to each training step."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class SSLMethod(Protocol):
    """A semi-supervised method. ``unlabeled_ratio`` unlabeled images are drawn per labeled one.

    The model plugin calls ``loss`` once per training step with its segmentor and a batch of
    unlabeled inputs; the returned dict of losses is added to the supervised ones, and ``stats``
    (e.g. fraction of pixels above threshold) are logged per cycle.
    """

    name: str
    unlabeled_ratio: int

    def loss(self, segmentor: Any, unlabeled: Any, step: int) -> tuple[dict[str, Any], dict[str, float]]:
        ...
