"""Class maps and colour masks: reading, colouring, and the checks every imported label must pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from alcore.sdk.errors import DataError
from alcore.sdk.limits import check_pixels

Colour = tuple[int, int, int]


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image, read from its header only."""
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"unreadable image {path}: {exc}") from None


def read_image(path: Path, what: str) -> np.ndarray:
    """Pixels of a label PNG as stored: HxW for one channel (palette indices kept), else HxWx3."""
    try:
        with Image.open(path) as im:
            if im.mode in ("L", "P", "I", "I;16", "1"):
                return np.asarray(im).astype(np.int64)
            return np.asarray(im.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"unreadable {what} {path}: {exc}") from None


def read_colour_mask(source: Path | BinaryIO, where: str) -> np.ndarray:
    """An annotation tool's colour mask as HxWx3 RGB (palette and grey masks are expanded)."""
    try:
        with Image.open(source) as im:
            check_pixels(*im.size, where, "mask", min_side=1)  # from the header, before decoding
            return np.asarray(im.convert("RGB"))
    except Image.DecompressionBombError:
        raise DataError(f"mask {where} is a decompression bomb (over Pillow's pixel limit)") from None
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"unreadable mask {where}: {exc}") from None


def colours_to_classes(rgb: np.ndarray, colours: Mapping[Colour, int], where: str) -> np.ndarray:
    """Class map of a colour mask; a colour missing from ``colours`` is an error naming it."""
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    present = np.unique(packed)
    table = {(r << 16) | (g << 8) | b: v for (r, g, b), v in colours.items()}
    unknown = [int(p) for p in present if int(p) not in table]
    if unknown:
        shown = ", ".join(f"({p >> 16},{(p >> 8) & 255},{p & 255})" for p in unknown[:3])
        raise DataError(
            f"{where}: unknown colour{'s' if len(unknown) > 1 else ''} {shown} (not in the label map)"
        )
    out = np.zeros(packed.shape, dtype=np.uint8)
    for p in present:
        out[packed == p] = table[int(p)]
    return out


def classes_to_colours(
    classmap: np.ndarray, palette: Sequence[Colour], ignore_index: int, ignore_colour: Colour = (0, 0, 0)
) -> np.ndarray:
    """RGB mask of a class map: each class in its palette colour, ignored pixels in ``ignore_colour``."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[:] = ignore_colour
    for i, colour in enumerate(palette):
        lut[i] = colour
    return lut[np.asarray(classmap, dtype=np.uint8)]


def check_label(
    label: np.ndarray, size: tuple[int, int], num_classes: int, ignore_index: int, where: str
) -> None:
    """Fail unless ``label`` is one channel of class ids at the image's (width, height)."""
    if label.ndim != 2:
        raise DataError(f"{where}: label has {label.shape[-1]} channels; expected one channel of class ids")
    height, width = label.shape
    if (width, height) != tuple(size):
        raise DataError(f"{where}: label is {width}x{height} but its image is {size[0]}x{size[1]}")
    values = np.unique(label)
    bad = values[((values >= num_classes) & (values != ignore_index)) | (values < 0)]
    if bad.size:
        raise DataError(
            f"{where}: label values {', '.join(str(int(v)) for v in bad[:5])} are "
            f"outside classes 0..{num_classes - 1} and not the ignore index {ignore_index}"
        )
