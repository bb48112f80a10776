"""Reader for CamVid, its colour labels mapped to the 19 Cityscapes train ids.

Layouts: split folders ``train/``, ``train_labels/``, ``val/``, ``val_labels/`` (labels
``<stem>_L.png``, colours in ``class_dict.csv`` with columns ``name,r,g,b``), or the original
``701_StillsRaw_full/`` with ``LabeledApproved_full/`` (colours in ``label_colors.txt`` or
``class_dict.csv``; the built-in 32-class colour table when neither exists). Without a
``val/`` split, the sequences in ``val_groups`` are held out. Group is the sequence prefix
(``0001TP``, ``0006R0``, ``0016E5``, ``Seq05VD``), frame the number after it.

CamVid class -> Cityscapes class (anything not listed, e.g. Void, Animal, OtherMoving,
CartLuggagePram, TrafficCone, Misc_Text, becomes 255, ignore):

=================================================  ==============
Road, LaneMkgsDriv, LaneMkgsNonDriv, RoadShoulder  road
Sidewalk, ParkingBlock                             sidewalk
Building, Archway, Bridge, Tunnel                  building
Wall                                               wall
Fence                                              fence
Column_Pole                                        pole
TrafficLight                                       traffic light
SignSymbol                                         traffic sign
Tree, VegetationMisc                               vegetation
Sky                                                sky
Pedestrian, Child                                  person
Bicyclist                                          rider
Car, SUVPickupTruck                                car
Truck_Bus                                          truck
Train                                              train
MotorcycleScooter                                  motorcycle
=================================================  ==============
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from alcore.sdk.dataset import Sample
from alcore.sdk.errors import DataError

from .base import SampleListDataset
from .classes import IGNORE, TRAIN_ID, cityscapes_info
from .convert import convert_labels
from .labelcache import colour_mapper
from .paths import cache_dir_for
from .validate import validate_dataset

CAMVID_TO_CITYSCAPES: dict[str, str] = {
    "road": "road",
    "lanemkgsdriv": "road",
    "lanemkgsnondriv": "road",
    "roadshoulder": "road",
    "sidewalk": "sidewalk",
    "parkingblock": "sidewalk",
    "building": "building",
    "archway": "building",
    "bridge": "building",
    "tunnel": "building",
    "wall": "wall",
    "fence": "fence",
    "columnpole": "pole",
    "trafficlight": "traffic light",
    "signsymbol": "traffic sign",
    "tree": "vegetation",
    "vegetationmisc": "vegetation",
    "sky": "sky",
    "pedestrian": "person",
    "child": "person",
    "bicyclist": "rider",
    "car": "car",
    "suvpickuptruck": "car",
    "truckbus": "truck",
    "train": "train",
    "motorcyclescooter": "motorcycle",
}

#: the 32 CamVid colours, used when the dataset ships no colour table
CAMVID_COLOURS: dict[str, tuple[int, int, int]] = {
    "Animal": (64, 128, 64),
    "Archway": (192, 0, 128),
    "Bicyclist": (0, 128, 192),
    "Bridge": (0, 128, 64),
    "Building": (128, 0, 0),
    "Car": (64, 0, 128),
    "CartLuggagePram": (64, 0, 192),
    "Child": (192, 128, 64),
    "Column_Pole": (192, 192, 128),
    "Fence": (64, 64, 128),
    "LaneMkgsDriv": (128, 0, 192),
    "LaneMkgsNonDriv": (192, 0, 64),
    "Misc_Text": (128, 128, 64),
    "MotorcycleScooter": (192, 0, 192),
    "OtherMoving": (128, 64, 64),
    "ParkingBlock": (64, 192, 128),
    "Pedestrian": (64, 64, 0),
    "Road": (128, 64, 128),
    "RoadShoulder": (128, 128, 192),
    "Sidewalk": (0, 0, 192),
    "SignSymbol": (192, 128, 128),
    "Sky": (128, 128, 128),
    "SUVPickupTruck": (64, 128, 192),
    "TrafficCone": (0, 0, 64),
    "TrafficLight": (0, 64, 64),
    "Train": (192, 64, 128),
    "Tree": (128, 128, 0),
    "Truck_Bus": (192, 128, 192),
    "Tunnel": (64, 0, 64),
    "VegetationMisc": (192, 192, 0),
    "Void": (0, 0, 0),
    "Wall": (64, 192, 0),
}

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp")
_NAME = re.compile(r"(?P<group>[A-Za-z0-9]+?)_f?(?P<frame>\d+)")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def train_id_of(name: str) -> int:
    """The Cityscapes train id of a CamVid class name, or 255."""
    target = CAMVID_TO_CITYSCAPES.get(_key(name))
    return TRAIN_ID[target] if target else IGNORE


def read_colour_table(root: Path) -> dict[str, tuple[int, int, int]]:
    """Class name -> RGB from ``class_dict.csv`` or ``label_colors.txt``, else the built-in table."""
    csv_path = root / "class_dict.csv"
    if csv_path.exists():
        with csv_path.open(newline="") as fh:
            try:
                return {
                    row["name"].strip(): (int(row["r"]), int(row["g"]), int(row["b"]))
                    for row in csv.DictReader(fh)
                }
            except (KeyError, ValueError, TypeError):
                raise DataError(f"malformed {csv_path}: expected columns name,r,g,b") from None
    txt = root / "label_colors.txt"
    if txt.exists():
        out = {}
        for line in txt.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4:
                try:
                    out[parts[3]] = (int(parts[0]), int(parts[1]), int(parts[2]))
                except ValueError:
                    raise DataError(f"malformed line in {txt}: {line!r}") from None
        return out
    return dict(CAMVID_COLOURS)


def parse_stem(stem: str) -> tuple[str | None, int | None]:
    """``0001TP_006690`` -> ("0001TP", 6690), ``Seq05VD_f00210`` -> ("Seq05VD", 210)."""
    m = _NAME.fullmatch(stem)
    return (m["group"], int(m["frame"])) if m else (None, None)


def _scan(img_dir: Path, label_dir: Path, cache_dir: Path, split: str):
    out = []
    for image in sorted(p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS):
        group, frame = parse_stem(image.stem)
        label = label_dir / f"{image.stem}_L.png"
        if not label.exists() and (label_dir / f"{image.stem}.png").exists():
            label = label_dir / f"{image.stem}.png"
        sample = Sample(id=image.stem, image=image, label=label, group=group, frame=frame)
        out.append((sample, cache_dir / "trainIds" / split / f"{image.stem}.png"))
    return out


def open_camvid(
    root: str | Path,
    val_groups: str = "Seq05VD",
    cache: str | Path | None = None,
    validate: bool = True,
) -> SampleListDataset:
    """A dataset over a CamVid root; labels converted to Cityscapes train ids once."""
    root = Path(root).expanduser()
    cache_dir = Path(cache) if cache else cache_dir_for("camvid", root)
    table = {rgb: train_id_of(name) for name, rgb in read_colour_table(root).items()}
    if (root / "train").is_dir():
        pool = _scan(root / "train", root / "train_labels", cache_dir, "train")
        val = _scan(root / "val", root / "val_labels", cache_dir, "val") if (root / "val").is_dir() else []
    elif (root / "701_StillsRaw_full").is_dir():
        held = {g.strip() for g in val_groups.split(",") if g.strip()}
        everything = _scan(root / "701_StillsRaw_full", root / "LabeledApproved_full", cache_dir, "all")
        pool = [p for p in everything if p[0].group not in held]
        val = [p for p in everything if p[0].group in held]
    else:
        raise DataError(f"camvid: {root} has neither train/ nor 701_StillsRaw_full/")
    convert = colour_mapper(table)
    pool_samples = convert_labels(pool, convert, "camvid")
    val_samples = convert_labels(val, convert, "camvid")
    info = cityscapes_info(layout="camvid", root=str(root))
    validate_dataset(pool_samples, val_samples, info, cache_dir, root, "camvid", validate)
    return SampleListDataset(info, pool_samples, val_samples, root=root, cache_dir=cache_dir)
