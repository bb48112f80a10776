"""Checks every reader runs on its samples, each failure a one-line ``DataError`` naming the file.

Existence is checked on every call (a ``stat`` per file). Decoding every image and label,
comparing sizes and scanning label values happens once: a stamp file in the dataset's cache
directory, keyed on each file's path, mtime and size, records that the set passed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import DataError
from alcore.sdk.limits import MIN_SIDE, check_image_header

from .paths import atomic_write_bytes
from .progress import track

STAMP_VERSION = "1"


def require_nonempty(samples: Sequence[Sample], what: str, where: Path | str) -> None:
    """Fail when a reader found no images at all."""
    if not samples:
        raise DataError(f"{what}: no images found under {where}")


def _stat_key(path: Path, digest) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataError(f"missing file {path}") from None
    digest.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())


def check_files(samples: Sequence[Sample], require_labels: bool = False) -> str:
    """Fail on duplicate ids, missing images or labels; return a stamp key of all file states."""
    digest = hashlib.sha256(STAMP_VERSION.encode())
    seen: set[str] = set()
    for sample in samples:
        if sample.id in seen:
            raise DataError(f"duplicate sample id '{sample.id}' ({sample.image})")
        seen.add(sample.id)
        if not sample.image.is_file():
            raise DataError(f"missing image {sample.image}")
        _stat_key(sample.image, digest)
        if sample.label is None:
            if require_labels:
                raise DataError(f"missing label for image {sample.image}")
            continue
        if not sample.label.is_file():
            raise DataError(f"missing label {sample.label} (for image {sample.image})")
        _stat_key(sample.label, digest)
    return digest.hexdigest()


def _open(path: Path, what: str) -> Image.Image:
    """Check the header's claimed size against the limits, then decode every pixel."""
    check_image_header(path, what, min_side=MIN_SIDE if what == "image" else 1)
    try:
        im = Image.open(path)
        im.load()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"unreadable {what} {path}: {reason}") from None
    except Image.DecompressionBombError:
        raise DataError(f"{what} {path} is a decompression bomb (over the pixel limit)") from None
    return im


def check_sample(sample: Sample, num_classes: int, ignore_index: int) -> tuple[int, int]:
    """Decode one sample fully and check its label against the image and the class list; its size."""
    image = _open(sample.image, "image")
    if sample.label is None:
        return image.size
    label = _open(sample.label, "label")
    if label.size != image.size:
        raise DataError(
            f"label {sample.label} is {label.size[0]}x{label.size[1]} but its image "
            f"{sample.image} is {image.size[0]}x{image.size[1]}"
        )
    if label.mode not in ("L", "P", "I", "I;16", "I;16B", "1"):
        raise DataError(f"label {sample.label} has mode {label.mode}; expected one channel of class ids")
    values = np.unique(np.asarray(label))
    bad = values[(values >= num_classes) & (values != ignore_index)]
    if bad.size or (values < 0).any():
        shown = ", ".join(str(int(v)) for v in bad[:5])
        raise DataError(
            f"label {sample.label} has values {shown} outside classes 0..{num_classes - 1} "
            f"and not the ignore index {ignore_index}"
        )
    return image.size


def validate_samples(
    samples: Sequence[Sample],
    info: DatasetInfo,
    cache_dir: Path | None,
    *,
    full: bool = True,
    require_labels: bool = False,
) -> dict[tuple[int, int], str]:
    """Validate samples; the full decode runs once per unchanged file set (memoised in ``cache_dir``).

    Returns the first sample and its image size for every distinct image size (empty when
    ``full`` is off): the network batches images of one size, so several sizes are refused.
    """
    key = check_files(samples, require_labels=require_labels)
    if not full:
        return {}
    stamp = None
    if cache_dir is not None:
        stamp = cache_dir / "validated" / f"{key[:32]}-{info.num_classes}-{info.ignore_index}-v2"
        known = _read_stamp(stamp)
        if known is not None:
            return known

    def check(sample: Sample) -> tuple[int, int]:
        return check_sample(sample, info.num_classes, info.ignore_index)

    sizes: dict[tuple[int, int], str] = {}
    workers = min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        for sample, size in zip(samples, track(pool.map(check, samples), "validating images",
                                                 total=len(samples))):
            sizes.setdefault(tuple(size), str(sample.image))
    if stamp is not None:
        lines = "".join(f"{w} {h} {where}\n" for (w, h), where in sizes.items())
        try:
            atomic_write_bytes(stamp, lines.encode())
        except OSError:
            pass
    return sizes


def _read_stamp(stamp: Path) -> dict[tuple[int, int], str] | None:
    """The image sizes a stamp recorded, or None where there is no (readable) stamp."""
    try:
        text = stamp.read_text()
        sizes = {}
        for line in text.splitlines():
            w, h, where = line.split(" ", 2)
            sizes[(int(w), int(h))] = where
        return sizes
    except (OSError, ValueError):
        return None


def check_one_size(sizes: dict[tuple[int, int], str]) -> None:
    """Refuse a dataset whose images come in several sizes, before anything trains on it."""
    if len(sizes) > 1:
        (a, pa), (b, pb) = list(sizes.items())[:2]
        raise DataError(
            f"images differ in size: {pa} is {a[0]}x{a[1]} but {pb} is {b[0]}x{b[1]}",
            hint="resize them to one size; the network scores the pool in batches of one size",
        )


def validate_dataset(
    pool: Sequence[Sample],
    val: Sequence[Sample],
    info: DatasetInfo,
    cache_dir: Path | None,
    where: Path | str,
    what: str,
    full: bool = True,
) -> None:
    """The checks every reader runs: a nonempty pool, then pool and validation samples."""
    require_nonempty(pool, what, where)
    if 0 < info.ignore_index < info.num_classes:  # 0 is the "unlabeled background" convention
        raise DataError(f"{what}: {info.num_classes} classes reach the ignore index {info.ignore_index}, "
                        f"so class {info.ignore_index} could never be learned",
                        hint="set another ignore_index or use fewer classes")
    sizes = validate_samples(pool, info, cache_dir, full=full)
    for size, path in validate_samples(val, info, cache_dir, full=full, require_labels=True).items():
        sizes.setdefault(size, path)
    check_one_size(sizes)
