"""Reader for the A2D2 semantic segmentation release, colour labels mapped to Cityscapes train ids.

Layout (``root`` is ``camera_lidar_semantic/`` or its parent)::

    camera_lidar_semantic/class_list.json          {"#ff0000": "Car 1", ...}
    camera_lidar_semantic/<date_drive>/camera/cam_front_center/<ts>_camera_frontcenter_<frame>.png
    camera_lidar_semantic/<date_drive>/label/cam_front_center/<ts>_label_frontcenter_<frame>.png

Group is ``<date_drive>/<camera folder>``, frame the number at the end of the file name, id the
image's stem. Labels are converted once into the cache as one-channel train-id PNGs (MMSeg reads
labels as ids). Validation holds out whole drives: ``val_drives``, or else the last
``val_fraction`` of drives in name order (none when there is a single drive).

Two label schemes (option ``labels``):

``cityscapes`` (default)
    A2D2 class (trailing instance number dropped) -> Cityscapes class (table below); everything
    else, and any colour missing from ``class_list.json``, becomes 255 (ignore). A2D2 has no wall,
    terrain, rider, bus or train class, so those never appear.
``study``
    The 19 classes of the reference study's A2D2 experiments (Mittal et al., GCPR 2023), which
    keep what driving needs and Cityscapes lacks: lane markings, curbstone, traffic guide
    objects, utility and small vehicles, road blocks, and an ``other`` class for the rest
    (ego car, obstacles, animals, blurred areas, ...). See :data:`STUDY_CLASSES`.

=======================================================================  =============
RD normal street, Drivable cobblestone, Slow drive area, Parking area,   road
Zebra crossing, Solid line, Dashed line, Painted driv. instr.,
RD restricted area, Speed bumper
Sidewalk, Curbstone, Non-drivable street                                 sidewalk
Buildings                                                                building
Sidebars, Grid structure                                                 fence
Poles, Signal corpus                                                     pole
Traffic signal                                                           traffic light
Traffic sign, Electronic traffic                                         traffic sign
Nature object                                                            vegetation
Sky                                                                      sky
Pedestrian                                                               person
Car                                                                      car
Truck, Utility vehicle, Tractor                                          truck
Small vehicles                                                           motorcycle
Bicycle                                                                  bicycle
=======================================================================  =============
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import ConfigError, DataError

from .base import SampleListDataset
from .classes import IGNORE, TRAIN_ID, cityscapes_info
from .convert import convert_labels
from .labelcache import colour_mapper, hex_colour
from .paths import cache_dir_for
from .validate import validate_dataset

A2D2_TO_CITYSCAPES: dict[str, str] = {
    "rd normal street": "road",
    "drivable cobblestone": "road",
    "slow drive area": "road",
    "parking area": "road",
    "zebra crossing": "road",
    "solid line": "road",
    "dashed line": "road",
    "painted driv. instr.": "road",
    "rd restricted area": "road",
    "speed bumper": "road",
    "sidewalk": "sidewalk",
    "curbstone": "sidewalk",
    "non-drivable street": "sidewalk",
    "buildings": "building",
    "sidebars": "fence",
    "grid structure": "fence",
    "poles": "pole",
    "signal corpus": "pole",
    "traffic signal": "traffic light",
    "traffic sign": "traffic sign",
    "electronic traffic": "traffic sign",
    "nature object": "vegetation",
    "sky": "sky",
    "pedestrian": "person",
    "car": "car",
    "truck": "truck",
    "utility vehicle": "truck",
    "tractor": "truck",
    "small vehicles": "motorcycle",
    "bicycle": "bicycle",
}

#: the study's 19 A2D2 classes, in its index order, with the A2D2 classes each one merges
STUDY_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "road",
        (
            "rd normal street",
            "drivable cobblestone",
            "slow drive area",
            "zebra crossing",
            "rd restricted area",
            "speed bumper",
        ),
    ),
    ("car", ("car",)),
    ("bicycle", ("bicycle",)),
    ("pedestrian", ("pedestrian",)),
    ("truck", ("truck",)),
    ("traffic signal", ("traffic signal",)),
    ("traffic sign", ("traffic sign",)),
    ("sidewalk", ("sidewalk", "non-drivable street")),
    ("nature", ("nature object",)),
    ("sky", ("sky",)),
    ("building", ("buildings",)),
    ("small vehicle", ("small vehicles",)),
    ("road block", ("road blocks", "grid structure")),
    ("utility vehicle", ("utility vehicle",)),
    ("pole", ("poles", "sidebars", "signal corpus")),
    ("lane marking", ("solid line", "dashed line", "painted driv. instr.")),
    ("traffic guide object", ("traffic guide obj.",)),
    ("curbstone", ("curbstone",)),
    (
        "other",
        (
            "irrelevant signs",
            "obstacles / trash",
            "animals",
            "electronic traffic",
            "parking area",
            "ego car",
            "blurred area",
            "rain dirt",
            "tractor",
        ),
    ),
)
_STUDY_ID = {a2d2: i for i, (_, members) in enumerate(STUDY_CLASSES) for a2d2 in members}
SCHEMES = ("cityscapes", "study")

_FRAME = re.compile(r"_(\d+)$")


def _base_name(name: str) -> str:
    return re.sub(r"\s+\d+$", "", name.strip()).lower()


def train_id_of(name: str) -> int:
    """The Cityscapes train id of an A2D2 class name such as ``Car 1``, or 255."""
    target = A2D2_TO_CITYSCAPES.get(_base_name(name))
    return TRAIN_ID[target] if target else IGNORE


def study_id_of(name: str) -> int:
    """The study's class index of an A2D2 class name such as ``Solid line``, or 255."""
    return _STUDY_ID.get(_base_name(name), IGNORE)


