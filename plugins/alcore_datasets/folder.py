"""Reader for a generic folder of images and id-label PNGs, the layout of a production pool.

::

    root/images/<stem>.<png|jpg|...>     every image of the pool
    root/labels/<stem>.png               one-channel class ids; may be missing (not yet labeled)
    root/groups.csv                      optional: id,group,frame (id = image stem)
    root/classes.txt                     one class name per line, optionally with its colour
                                         (``road #804080`` or ``road 128,64,128``)
    root/val/images, root/val/labels     optional explicit validation split

Without ``val/``, the last ``val_fraction`` of labeled groups (by a stable hash of the group
name; each image is its own unit when there is no ``groups.csv``) is held out for validation,
whole groups at a time. Class colours come from ``classes.txt`` or the ``colours`` option (the
colours annotators see in CVAT and Label Studio); classes without one get the Cityscapes palette
by position, then generated colours.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import ConfigError, DataError

from .base import SampleListDataset
from .classes import CITYSCAPES_PALETTE
from .paths import cache_dir_for, stable_hash
from .validate import validate_dataset

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def palette_for(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct display colours, starting with the Cityscapes palette."""
    out = list(CITYSCAPES_PALETTE[:n])
    k = 0
    while len(out) < n:
        k += 1
        h = int(stable_hash(k, 6), 16)
        out.append(((h >> 16) & 255, (h >> 8) & 255, h & 255))
    return out


def parse_colour(text: str, where: str) -> tuple[int, int, int]:
    """``#rrggbb`` or ``r,g,b`` as an RGB triple; anything else is an error naming ``where``."""
    text = text.strip()
    try:
        if text.startswith("#") and len(text) == 7:
            return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
        r, g, b = (int(v) for v in text.split(","))
        if all(0 <= v <= 255 for v in (r, g, b)):
            return (r, g, b)
    except ValueError:
        pass
    raise ConfigError(f"{where}: colour {text!r} is neither #rrggbb nor r,g,b with values 0..255")


def _colour_suffix(line: str) -> tuple[str, str | None]:
    """Split ``name [colour]``: the last word is a colour when it looks like one."""
    head, _, last = line.rpartition(" ")
    if head.strip() and (last.startswith("#") or last.count(",") == 2):
        return head.strip(), last
    return line, None


def read_classes(
    root: Path, classes: str | None, colours: str | None = None
) -> tuple[list[str], dict[int, tuple[int, int, int]]]:
    """Class names (the option, comma-separated, or ``classes.txt``) and the colours given for them."""
    given: dict[int, tuple[int, int, int]] = {}
    if classes:
        names = [c.strip() for c in classes.split(",") if c.strip()]
    elif (root / "classes.txt").exists():
        names = []
        path = root / "classes.txt"
        for line in (ln.strip() for ln in path.read_text().splitlines()):
            if not line:
                continue
            name, colour = _colour_suffix(line)
            if colour is not None:
                given[len(names)] = parse_colour(colour, f"{path}:{name}")
            names.append(name)
    else:
        raise ConfigError(f"folder: no classes.txt in {root}", hint="pass classes=name1,name2,...")
    if not names:
        raise ConfigError(f"folder: empty class list for {root}")
    if colours:
        listed = [c for c in colours.split(",") if c.strip()] if "#" in colours else []
        if len(listed) != len(names):
            raise ConfigError(
                f"folder: colours option lists {len(listed)} #rrggbb colours for {len(names)} classes"
            )
        given = {i: parse_colour(c, "folder: colours option") for i, c in enumerate(listed)}
    return names, given


def read_groups(path: Path) -> dict[str, tuple[str, int | None]]:
    """``id -> (group, frame)`` from a ``groups.csv`` with columns id,group,frame."""
    out: dict[str, tuple[str, int | None]] = {}
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"id", "group"} <= set(reader.fieldnames):
            raise DataError(f"{path}: expected columns id,group,frame")
        for line, row in enumerate(reader, start=2):
            frame = (row.get("frame") or "").strip()
            key = (row.get("id") or "").strip()
            if key in out and out[key][0] != (row.get("group") or "").strip():
                raise DataError(f"{path}:{line}: id '{key}' is given a second group "
                                f"('{(row.get('group') or '').strip()}' after '{out[key][0]}')")
            try:
                out[key] = ((row.get("group") or "").strip(), int(frame) if frame else None)
            except ValueError:
                raise DataError(f"{path}:{line}: frame {frame!r} is not an integer") from None
    return out


def scan(images: Path, labels: Path, groups: dict[str, tuple[str, int | None]]) -> list[Sample]:
    """Samples of one images/labels pair of folders; a missing label means unlabeled."""
    if not images.is_dir():
        return []
    out = []
    for image in sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_EXTS):
        label = labels / f"{image.stem}.png"
        group, frame = groups.get(image.stem, (None, None))
        out.append(Sample(image.stem, image, label if label.exists() else None, group, frame))
    stems = {s.id for s in out}
    orphans = sorted(p for p in labels.glob("*.png") if p.stem not in stems) if labels.is_dir() else []
    if orphans:
        raise DataError(f"label {orphans[0]} has no image {images / orphans[0].stem}.*")
    return out


def open_folder(
    root: str | Path,
    classes: str | None = None,
    ignore_index: int = 255,
    colours: str | None = None,
    val_fraction: float = 0.2,
    cache: str | Path | None = None,
    validate: bool = True,
) -> SampleListDataset:
    """A dataset over a generic image/label folder; unlabeled images stay in the pool."""
    root = Path(root).expanduser()
    if not (root / "images").is_dir():
        raise DataError(f"folder: {root} has no images/ folder")
    names, given = read_classes(root, classes, colours)
    groups = read_groups(root / "groups.csv") if (root / "groups.csv").exists() else {}
    pool = scan(root / "images", root / "labels", groups)
    unknown = sorted(set(groups) - {s.id for s in pool})
    if unknown:
        raise DataError(f"folder: {root / 'groups.csv'} names ids without an image: {', '.join(unknown[:5])}")
    if (root / "val" / "images").is_dir():
        val = scan(root / "val" / "images", root / "val" / "labels", {})
    else:
        pool, val = _hold_out(pool, val_fraction)
    info = DatasetInfo(
        classes=names,
        palette=[given.get(i, c) for i, c in enumerate(palette_for(len(names)))],
        ignore_index=ignore_index,
        meta={"layout": "folder", "root": str(root)},
    )
    cache_dir = Path(cache) if cache else cache_dir_for("folder", root)
    validate_dataset(pool, val, info, cache_dir, root / "images", "folder", validate)
    return SampleListDataset(info, pool, val, root=root, cache_dir=cache_dir)


def _hold_out(samples: list[Sample], fraction: float) -> tuple[list[Sample], list[Sample]]:
    unit = {s.id: s.group if s.group is not None else s.id for s in samples}
    labeled_units = sorted({unit[s.id] for s in samples if s.label is not None}, key=lambda u: stable_hash(u))
    if fraction <= 0 or len(labeled_units) < 2:
        return samples, []
    held = set(labeled_units[: max(1, math.floor(fraction * len(labeled_units)))])
    held = {u for u in held if all(s.label is not None for s in samples if unit[s.id] == u)}
    val = [s for s in samples if unit[s.id] in held]
    return [s for s in samples if unit[s.id] not in held], val
