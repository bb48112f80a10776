"""Select from unlabeled footage, export to each tool, answer in its format, import, retrain."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from annotators import (
    CLASSES,
    COLOURS,
    TINY,
    answer_cvat,
    answer_labelstudio,
    answer_png,
    colour_mask,
    make_pool,
    truth_of,
)

from tests.conftest import run_cli


def cli(*args: str, env: dict) -> str:
    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_round_trip_through_every_format_then_retrain(tmp_path: Path) -> None:
    from label_studio_converter import brush

    env = {"ALCORE_DATA": str(tmp_path / "data"), "OMP_NUM_THREADS": "1"}
    make_pool(tmp_path / "pool", tmp_path / "truth")
    truth = tmp_path / "truth"
    run = tmp_path / "run"

    out = cli(
        "select",
        "--dataset",
        "folder",
        "--dataset-opt",
        f"root={tmp_path / 'pool'}",
        "--out",
        str(run),
        "--budget",
        "6",
        "--acq",
        "entropy",
        *TINY,
        env=env,
    )
    assert "cycle 0: 6 samples selected (random)" in out
    batch = json.loads((run / "cycles/000/batch.json").read_text())
    ids = [i["id"] for i in batch["items"]]
    assert len(set(ids)) == 6 and all(i["prediction"] is None for i in batch["items"])

    for fmt in ("manifest", "cvat", "labelstudio"):
        cli("export", str(run), "--format", fmt, "--to", str(tmp_path / f"out-{fmt}"), env=env)
    rows = list(csv.DictReader((tmp_path / "out-manifest/manifest.csv").open()))
    assert [r["id"] for r in rows] == ids and {"image", "group", "frame", "rank"} <= set(rows[0])
    assert Path(rows[0]["image"]).is_file() and rows[0]["group"].startswith("seq")
    bundle = tmp_path / "out-cvat"
    assert (bundle / "ImageSets/Segmentation/default.txt").read_text().split() == ids
    assert sorted(p.stem for p in (bundle / "JPEGImages").iterdir()) == sorted(ids)
    assert "background:128,64,128::" in (bundle / "labelmap.txt").read_text()
    tasks = json.loads((tmp_path / "out-labelstudio/tasks.json").read_text())
    assert [t["data"]["alcore_id"] for t in tasks] == ids
    assert all((tmp_path / t["data"]["image"].split("?d=")[1]).is_file() for t in tasks)

    labels = {i: truth_of(truth, i) for i in ids}
    answer_png(tmp_path / "ret-png", {i: labels[i] for i in ids[:2]})
    answer_cvat(tmp_path / "ret-cvat.zip", {i: colour_mask(labels[i]) for i in ids[2:4]})
    answer_labelstudio(tmp_path / "ret-ls.json", tasks, {i: labels[i] for i in ids[4:]})
    cli("import", str(run), "--format", "png", str(tmp_path / "ret-png"), env=env)
    cli("import", str(run), "--format", "cvat", str(tmp_path / "ret-cvat.zip"), env=env)
    out = cli("import", str(run), "--format", "labelstudio", str(tmp_path / "ret-ls.json"), env=env)
    assert "(imported); 6 labeled in all" in out

    state = json.loads((run / "state.json").read_text())
    sources = {r["id"]: r["source"] for r in state["labeled"]}
    assert set(sources) == set(ids)
    assert sources[ids[0]] == f"import:png:{tmp_path / 'ret-png'}"
    assert sources[ids[2]] == f"import:cvat:{tmp_path / 'ret-cvat.zip'}"
    assert sources[ids[4]] == f"import:labelstudio:{tmp_path / 'ret-ls.json'}"
    assert {(r["cycle"], r["strategy"]) for r in state["labeled"]} == {(1, "random")}
    for i in ids:
        assert np.array_equal(cv2.imread(str(run / "labels" / f"{i}.png"), cv2.IMREAD_UNCHANGED), labels[i])
    status = json.loads(cli("status", str(run), "--json", env=env))
    assert [e["status"] for e in status["exports"]] == ["imported"] * 3 and status["pending"] == 0

    out = cli("select", "--out", str(run), "--budget", "4", env=env)
    assert "cycle 1: 4 samples selected (entropy)" in out
    record = json.loads((run / "cycles/001/record.json").read_text())
    assert sorted(record["trained_on"]) == sorted(ids)
    ckpt = torch.load(run / "cycles/001/checkpoint.pth", weights_only=True)
    assert ckpt["meta"]["n_labeled"] == 6
    nxt = json.loads((run / "cycles/001/batch.json").read_text())["items"]
    assert len(nxt) == 4 and not {i["id"] for i in nxt} & set(ids)
    assert all("entropy" in i["scores"] and i["prediction"] for i in nxt)
    preds = {i["name"]: cv2.imread(str(run / i["prediction"]), cv2.IMREAD_UNCHANGED) for i in nxt}

    # pre-annotations, decoded with Label Studio's own converter, are the model's predictions
    cli("export", str(run), "--format", "labelstudio", "--to", str(tmp_path / "ls2"), env=env)
    for task in json.loads((tmp_path / "ls2/tasks.json").read_text()):
        (prediction,) = task["predictions"]
        painted = np.full(preds[task["data"]["alcore_id"]].shape, 255, np.uint8)
        for r in prediction["result"]:
            h, w = r["original_height"], r["original_width"]
            alpha = brush.decode_rle(r["value"]["rle"]).reshape(h, w, 4)[:, :, 3]
            painted[alpha == 255] = CLASSES.index(r["value"]["brushlabels"][0])
        assert np.array_equal(painted, preds[task["data"]["alcore_id"]])

    # CVAT pre-annotations are colour masks in the label map's colours; accepting them unchanged
    # and exporting from CVAT gives back the same layout, which imports as the predictions
    cli("export", str(run), "--format", "cvat", "--to", str(tmp_path / "cvat2"), env=env)
    with zipfile.ZipFile(tmp_path / "cvat2/annotations.zip") as zf:
        names = set(zf.namelist())
        assert {"labelmap.txt", "ImageSets/Segmentation/default.txt"} <= names
        for name, pred in preds.items():
            rgb = cv2.imdecode(
                np.frombuffer(zf.read(f"SegmentationClass/{name}.png"), np.uint8), cv2.IMREAD_COLOR
            )[..., ::-1]
            assert np.array_equal(rgb, colour_mask(pred, COLOURS))
    out = cli("import", str(run), "--format", "cvat", str(tmp_path / "cvat2/annotations.zip"), env=env)
    assert "imported 4 labels" in out
    state = json.loads((run / "state.json").read_text())
    assert len(state["labeled"]) == 10 and state["labeled"][-1]["strategy"] == "entropy"