def read_class_list(path: Path, labels: str = "cityscapes") -> dict[tuple[int, int, int], int]:
    """RGB -> class index (Cityscapes train id, or the study's index) from A2D2's ``class_list.json``."""
    index_of = study_id_of if labels == "study" else train_id_of
    try:
        raw = json.loads(path.read_text())
        return {hex_colour(colour): index_of(name) for colour, name in raw.items()}
    except (OSError, ValueError, AttributeError) as exc:
        raise DataError(f"a2d2: unreadable class list {path}: {exc}") from None


def study_info(class_list: Path, **meta: object) -> DatasetInfo:
    """DatasetInfo of the study's 19 classes; each class is drawn in the A2D2 colour of its first member."""
    raw = json.loads(class_list.read_text())
    first: dict[int, tuple[int, int, int]] = {}
    for colour, name in raw.items():
        first.setdefault(study_id_of(name), hex_colour(colour))
    palette = [first.get(i, (0, 0, 0)) for i in range(len(STUDY_CLASSES))]
    return DatasetInfo(
        classes=[c for c, _ in STUDY_CLASSES], palette=palette, ignore_index=IGNORE, meta=dict(meta)
    )


def _base(root: Path) -> Path:
    for cand in (root, root / "camera_lidar_semantic"):
        if (cand / "class_list.json").exists():
            return cand
    raise DataError(f"a2d2: no class_list.json in {root} or {root / 'camera_lidar_semantic'}")


def _camera_dirs(drive: Path, camera: str) -> list[Path]:
    cams = sorted(p for p in (drive / "camera").glob("cam_*") if p.is_dir())
    if camera == "all":
        return cams
    wanted = {f"cam_{c.strip()}" for c in camera.split(",") if c.strip()}
    return [c for c in cams if c.name in wanted]


