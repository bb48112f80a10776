"""Batch diagnostics with image paths: groups from Cityscapes and A2D2 names, else unknown."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alcore.api import as_samples
from alcore.diagnostics import batch_diagnostics, describe_groups, group_diagnostics, group_from_name
from alcore.summary import summary_table


def test_groups_come_from_cityscapes_and_a2d2_names():
    assert group_from_name("leftImg8bit/train/aachen/aachen_000012_000019_leftImg8bit.png") == (
        "aachen_000012", 19)
    assert group_from_name("x/20181008095521_camera_sideleft_000072478.png") == (
        "20181008_095521/cam_side_left", 72478)
    assert group_from_name("frames/img_0003.png") == (None, None)


def test_four_frames_of_one_sequence_read_as_one_group():
    paths = [f"/data/leftImg8bit/val/bonn/bonn_000004_{f:06d}_leftImg8bit.png" for f in (10, 11, 12, 13)]
    diag = group_diagnostics(as_samples(paths))
    assert diag == {"groups": 1, "max_group_share": 1.0, "neighbour_rate": 1.0}


def test_unknown_groups_say_so():
    samples = as_samples([Path(f"/footage/img{i}.png") for i in range(4)])
    diag = batch_diagnostics(samples, np.eye(4), np.arange(4), np.ones(4, bool), samples)
    assert {k: diag[k] for k in ("groups", "max_group_share", "neighbour_rate")} == dict.fromkeys(
        ("groups", "max_group_share", "neighbour_rate"))
    assert diag["coverage_radius"] == 0.0
    assert describe_groups(diag) == "from unknown groups"
    table = summary_table({"curve": [{"cycle": 1, "labeled": 8, "mIoU": 10.0, "diagnostics": diag}]}, "t")
    assert list(table.columns[3].cells) == ["unknown"]


def test_report_tables_say_unknown():
    from alcore.report.sections import _diag_cell

    unknown = {"groups": None, "max_group_share": None, "neighbour_rate": None, "coverage_radius": 1.5}
    assert [_diag_cell(unknown, k, d) for k, d in (("groups", 0), ("max_group_share", 2))] == [
        "unknown", "unknown"]
    assert _diag_cell(unknown, "coverage_radius", 3) == "1.500"
    assert _diag_cell({"groups": 3}, "groups", 0) == "3"
