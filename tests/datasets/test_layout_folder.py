"""The generic image/label folder reader, including unlabeled production pools."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dsfixtures import noise_image, write_ids, write_rgb

from alcore.plugins import build_registry
from alcore.sdk.errors import ConfigError, DataError
from alcore_datasets.folder import open_folder


def _make(root: Path, n: int = 6, labeled: int = 6) -> None:
    for i in range(n):
        write_rgb(root / "images" / f"img{i:02d}.png", noise_image(i))
        if i < labeled:
            write_ids(root / "labels" / f"img{i:02d}.png", np.full((8, 16), i % 3, np.uint8))
    (root / "classes.txt").write_text("road\ncar\nsky\n")


def test_groups_csv_and_holdout_by_group(tmp_path: Path) -> None:
    _make(tmp_path)
    rows = "\n".join(f"img{i:02d},drive{i // 2},{i % 2}" for i in range(6))
    (tmp_path / "groups.csv").write_text("id,group,frame\n" + rows + "\n")
    ds = open_folder(tmp_path, val_fraction=0.34)
    assert ds.info.classes == ["road", "car", "sky"]
    pool_groups = {s.group for s in ds.pool()}
    val_groups = {s.group for s in ds.val()}
    assert len(val_groups) == 1 and not pool_groups & val_groups
    assert len(ds.pool()) + len(ds.val()) == 6
    assert all(s.frame in (0, 1) for s in ds.pool())


def test_unlabeled_images_stay_in_pool(tmp_path: Path) -> None:
    _make(tmp_path, n=5, labeled=0)
    (tmp_path / "classes.txt").unlink()
    ds = open_folder(tmp_path, classes="a,b,c,d", ignore_index=0)
    assert len(ds.pool()) == 5 and ds.val() == []
    assert all(s.label is None and s.group is None for s in ds.pool())
    assert ds.info.ignore_index == 0 and len(ds.info.palette) == 4


def test_explicit_val_folder(tmp_path: Path) -> None:
    _make(tmp_path, n=3)
    _make(tmp_path / "val", n=2)
    ds = build_registry().get("dataset", "folder").build({"root": str(tmp_path)})
    assert len(ds.pool()) == 3 and [s.id for s in ds.val()] == ["img00", "img01"]


def test_needs_classes(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / "classes.txt").unlink()
    with pytest.raises(ConfigError, match="classes.txt"):
        open_folder(tmp_path)


def test_bad_groups_csv(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / "groups.csv").write_text("id,group,frame\nimg00,a,x\n")
    with pytest.raises(DataError, match="groups.csv:2"):
        open_folder(tmp_path)
    (tmp_path / "groups.csv").write_text("id,group,frame\nghost,a,1\n")
    with pytest.raises(DataError, match="ghost"):
        open_folder(tmp_path)


def test_class_colours_from_classes_txt_or_the_option(tmp_path: Path) -> None:
    _make(tmp_path, n=3, labeled=0)
    (tmp_path / "classes.txt").write_text("road #804080\ntraffic light 250,170,30\nsky\n")
    ds = open_folder(tmp_path)
    assert ds.info.classes == ["road", "traffic light", "sky"]
    # sky has no colour of its own: it keeps the Cityscapes colour of its position
    assert ds.info.palette == [(128, 64, 128), (250, 170, 30), (70, 70, 70)]
    ds = open_folder(tmp_path, classes="a,b", colours="#ff0000,#00ff00")
    assert ds.info.palette == [(255, 0, 0), (0, 255, 0)]
    with pytest.raises(ConfigError, match="lists 1 #rrggbb colours for 2 classes"):
        open_folder(tmp_path, classes="a,b", colours="#ff0000")
    (tmp_path / "classes.txt").write_text("road #80408\n")
    with pytest.raises(ConfigError, match="classes.txt:road: colour '#80408' is neither"):
        open_folder(tmp_path)
    registry = build_registry()
    params = {p.name for p in registry.get("dataset", "folder").params}
    assert "colours" in params
