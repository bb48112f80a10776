"""Imports that must be refused: one line on stderr, a non-zero exit, and the run left untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from annotators import (
    TINY,
    answer_cvat,
    answer_labelstudio,
    answer_png,
    colour_mask,
    make_pool,
    truth_of,
)

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A run with its initial batch of 4 exported as manifest, CVAT and Label Studio."""
    root = tmp_path_factory.mktemp("annotation-errors")
    env = {"ALCORE_DATA": str(root / "data"), "OMP_NUM_THREADS": "1"}
    ids = make_pool(root / "pool", root / "truth")
    run = root / "run"
    steps = [
        (
            "select",
            "--dataset",
            "folder",
            "--dataset-opt",
            f"root={root / 'pool'}",
            "--out",
            str(run),
            "--budget",
            "4",
            *TINY,
        ),
        *[
            ("export", str(run), "--format", f, "--to", str(root / f"out-{f}"))
            for f in ("manifest", "cvat", "labelstudio")
        ],
    ]
    for step in steps:
        proc = run_cli(*step, env=env)
        assert proc.returncode == 0, proc.stderr
    batch = [i["id"] for i in json.loads((run / "cycles/000/batch.json").read_text())["items"]]
    tasks = json.loads((root / "out-labelstudio/tasks.json").read_text())
    return {
        "root": root,
        "env": env,
        "run": run,
        "batch": batch,
        "tasks": tasks,
        "others": [i for i in ids if i not in batch],
    }


@pytest.fixture
def case(base: dict, tmp_path: Path) -> dict:
    """A private copy of the base run, so each test can try to change it."""
    run = tmp_path / "run"
    shutil.copytree(base["run"], run)
    return {**base, "run": run, "tmp": tmp_path}


def snapshot(run: Path) -> dict[str, str]:
    """Digest of every file of a run directory (the lock file aside)."""
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def refused(case: dict, fmt: str, path: Path, expect: str) -> None:
    """The import fails with one line naming the problem and changes nothing in the run."""
    before = snapshot(case["run"])
    state = (case["run"] / "state.json").read_bytes()
    proc = run_cli("import", str(case["run"]), "--format", fmt, str(path), env=case["env"])
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0], proc.stderr
    assert (case["run"] / "state.json").read_bytes() == state
    assert snapshot(case["run"]) == before


def truth(case: dict, sid: str) -> np.ndarray:
    return truth_of(case["root"] / "truth", sid)


def test_labels_another_export_brought_in_are_refused(case: dict) -> None:
    labels = answer_png(case["tmp"] / "ret", {i: truth(case, i) for i in case["batch"][:2]})
    proc = run_cli("import", str(case["run"]), "--format", "png", str(labels), env=case["env"])
    assert proc.returncode == 0, proc.stderr
    # the same folder again: nothing new, said so, nothing changed
    before = snapshot(case["run"])
    proc = run_cli("import", str(case["run"]), "--format", "png", str(labels), env=case["env"])
    assert proc.returncode == 0 and "imported 0 labels" in proc.stdout
    assert "skipped 2 already imported from this export" in proc.stdout
    assert snapshot(case["run"]) == before
    ls = answer_labelstudio(
        case["tmp"] / "ls.json", case["tasks"], {i: truth(case, i) for i in case["batch"][1:3]}
    )
    refused(case, "labelstudio", ls, f"'{case['batch'][1]}' is already labeled")


def test_labels_for_samples_no_export_asked_for_are_refused(case: dict) -> None:
    stray = case["others"][0]
    labels = answer_png(
        case["tmp"] / "ret", {case["batch"][0]: truth(case, case["batch"][0]), stray: truth(case, stray)}
    )
    refused(case, "png", labels, f"'{stray}' is not in any open export")


def test_unknown_colours_refuse_the_whole_import(case: dict) -> None:
    good, bad = case["batch"][:2]
    odd = colour_mask(truth(case, bad))
    odd[0, 0] = (1, 2, 3)
    zipped = answer_cvat(case["tmp"] / "ret.zip", {good: colour_mask(truth(case, good)), bad: odd})
    refused(case, "cvat", zipped, "unknown colour (1,2,3)")
    assert not (case["run"] / "labels").exists()


def test_a_label_map_naming_an_unknown_class_is_refused(case: dict) -> None:
    sid = case["batch"][0]
    zipped = answer_cvat(
        case["tmp"] / "ret.zip",
        {sid: colour_mask(truth(case, sid))},
        labelmap="background:128,64,128::\ntree:244,35,232::\n",
    )
    refused(case, "cvat", zipped, "label 'tree' (244, 35, 232) is used but is not a class of this dataset")


