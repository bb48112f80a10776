"""The A2D2 reader on a small tree in the exact A2D2 layout, with colour-coded labels."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from dsfixtures import noise_image, write_rgb

from alcore.plugins import build_registry
from alcore.sdk.errors import ConfigError
from alcore_datasets.a2d2 import open_a2d2, train_id_of

CLASSES = {
    "#ff0000": "Car 1",
    "#c80000": "Car 2",
    "#cc99ff": "Pedestrian 1",
    "#ff00ff": "RD normal street",
    "#87ceff": "Sky",
    "#b432b4": "Ego car",
    "#00ff00": "Nature object",
}


def _make(root: Path, drives: tuple[str, ...] = ("20180807_145028", "20181016_125231")) -> Path:
    base = root / "camera_lidar_semantic"
    base.mkdir(parents=True)
    (base / "class_list.json").write_text(json.dumps(CLASSES))
    for d, drive in enumerate(drives):
        ts = drive.replace("_", "")
        for frame in (91, 92):
            write_rgb(
                base / drive / "camera/cam_front_center" / f"{ts}_camera_frontcenter_{frame:09d}.png",
                noise_image(d * 10 + frame),
            )
            lab = np.zeros((8, 16, 3), np.uint8)
            lab[:] = (255, 0, 255)
            lab[0, :4] = (255, 0, 0)
            lab[0, 4:8] = (200, 0, 0)
            lab[1, :4] = (204, 153, 255)
            lab[2, :4] = (135, 206, 255)
            lab[3, :4] = (180, 50, 180)
            lab[4, :4] = (1, 2, 3)
            lab[5, :4] = (0, 255, 0)
            write_rgb(
                base / drive / "label/cam_front_center" / f"{ts}_label_frontcenter_{frame:09d}.png", lab
            )
        side = f"{ts}_camera_sideleft_000000091.png"
        write_rgb(base / drive / "camera/cam_side_left" / side, noise_image(5))
        write_rgb(
            base / drive / "label/cam_side_left" / side.replace("_camera_", "_label_"),
            np.zeros((8, 16, 3), np.uint8),
        )
    return base


def test_groups_frames_and_split_by_drive(tmp_path: Path) -> None:
    _make(tmp_path)
    ds = open_a2d2(tmp_path)
    assert [s.id for s in ds.pool()] == [
        "20180807145028_camera_frontcenter_000000091",
        "20180807145028_camera_frontcenter_000000092",
    ]
    assert {s.group for s in ds.pool()} == {"20180807_145028/cam_front_center"}
    assert [s.frame for s in ds.pool()] == [91, 92]
    assert {s.group for s in ds.val()} == {"20181016_125231/cam_front_center"}
    assert ds.info.meta["val_drives"] == ["20181016_125231"]


def test_colour_labels_map_to_train_ids(tmp_path: Path) -> None:
    _make(tmp_path)
    ds = open_a2d2(tmp_path, cache=str(tmp_path / "cache"))
    label = ds.pool()[0].label
    assert label.is_relative_to(tmp_path / "cache") and label.suffix == ".png"
    ids = cv2.imread(str(label), cv2.IMREAD_UNCHANGED)
    assert ids.ndim == 2
    assert ids[7, 7] == 0  # road
    assert ids[0, 0] == 13 and ids[0, 5] == 13  # Car 1 and Car 2
    assert ids[1, 0] == 11  # pedestrian -> person
    assert ids[2, 0] == 10  # sky
    assert ids[3, 0] == 255  # ego car -> ignore
    assert ids[4, 0] == 255  # colour not in class_list.json -> ignore
    assert ids[5, 0] == 8  # nature object -> vegetation


def test_class_name_table() -> None:
    assert train_id_of("Traffic signal 3") == 6
    assert train_id_of("Small vehicles 2") == 17
    assert train_id_of("Blurred area") == 255


def test_cameras_and_explicit_val_drives(tmp_path: Path) -> None:
    _make(tmp_path)
    ds = open_a2d2(
        tmp_path / "camera_lidar_semantic", camera="all", val_drives="20180807_145028", validate=False
    )
    assert "20180807_145028/cam_side_left" in {s.group for s in ds.val()}
    with pytest.raises(ConfigError, match="not found"):
        open_a2d2(tmp_path, val_drives="nope")


def test_missing_label_is_reported(tmp_path: Path) -> None:
    base = _make(tmp_path)
    next(base.rglob("*_label_frontcenter_000000092.png")).unlink()
    from alcore.sdk.errors import DataError

    with pytest.raises(DataError, match="missing label .*label_frontcenter_000000092"):
        open_a2d2(tmp_path, camera="front_center")


def test_through_registry(tmp_path: Path) -> None:
    _make(tmp_path)
    ds = build_registry().get("dataset", "a2d2").build({"root": str(tmp_path)})
    assert len(ds.pool()) == 2 and len(ds.val()) == 2
