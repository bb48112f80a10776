"""Convert labels that are not one-channel train ids (colour codes, other id sets) once, into a cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from alcore.sdk.errors import DataError

from .paths import atomic_write_png


def read_label(path: Path, colour: bool) -> np.ndarray:
    """A label PNG as H×W ids or, with ``colour``, H×W×3 RGB; a clear error when unreadable."""
    flag = cv2.IMREAD_COLOR if colour else cv2.IMREAD_UNCHANGED
    arr = cv2.imread(str(path), flag)
    if arr is None:
        raise DataError(f"unreadable label {path}")
    if colour:
        return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    if arr.ndim == 3:
        raise DataError(f"label {path} has {arr.shape[2]} channels; expected one channel of ids")
    return arr


def cached_label(
    src: Path,
    dst: Path,
    convert: Callable[[np.ndarray], np.ndarray],
    colour: bool,
) -> Path:
    """Path of ``src`` converted to train ids at ``dst``, converting when missing or stale."""
    if dst.exists() and dst.stat().st_mtime_ns >= src.stat().st_mtime_ns:
        return dst
    ids = convert(read_label(src, colour))
    atomic_write_png(dst, ids.astype(np.uint8))
    return dst


def colour_key(rgb: np.ndarray) -> np.ndarray:
    """One integer per pixel identifying its RGB colour."""
    rgb = rgb.astype(np.uint32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def colour_mapper(
    table: dict[tuple[int, int, int], int], ignore: int = 255
) -> Callable[[np.ndarray], np.ndarray]:
    """A converter from RGB label images to ids; colours not in ``table`` become ``ignore``."""
    keys = np.array([(r << 16) | (g << 8) | b for r, g, b in table], dtype=np.uint32)
    vals = np.array(list(table.values()), dtype=np.uint8)
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]

    def convert(rgb: np.ndarray) -> np.ndarray:
        """Map every pixel's colour through the table."""
        flat = colour_key(rgb)
        uniq, inverse = np.unique(flat, return_inverse=True)
        pos = np.clip(np.searchsorted(keys, uniq), 0, max(len(keys) - 1, 0))
        found = (keys[pos] == uniq) if len(keys) else np.zeros(len(uniq), bool)
        mapped = np.where(found, vals[pos] if len(keys) else ignore, ignore).astype(np.uint8)
        return mapped[inverse].reshape(flat.shape)

    return convert


def hex_colour(text: str) -> tuple[int, int, int]:
    """``#rrggbb`` as an RGB tuple."""
    text = text.strip().lstrip("#")
    if len(text) != 6:
        raise ValueError(text)
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