def test_a_label_of_the_wrong_size_is_refused(case: dict) -> None:
    sid = case["batch"][0]
    labels = answer_png(case["tmp"] / "ret", {sid: truth(case, sid)[:16]})
    refused(case, "png", labels, "label is 64x16 but its image is 64x32")
    ls = answer_labelstudio(case["tmp"] / "ls.json", case["tasks"], {sid: truth(case, sid)[:, :32]})
    refused(case, "labelstudio", ls, "label is 32x32 but its image is 64x32")


def test_class_ids_outside_the_classes_are_refused(case: dict) -> None:
    sid = case["batch"][0]
    label = truth(case, sid)
    label[0, 0] = 7
    refused(case, "png", answer_png(case["tmp"] / "ret", {sid: label}), "label values 7 are outside")
    ls = answer_labelstudio(
        case["tmp"] / "ls.json",
        case["tasks"],
        {sid: truth(case, sid)},
        names=["background", "road", "object"],
    )
    refused(case, "labelstudio", ls, "brush label ['road'] is not a class")


def test_export_into_a_non_empty_folder_is_refused(case: dict) -> None:
    target = case["tmp"] / "busy"
    target.mkdir()
    (target / "x").write_text("")
    before = snapshot(case["run"])
    proc = run_cli("export", str(case["run"]), "--format", "cvat", "--to", str(target), env=case["env"])
    assert proc.returncode == 2 and "is not empty" in proc.stderr
    assert snapshot(case["run"]) == before


def test_a_production_run_keeps_its_dataset(case: dict) -> None:
    proc = run_cli("select", "--out", str(case["run"]), "--dataset", "drivesim", env=case["env"])
    assert proc.returncode == 2 and "drop --dataset" in proc.stderr


def test_a_growing_labelstudio_export_imports_what_is_new_and_releases_skipped_tasks(case: dict) -> None:
    import json

    b = case["batch"]
    first = answer_labelstudio(case["tmp"] / "ls1.json", case["tasks"], {b[0]: truth(case, b[0])})
    proc = run_cli("import", str(case["run"]), "--format", "labelstudio", str(first), env=case["env"])
    assert proc.returncode == 0 and "imported 1 labels" in proc.stdout, proc.stderr
    # later the project's export holds one more finished task and one skipped task
    later = case["tmp"] / "ls2.json"
    answer_labelstudio(later, case["tasks"], {i: truth(case, i) for i in b[:2]})
    tasks = json.loads(later.read_text())
    skipped = next(t for t in case["tasks"] if t["data"]["alcore_id"] == b[2])
    tasks.append({"id": 99, "data": skipped["data"], "annotations": [{"id": 5, "was_cancelled": True}]})
    later.write_text(json.dumps(tasks))
    proc = run_cli("import", str(case["run"]), "--format", "labelstudio", str(later), env=case["env"])
    assert proc.returncode == 0, proc.stderr
    assert "imported 1 labels" in proc.stdout and "skipped 1 already imported" in proc.stdout
    assert "released 1 skipped tasks back to the pool" in proc.stdout
    status = json.loads(run_cli("status", str(case["run"]), "--json", env=case["env"]).stdout)
    ls_export = next(e for e in status["exports"] if e["format"] == "labelstudio")
    assert ls_export["labeled"] == 2 and status["labeled"] == 2


def test_two_annotations_on_one_task_import_the_newest_with_a_warning(case: dict) -> None:
    import json

    sid = case["batch"][0]
    path = answer_labelstudio(case["tmp"] / "ls.json", case["tasks"], {sid: truth(case, sid)})
    tasks = json.loads(path.read_text())
    wrong = [dict(r) for r in tasks[0]["annotations"][1]["result"][:1]]
    tasks[0]["annotations"].insert(0, {"id": 7, "updated_at": "2020-01-01T00:00:00Z", "result": wrong})
    tasks[0]["annotations"][-1]["updated_at"] = "2026-01-01T00:00:00Z"
    path.write_text(json.dumps(tasks))
    proc = run_cli("import", str(case["run"]), "--format", "labelstudio", str(path), env=case["env"])
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stderr and "took annotation 201 (the newest), ignored 7" in proc.stderr
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(case["run"] / f"labels/{sid}.png")), truth(case, sid))


def test_closing_an_export_releases_its_samples_and_refuses_later_imports(case: dict) -> None:
    import json

    for n in (1, 2, 3):
        proc = run_cli("close", str(case["run"]), str(n), env=case["env"])
        assert proc.returncode == 0 and f"export {n:03d} closed: 0 labeled, 4 released" in proc.stdout
    status = json.loads(run_cli("status", str(case["run"]), "--json", env=case["env"]).stdout)
    assert status["pending"] == 0 and {e["status"] for e in status["exports"]} == {"closed"}
    sid = case["batch"][0]
    labels = answer_png(case["tmp"] / "late", {sid: truth(case, sid)})
    refused(case, "png", labels, "was closed")
    proc = run_cli("close", str(case["run"]), "1", env=case["env"])
    assert proc.returncode == 2 and "already closed" in proc.stderr
