"""Format pieces checked against the tools' own code and documented layouts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from annotators import CLASSES, COLOURS, answer_cvat, brush_result, colour_mask

from alcore.annotation import cvat, labelstudio, rle
from alcore.annotation.layout import file_name
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import ConfigError, DataError

INFO = DatasetInfo(CLASSES, list(COLOURS.values()), 255)


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (32, 64), (300, 421)])
def test_brush_rle_is_byte_identical_to_label_studio_converter(shape: tuple[int, int]) -> None:
    from label_studio_converter import brush

    rng = np.random.default_rng(shape[0])
    mask = rng.random(shape) > 0.9
    mask[: shape[0] // 2, : shape[1] // 2] = True
    ours = rle.encode_mask(mask)
    assert ours == brush.mask2rle((mask * 255).astype(np.uint8))
    assert np.array_equal(brush.decode_rle(ours).reshape(*shape, 4)[:, :, 3], mask * 255)
    assert np.array_equal(rle.decode_mask(brush.mask2rle((mask * 255).astype(np.uint8)), *shape), mask)


def test_rle_decodes_long_runs_and_literal_runs() -> None:
    from label_studio_converter import brush

    values = np.concatenate([np.zeros(70000, np.uint8), np.arange(40, dtype=np.uint8), [9] * 300])
    assert np.array_equal(rle.decode(brush.encode_rle(values)), values)
    assert rle.encode(values) == brush.encode_rle(values)
    with pytest.raises(ValueError):
        rle.decode(rle.encode(values)[:20])


def test_file_names_are_safe_and_distinct() -> None:
    assert file_name("seq0_001") == "seq0_001"
    names = {file_name(i) for i in ("a/b", "a_b", "a:b", ".hidden")}
    assert len(names) == 4 and all("/" not in n and not n.startswith(".") for n in names)


def test_cvat_labelmap_lists_every_class_in_its_colour() -> None:
    text = cvat.labelmap_text(DatasetInfo(["road", "car"], [(128, 64, 128), (0, 0, 142)]))
    assert text.splitlines() == [
        "# label:color_rgb:parts:actions",
        "background:0,0,0::",
        "road:128,64,128::",
        "car:0,0,142::",
    ]
    parsed = cvat.parse_labelmap(text, "labelmap.txt")
    assert parsed == {"background": (0, 0, 0), "road": (128, 64, 128), "car": (0, 0, 142)}
    with pytest.raises(ConfigError, match="share the colour"):
        cvat.labelmap_text(DatasetInfo(["a", "b"], [(1, 1, 1), (1, 1, 1)]))


def test_cvat_export_zip_or_folder_imports_with_black_as_unlabeled(tmp_path: Path) -> None:
    label = np.zeros((4, 6), np.uint8)
    label[2:] = 2
    rgb = colour_mask(label)
    rgb[0, 0] = (0, 0, 0)
    answer_cvat(tmp_path / "x.zip", {"frame_7": rgb})
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        zf.extractall(tmp_path / "unpacked" / "task_3")
    expected = label.copy()
    expected[0, 0] = 255
    for source in (tmp_path / "x.zip", tmp_path / "unpacked"):
        (inc,) = cvat.read(source, INFO)
        assert inc.key == "frame_7" and np.array_equal(inc.label, expected)


def test_labelstudio_config_is_xml_naming_every_class() -> None:
    root = ET.fromstring(labelstudio.labeling_config(INFO))
    brushes = root.find("BrushLabels")
    assert brushes.get("toName") == root.find("Image").get("name")
    assert [lab.get("value") for lab in brushes] == CLASSES
    assert brushes[0].get("background") == "#804080"


def test_labelstudio_import_reads_the_newest_finished_annotation(tmp_path: Path) -> None:
    sky = np.zeros((3, 5), bool)
    sky[0] = True
    task = {
        "id": 4,
        "data": {"image": "/data/upload/1/ab12cd-f_9.png"},
        "annotations": [
            {"was_cancelled": False, "result": [brush_result(~sky, "ground", 0)]},
            {"was_cancelled": False, "result": [brush_result(sky, "object", 1)]},
            {"was_cancelled": True, "result": [brush_result(~sky, "background", 2)]},
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task, {"id": 5, "data": {"image": "x.png"}, "annotations": []}]))
    (inc,) = labelstudio.read(path, INFO)
    assert inc.key == "ab12cd-f_9"
    assert np.array_equal(inc.label, np.where(sky, 2, 255))
    task["annotations"][1]["result"].append({"type": "polygonlabels", "value": {}})
    path.write_text(json.dumps([task]))
    with pytest.raises(DataError, match="polygonlabels"):
        labelstudio.read(path, INFO)
