"""The study's A2D2 protocol as released: its pool lists (relative image paths) and its 19 classes."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from dsfixtures import noise_image, write_rgb

from alcore.datatools import restrict_pool
from alcore.sdk.errors import ConfigError
from alcore_datasets.a2d2 import STUDY_CLASSES, open_a2d2

#: real A2D2 colours and names (a subset of its class_list.json)
CLASSES = {
    "#ff00ff": "RD normal street",
    "#ffc125": "Solid line",
    "#8000ff": "Dashed line",
    "#808000": "Curbstone",
    "#9f79ee": "Traffic guide obj.",
    "#ffff00": "Utility vehicle 1",
    "#00ff00": "Small vehicles 1",
    "#48d1cc": "Ego car",
    "#ff0000": "Car 1",
    "#87ceff": "Sky",
}
DRIVES = ("20180807_145028", "20181008_095521", "20180925_112730")
CAMERAS = {"cam_front_center": "frontcenter", "cam_side_left": "sideleft", "cam_rear_center": "rearcenter"}


def _tree(root: Path) -> Path:
    """An A2D2 tree: three drives, three cameras, three frames each, labels in A2D2 colours."""
    base = root / "camera_lidar_semantic"
    base.mkdir(parents=True)
    (base / "class_list.json").write_text(json.dumps(CLASSES))
    colours = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in CLASSES]
    for d, drive in enumerate(DRIVES):
        ts = drive.replace("_", "")
        for cam, short in CAMERAS.items():
            for frame in (100, 101, 102):
                name = f"{ts}_camera_{short}_{frame:09d}.png"
                write_rgb(base / drive / "camera" / cam / name, noise_image(d * 100 + frame, 16, 10))
                lab = np.zeros((10, 16, 3), np.uint8)
                for row, rgb in enumerate(colours):
                    lab[row] = rgb
                write_rgb(base / drive / "label" / cam / name.replace("_camera_", "_label_"), lab)
    return base


def _listed(drive: str, cam: str, frame: int) -> str:
    ts = drive.replace("_", "")
    return f"{drive}/camera/{cam}/{ts}_camera_{CAMERAS[cam]}_{frame:09d}.png"


def test_study_list_as_released(tmp_path):
    base = _tree(tmp_path / "a2d2")
    ds = open_a2d2(base, val_drives="20180925_112730", cache=str(tmp_path / "cache"))
    lines = [
        _listed("20181008_095521", "cam_front_center", 101),
        _listed("20180807_145028", "cam_side_left", 100),  # a camera outside the default pool
        _listed("20180807_145028", "cam_front_center", 102),
        _listed("20181008_095521", "cam_front_center", 101),  # listed twice, counted twice
        _listed("20181008_095521", "cam_rear_center", 102),
    ]
    listing = tmp_path / "lab_images_100.txt"
    listing.write_text("\n".join(lines) + "\n")
    pool = restrict_pool(list(ds.pool()), listing, ds)
    assert len(pool) == len(lines)
    ids = [s.id for s in pool]
    assert ids.count("20181008095521_camera_frontcenter_000000101") == 1
    assert "20181008095521_camera_frontcenter_000000101#2" in ids
    assert {s.group for s in pool} == {
        "20181008_095521/cam_front_center",
        "20180807_145028/cam_side_left",
        "20180807_145028/cam_front_center",
        "20181008_095521/cam_rear_center",
    }
    side = next(s for s in pool if s.group == "20180807_145028/cam_side_left")
    assert side.frame == 100 and side.label.is_file() and side.label.is_relative_to(tmp_path / "cache")
    assert cv2.imread(str(side.label), cv2.IMREAD_UNCHANGED).ndim == 2
    # the validation drive stays out of the pool even when a list names it
    listing.write_text(_listed("20180925_112730", "cam_front_center", 100) + "\n")
    with pytest.raises(ConfigError, match="lab_images_100.txt.*1 entry.*image paths relative"):
        restrict_pool(list(ds.pool()), listing, ds)


def test_plain_ids_and_stems_still_work(tmp_path):
    base = _tree(tmp_path / "a2d2")
    ds = open_a2d2(base, val_drives="20180925_112730", cache=str(tmp_path / "cache"))
    listing = tmp_path / "ids.txt"
    listing.write_text("20180807145028_camera_frontcenter_000000100\n20181008095521_camera_frontcenter_000000102.png\n")
    assert [s.id for s in restrict_pool(list(ds.pool()), listing)] == [
        "20180807145028_camera_frontcenter_000000100",
        "20181008095521_camera_frontcenter_000000102",
    ]


def test_study_label_scheme(tmp_path):
    base = _tree(tmp_path / "a2d2")
    ds = open_a2d2(base, val_drives="20180925_112730", cache=str(tmp_path / "cache"), labels="study")
    names = [c for c, _ in STUDY_CLASSES]
    assert ds.info.classes == names and len(names) == 19 and ds.info.num_classes == 19
    ids = cv2.imread(str(ds.pool()[0].label), cv2.IMREAD_UNCHANGED)
    expected = ["road", "lane marking", "lane marking", "curbstone", "traffic guide object",
                "utility vehicle", "small vehicle", "other", "car", "sky"]
    assert [names[v] for v in ids[:, 0]] == expected
    assert ds.info.palette[names.index("curbstone")] == (128, 128, 0)
    # the Cityscapes projection of the same labels merges what the study keeps apart
    city = open_a2d2(base, val_drives="20180925_112730", cache=str(tmp_path / "cache"))
    city_ids = cv2.imread(str(city.pool()[0].label), cv2.IMREAD_UNCHANGED)[:, 0]
    assert city_ids[0] == city_ids[1] == city_ids[2] == 0  # street and lane markings: road
    assert city_ids[7] == 255  # ego car: ignored
    with pytest.raises(ConfigError, match="labels must be one of cityscapes, study"):
        open_a2d2(base, labels="mine")