def sample_of(drive: Path, cam: str, image: Path, cache_dir: Path, labels_dir: str) -> tuple[Sample, Path]:
    """A sample for one A2D2 camera image, and where its converted label goes."""
    m = _FRAME.search(image.stem)
    label_name = image.name.replace("_camera_", "_label_", 1)
    sample = Sample(
        id=image.stem,
        image=image,
        label=drive / "label" / cam / label_name,
        group=f"{drive.name}/{cam}",
        frame=int(m[1]) if m else None,
    )
    return sample, cache_dir / labels_dir / drive.name / cam / label_name


def scan(
    base: Path, camera: str, cache_dir: Path, labels_dir: str = "trainIds"
) -> dict[str, list[tuple[Sample, Path]]]:
    """Samples per drive (with their converted-label destination), in name and frame order."""
    by_drive: dict[str, list[tuple[Sample, Path]]] = {}
    for drive in sorted(p for p in base.iterdir() if (p / "camera").is_dir()):
        for cam in _camera_dirs(drive, camera):
            for image in sorted(cam.glob("*.png")):
                pair = sample_of(drive, cam.name, image, cache_dir, labels_dir)
                by_drive.setdefault(drive.name, []).append(pair)
    return by_drive


def open_a2d2(
    root: str | Path,
    camera: str = "front_center",
    val_drives: str | None = None,
    val_fraction: float = 0.2,
    cache: str | Path | None = None,
    validate: bool = True,
    labels: str = "cityscapes",
) -> A2D2Dataset:
    """A dataset over an A2D2 root; pool and validation are disjoint sets of drives."""
    if labels not in SCHEMES:
        raise ConfigError(f"a2d2: labels must be one of {', '.join(SCHEMES)}, got '{labels}'")
    base = _base(Path(root).expanduser())
    cache_dir = Path(cache) if cache else cache_dir_for("a2d2", base)
    table = read_class_list(base / "class_list.json", labels)
    labels_dir = "trainIds" if labels == "cityscapes" else "study19"
    by_drive = scan(base, camera, cache_dir, labels_dir)
    drives = sorted(by_drive)
    if val_drives:
        held = [d.strip() for d in val_drives.split(",") if d.strip()]
        unknown = [d for d in held if d not in by_drive]
        if unknown:
            raise ConfigError(f"a2d2: val_drives {', '.join(unknown)} not found; drives: {', '.join(drives)}")
    elif len(drives) > 1 and val_fraction > 0:
        held = drives[len(drives) - max(1, math.ceil(val_fraction * len(drives))) :]
    else:
        held = []
    convert = colour_mapper(table)
    pool = convert_labels([p for d in drives if d not in held for p in by_drive[d]], convert, "a2d2")
    val = convert_labels([p for d in held for p in by_drive[d]], convert, "a2d2")
    meta = dict(layout="a2d2", root=str(base), val_drives=held, labels=labels)
    if labels == "study":
        info = study_info(base / "class_list.json", **meta)
    else:
        info = cityscapes_info(**meta)
    validate_dataset(pool, val, info, cache_dir, base, "a2d2", validate)
    dataset = A2D2Dataset(info, pool, val, root=base, cache_dir=cache_dir)
    dataset.convert, dataset.labels_dir, dataset.held = convert, labels_dir, set(held)
    return dataset


class A2D2Dataset(SampleListDataset):
    """An A2D2 dataset that also finds listed images of cameras outside its pool (pool files)."""

    convert: Any = None
    labels_dir: str = "trainIds"
    held: set[str] = set()

    def resolve(self, entries: Sequence[str]) -> list[Sample | None]:
        """Samples for image paths relative to the A2D2 root (any camera), None where none fits."""
        found: list[Sample | None] = []
        for entry in entries:
            image = self.root / entry
            parts = Path(entry).parts
            ok = (
                image.is_file()
                and len(parts) == 4
                and parts[1] == "camera"
                and parts[0] not in self.held
            )
            if not ok:
                found.append(None)
                continue
            pair = sample_of(self.root / parts[0], parts[2], image, self.cache_dir, self.labels_dir)
            found.append(convert_labels([pair], self.convert, "a2d2")[0])
        return found
