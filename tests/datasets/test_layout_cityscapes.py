"""The Cityscapes reader on a small tree in the exact Cityscapes layout."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from dsfixtures import noise_image, write_ids, write_rgb

from alcore.plugins import build_registry
from alcore.sdk.errors import ConfigError, DataError
from alcore_datasets.cityscapes import open_cityscapes, parse_name


def _make(root: Path, label_kind: str = "labelTrainIds") -> None:
    files = {
        "train": [("aachen", 0, 19), ("aachen", 0, 20), ("aachen", 3, 19), ("bad_city", 12, 7)],
        "val": [("lindau", 1, 19), ("lindau", 1, 21)],
    }
    for split, names in files.items():
        for city, seq, frame in names:
            stem = f"{city}_{seq:06d}_{frame:06d}"
            write_rgb(
                root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png",
                noise_image(seq * 100 + frame),
            )
            ids = np.full((8, 16), 7 if label_kind == "labelIds" else 0, np.uint8)
            ids[:2] = 23 if label_kind == "labelIds" else 10
            ids[2, 0] = 0 if label_kind == "labelIds" else 255
            write_ids(root / "gtFine" / split / city / f"{stem}_gtFine_{label_kind}.png", ids)


def test_groups_frames_ids(tmp_path: Path) -> None:
    _make(tmp_path)
    ds = open_cityscapes(tmp_path)
    assert [s.id for s in ds.pool()] == [
        "aachen_000000_000019",
        "aachen_000000_000020",
        "aachen_000003_000019",
        "bad_city_000012_000007",
    ]
    assert [s.group for s in ds.pool()] == [
        "aachen_000000",
        "aachen_000000",
        "aachen_000003",
        "bad_city_000012",
    ]
    assert [s.frame for s in ds.pool()] == [19, 20, 19, 7]
    assert {s.group for s in ds.val()} == {"lindau_000001"}
    s = ds.pool()[0]
    assert s.label == tmp_path / "gtFine/train/aachen/aachen_000000_000019_gtFine_labelTrainIds.png"
    assert ds.info.classes[13] == "car" and ds.info.ignore_index == 255


def test_parse_name() -> None:
    assert parse_name("frankfurt_000001_054640") == ("frankfurt", "000001", 54640)
    with pytest.raises(DataError, match="not a Cityscapes file name"):
        parse_name("frankfurt_x")


def test_label_ids_are_converted_once_into_cache(tmp_path: Path) -> None:
    root = tmp_path / "cs"
    _make(root, "labelIds")
    ds = open_cityscapes(root, cache=tmp_path / "cache")
    label = ds.pool()[0].label
    assert label.is_relative_to(tmp_path / "cache")
    ids = cv2.imread(str(label), cv2.IMREAD_UNCHANGED)
    assert ids[0, 0] == 10 and ids[5, 5] == 0 and ids[2, 0] == 255
    before = label.stat().st_mtime_ns
    open_cityscapes(root, cache=tmp_path / "cache")
    assert label.stat().st_mtime_ns == before
    assert not list(root.rglob("*labelTrainIds*"))


def test_missing_label_names_the_file(tmp_path: Path) -> None:
    _make(tmp_path)
    gone = tmp_path / "gtFine/val/lindau/lindau_000001_000021_gtFine_labelTrainIds.png"
    gone.unlink()
    with pytest.raises(DataError, match="missing label .*lindau_000001_000021"):
        open_cityscapes(tmp_path)


def test_not_a_cityscapes_root(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no leftImg8bit"):
        open_cityscapes(tmp_path)


def test_through_registry(tmp_path: Path) -> None:
    _make(tmp_path)
    reg = build_registry()
    ds = reg.get("dataset", "cityscapes").build({"root": str(tmp_path), "validate": "false"})
    assert len(ds.pool()) == 4 and len(ds.val()) == 2
    with pytest.raises(ConfigError, match="needs a root"):
        reg.get("dataset", "cityscapes").build({})
