"""Entry point of the built-in semi-supervised learning methods."""

from __future__ import annotations

from typing import Any

from alcore.sdk.hookspecs import hookimpl
from alcore.sdk.params import Param


def _supervised() -> None:
    return None


def _fixmatch(**options: Any) -> Any:
    """Build FixMatch lazily, so listing plugins does not import torch."""
    from alcore_ssl.fixmatch import FixMatch

    return FixMatch(**options)


@hookimpl
def register_ssl_methods(register: Any) -> None:
    register("none", _supervised, help="supervised training on the labeled set only")
    register(
        "fixmatch",
        _fixmatch,
        help="confident weak-view predictions supervise a strong view (colour, blur, CutMix)",
        params=[
            Param("threshold", float, 0.95, "confidence a pixel's pseudo-label must reach",
                  low=0.0, high=1.0),
            Param("weight", float, 1.0, "weight of the unsupervised loss", low=0.0),
            Param("ratio", float, 0.5, "unlabeled images per labeled image in a step (cost grows with it)",
                  low=0.0, high=64),
            Param("ema", bool, True, "pseudo-label with an EMA teacher instead of the student"),
            Param("momentum", float, 0.99, "EMA teacher momentum (ramped up early in a cycle)",
                  low=0.0, high=1.0),
            Param("mix", str, "cutmix", "strong-view mixing: cutmix, cutout or none"),
        ],
    )
