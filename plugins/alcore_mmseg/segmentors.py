"""What an MMSeg segmentor is made of, found from its modules rather than from attribute names.

A decode head may be one head or a cascade; its classifier may be a 2-D convolution
(``conv_seg`` of most heads), a 1-D one over sampled points (PointRend's ``fc_seg``) or sit in
a sub-head (K-Net's kernel generator). The classifier is the last layer that maps features to
one channel per class in the last head, found by watching a forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from alcore.sdk.dataset import DatasetInfo

_LAYERS = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Linear)


def is_segmentor(obj: Any) -> bool:
    """Whether ``obj`` looks like an MMSeg segmentor: a module with a decode head and a backbone."""
    return isinstance(obj, torch.nn.Module) and hasattr(obj, "decode_head") and hasattr(obj, "backbone")


def decode_heads(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The decode heads of a segmentor: one, or a cascade's stages in order."""
    head = model.decode_head
    return list(head) if isinstance(head, torch.nn.ModuleList) else [head]


def _out_width(layer: torch.nn.Module) -> int:
    return layer.out_features if isinstance(layer, torch.nn.Linear) else layer.out_channels


def num_classes(model: torch.nn.Module) -> int:
    """Classes a segmentor predicts: its last head's class count, else its widest classifier layer."""
    last = decode_heads(model)[-1]
    count = getattr(last, "num_classes", None)
    if isinstance(count, int) and count > 0:
        return count
    widths = [_out_width(m) for m in last.modules() if isinstance(m, _LAYERS)]
    if not widths:
        raise ValueError("the segmentor's decode head has no layer to predict classes with")
    return widths[-1]


def info_of(model: torch.nn.Module, classes: list[str] | None = None) -> DatasetInfo:
    """Class names of a segmentor: given, from its ``dataset_meta``, or numbered from its head."""
    if classes is None:
        meta = getattr(model, "dataset_meta", None) or {}
        classes = meta.get("classes")
    if classes is None:
        classes = [f"class{i}" for i in range(num_classes(model))]
    return DatasetInfo(list(classes), [(0, 0, 0)] * len(classes))


def pool_features(x: torch.Tensor, layer: torch.nn.Module | None) -> torch.Tensor:
    """Average a classifier's input over pixels or points: one row per image."""
    x = x.float()
    if isinstance(layer, torch.nn.Linear):
        return x.reshape(x.shape[0], -1, x.shape[-1]).mean(dim=1)
    return x.flatten(2).mean(dim=2)


@contextmanager
def watch_classifier(model: torch.nn.Module) -> Iterator[dict[str, Any]]:
    """Record the input of the last classifier layer of the last head to run during the block.

    Yields a dict that holds, after the forward pass, ``layer`` (the module) and ``input``.
    Both stay unset where no layer maps features to classes (Segmenter's mask transformer
    multiplies by class embeddings instead).
    """
    width = num_classes(model)
    seen: dict[str, Any] = {}

    def record(layer: torch.nn.Module) -> Callable[..., None]:
        def hook(mod: torch.nn.Module, inp: tuple) -> None:
            seen["layer"], seen["input"] = layer, inp[0]

        return hook

    layers = [
        m for m in decode_heads(model)[-1].modules() if isinstance(m, _LAYERS) and _out_width(m) == width
    ]
    handles = [m.register_forward_pre_hook(record(m)) for m in layers]
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()
