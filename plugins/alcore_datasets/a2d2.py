"""Reader for the A2D2 semantic segmentation release, colour labels mapped to Cityscapes train ids.

Layout (``root`` is ``camera_lidar_semantic/`` or its parent)::

    camera_lidar_semantic/class_list.json          {"#ff0000": "Car 1", ...}
    camera_lidar_semantic/<date_drive>/camera/cam_front_center/<ts>_camera_frontcenter_<frame>.png
    camera_lidar_semantic/<date_drive>/label/cam_front_center/<ts>_label_frontcenter_<frame>.png

Group is ``<date_drive>/<camera folder>``, frame the number at the end of the file name, id the
image's stem. Labels are converted once into the cache as one-channel train-id PNGs (MMSeg reads
labels as ids). Validation holds out whole drives: ``val_drives``, or else the last
``val_fraction`` of drives in name order (none when there is a single drive).

A2D2 class (trailing instance number dropped) -> Cityscapes class; everything else, and any
colour missing from ``class_list.json``, becomes 255 (ignore). A2D2 has no wall, terrain, rider,
bus or train class, so those never appear.

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
from pathlib import Path

from alcore.sdk.dataset import Sample
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

_FRAME = re.compile(r"_(\d+)$")


def train_id_of(name: str) -> int:
    """The Cityscapes train id of an A2D2 class name such as ``Car 1``, or 255."""
    base = re.sub(r"\s+\d+$", "", name.strip()).lower()
    target = A2D2_TO_CITYSCAPES.get(base)
    return TRAIN_ID[target] if target else IGNORE


def read_class_list(path: Path) -> dict[tuple[int, int, int], int]:
    """RGB -> Cityscapes train id from A2D2's ``class_list.json``."""
    try:
        raw = json.loads(path.read_text())
        return {hex_colour(colour): train_id_of(name) for colour, name in raw.items()}
    except (OSError, ValueError, AttributeError) as exc:
        raise DataError(f"a2d2: unreadable class list {path}: {exc}") from None


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


def scan(base: Path, camera: str, cache_dir: Path) -> dict[str, list[tuple[Sample, Path]]]:
    """Samples per drive (with their converted-label destination), in name and frame order."""
    by_drive: dict[str, list[tuple[Sample, Path]]] = {}
    for drive in sorted(p for p in base.iterdir() if (p / "camera").is_dir()):
        for cam in _camera_dirs(drive, camera):
            for image in sorted(cam.glob("*.png")):
                m = _FRAME.search(image.stem)
                label_name = image.name.replace("_camera_", "_label_", 1)
                label = drive / "label" / cam.name / label_name
                sample = Sample(
                    id=image.stem,
                    image=image,
                    label=label,
                    group=f"{drive.name}/{cam.name}",
                    frame=int(m[1]) if m else None,
                )
                dst = cache_dir / "trainIds" / drive.name / cam.name / label_name
                by_drive.setdefault(drive.name, []).append((sample, dst))
    return by_drive


def open_a2d2(
    root: str | Path,
    camera: str = "front_center",
    val_drives: str | None = None,
    val_fraction: float = 0.2,
    cache: str | Path | None = None,
    validate: bool = True,
) -> SampleListDataset:
    """A dataset over an A2D2 root; pool and validation are disjoint sets of drives."""
    base = _base(Path(root).expanduser())
    cache_dir = Path(cache) if cache else cache_dir_for("a2d2", base)
    table = read_class_list(base / "class_list.json")
    by_drive = scan(base, camera, cache_dir)
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
    info = cityscapes_info(layout="a2d2", root=str(base), val_drives=held)
    validate_dataset(pool, val, info, cache_dir, base, "a2d2", validate)
    return SampleListDataset(info, pool, val, root=base, cache_dir=cache_dir)
