"""Reader for the Cityscapes layout (also the on-disk form of the driving simulator).

``leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png`` with
``gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelTrainIds.png``. Group is
``{city}_{seq}``, frame is ``int(frame)``, id is ``{city}_{seq}_{frame}``.

Where only ``_gtFine_labelIds.png`` exist (cityscapesscripts' ``createTrainIdLabelImgs`` was not
run), the label ids are mapped to train ids once, into the cache directory, and samples point
there; the original files are never touched.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from alcore.sdk.dataset import Sample
from alcore.sdk.errors import DataError

from .base import SampleListDataset
from .classes import cityscapes_info, label_id_lut
from .labelcache import cached_label
from .paths import cache_dir_for
from .validate import validate_dataset

IMAGE_SUFFIX = "_leftImg8bit.png"
TRAIN_IDS = "_gtFine_labelTrainIds.png"
LABEL_IDS = "_gtFine_labelIds.png"
_NAME = re.compile(r"(?P<city>.+)_(?P<seq>\d+)_(?P<frame>\d+)")


def parse_name(stem: str) -> tuple[str, str, int]:
    """``city_000123_000019`` -> (city, "000123", 19); a DataError for other names."""
    m = _NAME.fullmatch(stem)
    if m is None:
        raise DataError(f"not a Cityscapes file name: {stem}{IMAGE_SUFFIX}")
    return m["city"], m["seq"], int(m["frame"])


def _to_train_ids(ids: np.ndarray) -> np.ndarray:
    return label_id_lut()[ids.astype(np.int64).clip(0, 255)]


def scan_split(root: Path, split: str, cache_dir: Path) -> list[Sample]:
    """All samples of one split, sorted by city, sequence and frame."""
    img_root = root / "leftImg8bit" / split
    out: list[Sample] = []
    if not img_root.is_dir():
        return out
    for city_dir in sorted(p for p in img_root.iterdir() if p.is_dir()):
        for image in sorted(city_dir.glob(f"*{IMAGE_SUFFIX}")):
            stem = image.name[: -len(IMAGE_SUFFIX)]
            city, seq, frame = parse_name(stem)
            gt = root / "gtFine" / split / city_dir.name
            label = gt / f"{stem}{TRAIN_IDS}"
            if not label.exists() and (gt / f"{stem}{LABEL_IDS}").exists():
                dst = cache_dir / "trainIds" / split / city_dir.name / f"{stem}{TRAIN_IDS}"
                label = cached_label(gt / f"{stem}{LABEL_IDS}", dst, _to_train_ids, colour=False)
            out.append(Sample(id=stem, image=image, label=label, group=f"{city}_{seq}", frame=frame))
    return out


def open_cityscapes(
    root: str | Path,
    pool_split: str = "train",
    val_split: str = "val",
    cache: str | Path | None = None,
    validate: bool = True,
    layout: str = "cityscapes",
) -> SampleListDataset:
    """A dataset over a Cityscapes-layout root: pool from ``pool_split``, validation from ``val_split``."""
    root = Path(root).expanduser()
    if not (root / "leftImg8bit").is_dir():
        raise DataError(f"{layout}: {root} has no leftImg8bit/ folder (not a Cityscapes layout)")
    cache_dir = Path(cache) if cache else cache_dir_for(layout, root)
    pool = scan_split(root, pool_split, cache_dir)
    val = scan_split(root, val_split, cache_dir)
    info = cityscapes_info(layout=layout, root=str(root))
    validate_dataset(pool, val, info, cache_dir, root / "leftImg8bit" / pool_split, layout, validate)
    return SampleListDataset(info, pool, val, root=root, cache_dir=cache_dir)
