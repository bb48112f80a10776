"""The CamVid reader on both of its usual layouts."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from dsfixtures import noise_image, write_rgb

from alcore.plugins import build_registry
from alcore_datasets.camvid import open_camvid, parse_stem


def _label() -> np.ndarray:
    lab = np.zeros((8, 16, 3), np.uint8)
    lab[:] = (128, 64, 128)  # Road
    lab[0, :4] = (128, 128, 128)  # Sky
    lab[1, :4] = (64, 0, 128)  # Car
    lab[2, :4] = (0, 128, 192)  # Bicyclist
    lab[3, :4] = (0, 0, 0)  # Void
    lab[4, :4] = (64, 128, 64)  # Animal
    return lab


def test_split_layout_with_class_dict(tmp_path: Path) -> None:
    (tmp_path / "class_dict.csv").write_text(
        "name,r,g,b\nRoad,128,64,128\nSky,128,128,128\nCar,64,0,128\n"
        "Bicyclist,0,128,192\nVoid,0,0,0\nAnimal,64,128,64\n"
    )
    for split, stems in {
        "train": ["0001TP_006690", "0001TP_006720", "0006R0_f01230"],
        "val": ["0016E5_07959"],
    }.items():
        for i, stem in enumerate(stems):
            write_rgb(tmp_path / split / f"{stem}.png", noise_image(i))
            write_rgb(tmp_path / f"{split}_labels" / f"{stem}_L.png", _label())
    ds = open_camvid(tmp_path, cache=tmp_path / "cache")
    assert [s.group for s in ds.pool()] == ["0001TP", "0001TP", "0006R0"]
    assert [s.frame for s in ds.pool()] == [6690, 6720, 1230]
    assert [s.id for s in ds.val()] == ["0016E5_07959"]
    ids = cv2.imread(str(ds.pool()[0].label), cv2.IMREAD_UNCHANGED)
    assert (ids[0, 0], ids[1, 0], ids[2, 0], ids[3, 0], ids[4, 0], ids[7, 7]) == (10, 13, 12, 255, 255, 0)


def test_full_layout_holds_out_sequences(tmp_path: Path) -> None:
    for i, stem in enumerate(["0001TP_006690", "Seq05VD_f00210", "Seq05VD_f00240"]):
        write_rgb(tmp_path / "701_StillsRaw_full" / f"{stem}.png", noise_image(i))
        write_rgb(tmp_path / "LabeledApproved_full" / f"{stem}_L.png", _label())
    ds = build_registry().get("dataset", "camvid").build({"root": str(tmp_path)})
    assert [s.id for s in ds.pool()] == ["0001TP_006690"]
    assert [(s.group, s.frame) for s in ds.val()] == [("Seq05VD", 210), ("Seq05VD", 240)]
    ids = cv2.imread(str(ds.val()[0].label), cv2.IMREAD_UNCHANGED)
    assert ids[1, 0] == 13


def test_parse_stem() -> None:
    assert parse_stem("0016E5_07959") == ("0016E5", 7959)
    assert parse_stem("Seq05VD_f05100") == ("Seq05VD", 5100)
    assert parse_stem("weird") == (None, None)
