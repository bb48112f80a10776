"""Settings shared by tests: the tiny generated driving video and tiny model most end-to-end tests use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: drivesim at its smallest useful size: 4 pool drives of 6 frames, 2 validation drives of 3
TINY_DRIVESIM: dict[str, Any] = {"sequences": 4, "frames": 6, "val_sequences": 2, "val_frames": 3}


def option_args(flag: str, options: Mapping[str, Any]) -> list[str]:
    """``{"k": v}`` as repeated command-line items: ``[flag, "k=v", ...]``."""
    return [a for key, value in options.items() for a in (flag, f"{key}={value}")]
