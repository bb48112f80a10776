"""Checks of the MMSeg model plugin's options that bounds cannot express: run when options are parsed.

Each returns what is wrong with a value, or None; nothing heavy is imported unless a check needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DEVICES = ("auto", "cpu", "cuda")


def existing_file(value: str) -> str | None:
    """What is wrong with a local file (weights, a model config) given as an option, or None."""
    path = Path(value).expanduser()
    if "://" in value:
        return f"'{value}' is not a local file (nothing is downloaded)"
    if not path.exists():
        return f"'{value}' does not exist"
    if not path.is_file():
        return f"'{value}' is not a file"
    return None


def usable_device(value: str) -> str | None:
    """What is wrong with a device option, or None; ``cuda`` must be present (``auto`` falls back)."""
    kind, _, index = value.partition(":")
    if kind not in DEVICES or (index and (kind != "cuda" or not index.isdigit())):
        return f"'{value}' is not one of 'auto', 'cpu', 'cuda' or 'cuda:N'"
    if kind == "cuda":
        import torch

        if not torch.cuda.is_available():
            return f"device={value} but CUDA is not available (use device=auto or device=cpu)"
        if index and int(index) >= torch.cuda.device_count():
            return f"device={value} but this machine has {torch.cuda.device_count()} CUDA device(s)"
    return None


def one_of(*names: str) -> Callable[[str], str | None]:
    """A rule accepting only ``names``."""
    return lambda value: None if value in names else f"must be one of {', '.join(map(repr, names))}"
