"""Format pieces checked against the tools' own code and documented layouts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from annotators import CLASSES, COLOURS, answer_cvat, brush_result, colour_mask, png_bytes

from alcore.annotation import cvat, labelstudio, labelstudio_read, rle
from alcore.annotation.batch import Batch, BatchItem
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


def test_cvat_masks_of_frames_in_sub_folders_are_keyed_by_file_name(tmp_path: Path) -> None:
    label = np.ones((4, 6), np.uint8)
    with zipfile.ZipFile(tmp_path / "e.zip", "w") as zf:
        zf.writestr("labelmap.txt", f"background:0,0,0::\nground:{','.join(map(str, COLOURS[1]))}::\n")
        zf.writestr("SegmentationClass/street/day/f1.png", png_bytes(colour_mask(label)))
    (inc,) = cvat.read(tmp_path / "e.zip", INFO)
    assert inc.key == "f1" and np.array_equal(inc.label, label)


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
    (inc,) = labelstudio_read.read(path, INFO)
    assert inc.key == "ab12cd-f_9"
    assert np.array_equal(inc.label, np.where(sky, 2, 255))
    # two finished annotations: the newest is taken, and the import says which and why
    assert "2 finished annotations; took annotation" in inc.note and "(the newest)" in inc.note
    task["annotations"][1]["result"].append({"type": "polygonlabels", "value": {}})
    path.write_text(json.dumps([task]))
    with pytest.raises(DataError, match="polygonlabels"):
        labelstudio_read.read(path, INFO)


def test_several_annotations_prefer_ground_truth_then_the_newest_update(tmp_path: Path) -> None:
    sky = np.zeros((3, 5), bool)
    sky[0] = True
    older = {"id": 8, "updated_at": "2026-01-02T00:00:00Z", "result": [brush_result(sky, "object", 0)]}
    newer = {"id": 9, "updated_at": "2026-01-03T00:00:00Z", "result": [brush_result(sky, "ground", 0)]}
    task = {"id": 1, "data": {"alcore_id": "s"}, "annotations": [newer, older]}
    path = tmp_path / "e.json"
    path.write_text(json.dumps([task]))
    (inc,) = labelstudio_read.read(path, INFO)
    assert inc.label[0, 0] == 1 and "took annotation 9 (the newest), ignored 8" in inc.note
    older["ground_truth"] = True
    path.write_text(json.dumps([task]))
    (inc,) = labelstudio_read.read(path, INFO)
    assert inc.label[0, 0] == 2 and "took annotation 8 (marked ground truth), ignored 9" in inc.note


def test_skipped_tasks_come_back_without_a_label(tmp_path: Path) -> None:
    task = {
        "id": 1,
        "data": {"alcore_id": "s"},
        "annotations": [{"id": 3, "was_cancelled": True, "result": []}],
    }
    path = tmp_path / "e.json"
    path.write_text(json.dumps([task, {"id": 2, "data": {"alcore_id": "t"}, "annotations": []}]))
    (inc,) = labelstudio_read.read(path, INFO)
    assert inc.key == "s" and inc.label is None


def test_json_min_export_reads_like_the_json_export(tmp_path: Path) -> None:
    sky = np.zeros((3, 5), bool)
    sky[0] = True
    brush = brush_result(sky, "object", 0)
    row = {
        "image": "/data/upload/1/x.png",
        "alcore_id": "s9",
        "id": 4,
        "tag": [{**brush["value"], "original_width": 5, "original_height": 3}],
        "annotator": 1,
        "annotation_id": 12,
        "updated_at": "2026-01-02T00:00:00Z",
    }
    path = tmp_path / "min.json"
    path.write_text(json.dumps([row]))
    (inc,) = labelstudio_read.read(path, INFO)
    assert inc.key == "s9" and np.array_equal(inc.label, np.where(sky, 2, 255))


@pytest.mark.parametrize(
    "name, content, kind",
    [
        ("mask.png", b"\x89PNG\r\n\x1a\n....", "BRUSH_TO_PNG"),
        ("mask.npy", b"\x93NUMPY\x01\x00", "BRUSH_TO_NUMPY"),
        ("export.csv", b"image,id,tag\nx.png,1,[]\n", "CSV"),
        ("export.tsv", b"image\tid\nx.png\t1\n", "TSV"),
        ("export.xml", b"<annotation></annotation>", "VOC"),
        ("coco.json", b'{"images": [], "annotations": [], "categories": []}', "COCO"),
        ("latin1.bin", b"\xff\xfe\xfa\xfb", "binary"),
    ],
)
def test_every_other_label_studio_export_type_is_named(
    tmp_path: Path, name: str, content: bytes, kind: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=kind) as err:
        labelstudio_read.read(path, INFO)
    assert "JSON or JSON_MIN" in str(err.value) and "\n" not in str(err.value)


def test_a_zip_of_brush_pngs_is_named_as_brush_to_png(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "brush.zip", "w") as zf:
        zf.writestr("task-1-annotation-2-by-1-tag-tag-ground-0.png", b"\x89PNG")
    with pytest.raises(DataError, match="BRUSH_TO_PNG"):
        labelstudio_read.read(tmp_path / "brush.zip", INFO)


def test_labelstudio_scores_are_in_0_1_and_lowest_for_the_first_pick(tmp_path: Path) -> None:
    pred = tmp_path / "p.png"
    from PIL import Image

    Image.fromarray(np.ones((3, 5), np.uint8)).save(pred)
    image = tmp_path / "i.png"
    Image.fromarray(np.zeros((3, 5, 3), np.uint8)).save(image)
    items = [
        BatchItem(id=f"s{r}", name=f"s{r}", image=str(image), rank=r, scores={"entropy": 2.9 - r / 10},
                  prediction=str(pred))
        for r in range(5)
    ]  # fmt: skip
    batch = Batch(cycle=2, strategy="entropy", model="f" * 64, created="now", items=items)
    out = tmp_path / "out"
    out.mkdir()
    labelstudio.export(batch, INFO, out, {})
    tasks = json.loads((out / "tasks.json").read_text())
    scores = [t["predictions"][0]["score"] for t in tasks]
    assert all(0 < s < 1 for s in scores) and scores == sorted(scores) and len(set(scores)) == 5
    assert {t["predictions"][0]["model_version"] for t in tasks} == {"f" * 64}
    # image URLs name the export folder: one document root serves every export beside it
    assert tasks[0]["data"]["image"] == "/data/local-files/?d=out/images/s0.png"
    assert tasks[0]["data"]["score_entropy"] == 2.9


def test_cvat_accepts_spare_labels_nobody_used_and_names_a_used_one(tmp_path: Path) -> None:
    label = np.zeros((4, 6), np.uint8)
    label[2:] = 1
    spare = (
        "# label:color_rgb:parts:actions\n"
        + "".join(f"{n}:{c[0]},{c[1]},{c[2]}::\n" for n, c in zip(CLASSES, COLOURS.values()))
        + "tree:10,200,10::\n"
    )
    answer_cvat(tmp_path / "ok.zip", {"f1": colour_mask(label)}, labelmap=spare)
    (inc,) = cvat.read(tmp_path / "ok.zip", INFO)
    assert np.array_equal(inc.label, label)
    rgb = colour_mask(label)
    rgb[0, 0] = (10, 200, 10)
    answer_cvat(tmp_path / "used.zip", {"f1": rgb}, labelmap=spare)
    with pytest.raises(DataError, match="label 'tree' \\(10, 200, 10\\) is used but is not a class"):
        cvat.read(tmp_path / "used.zip", INFO)


def test_cvat_bundle_has_object_masks_beside_class_masks(tmp_path: Path) -> None:
    from PIL import Image

    classmap = np.zeros((4, 6), np.uint8)
    classmap[2:] = 2
    pred, image = tmp_path / "p.png", tmp_path / "i.png"
    Image.fromarray(classmap).save(pred)
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(image)
    batch = Batch(0, "entropy", "m", "now", [BatchItem("f1", "f1", str(image), prediction=str(pred))])
    out = tmp_path / "bundle"
    out.mkdir()
    cvat.export(batch, INFO, out, {})
    with zipfile.ZipFile(out / "annotations.zip") as zf:
        assert {"SegmentationClass/f1.png", "SegmentationObject/f1.png"} <= set(zf.namelist())
    objects = np.asarray(Image.open(out / "SegmentationObject/f1.png").convert("RGB"))
    assert {tuple(objects[0, 0]), tuple(objects[3, 0])} == {cvat.voc_colour(1), cvat.voc_colour(2)}
    assert cvat.voc_colour(1) == (128, 0, 0) and cvat.voc_colour(2) == (0, 128, 0)
