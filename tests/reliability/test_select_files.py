"""Delete or truncate each file of a production run in turn, then ``alcore select``: the answer is a
named error that changes nothing, or an exact recovery (derived files recomputed with a notice),
never a silently different labeled set or batch. Edits that make the primary files disagree are
named too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.reliability.harness import World, digests, error_line, outcome

#: what money bought: losing any of these must be named, never rebuilt
PRIMARY = ("state.json", "config.yaml", "exports/001/manifest.json", "labels/", "cycles/001/checkpoint.pth")


def batches(run: Path) -> int:
    return len(list(run.glob("cycles/*/batch.json")))


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> tuple[World, Path, dict]:
    """A production run after select, export, import of two labels and a second select; and what one
    more select on it gives."""
    root = tmp_path_factory.mktemp("selectfiles")
    world = World(root, labeled=False)
    run = root / "run"
    export = ["export", str(run), "--format", "manifest", "--to", str(root / "x")]
    for args in (world.select_args(run, True), export):
        assert world.fork(*args).returncode == 0
    items = json.loads((run / "cycles/000/batch.json").read_text())["items"]
    answers = root / "answers"
    answers.mkdir()
    for item in items[:2]:
        label = np.random.default_rng(0).integers(0, 3, (16, 32)).astype(np.uint8)
        cv2.imwrite(str(answers / f"{item['name']}.png"), label)
    for args in (["import", str(run), str(answers), "--format", "png"], world.select_args(run, False)):
        proc = world.fork(*args)
        assert proc.returncode == 0, proc.stderr
    reference = root / "reference"
    shutil.copytree(run, reference)
    assert world.fork(*world.select_args(reference, False)).returncode == 0
    return world, run, outcome(reference)


def select_until(world: World, run: Path, want: int):
    """One select, and a second where the first redid a cycle whose commit was lost."""
    proc = world.fork(*world.select_args(run, False))
    if proc.returncode == 0 and batches(run) < want:
        proc = world.fork(*world.select_args(run, False))
    return proc


def files_of(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*")
                  if p.is_file() and not p.name.startswith("."))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["delete", "truncate"])
def test_each_production_file_in_turn(production, tmp_path, how):
    world, base, expected = production
    checked = {"error": [], "recovered": []}
    for name in files_of(base):
        run = tmp_path / f"{how}-{name.replace('/', '_')}"
        shutil.copytree(base, run)
        data = (run / name).read_bytes()
        if how == "delete":
            (run / name).unlink()
        else:
            (run / name).write_bytes(data[: len(data) // 2])
        before = digests(run)
        proc = select_until(world, run, want=3)
        if proc.returncode == 0:
            assert not name.startswith(PRIMARY), f"{how} {name}: went on without a word"
            assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr
            assert outcome(run) == expected, f"{how} {name}: a different labeled set or batch"
            checked["recovered"].append(name)
        else:
            line = error_line(proc)
            assert proc.returncode == 2, proc.stderr
            assert Path(name).name in line or name.split("/")[0] in line, f"{how} {name}: {line}"
            assert digests(run) == before, f"{how} {name}: a failed select changed the run"
            checked["error"].append(name)
        shutil.rmtree(run)
    named = set(checked["error"])
    assert {"state.json", "config.yaml", "exports/001/manifest.json"} <= named, checked
    assert any(n.startswith("labels/") for n in named), checked
    # derived files of committed cycles come back exactly (a notice says so)
    for derived in ("record.json", "metrics.json", "selection.json", "batch.json"):
        assert f"cycles/000/{derived}" in checked["recovered"], (derived, checked)


def _edit(path: Path, change) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _drop_imported_label(run: Path) -> None:
    def change(state: dict) -> dict:
        first = next(r for r in state["labeled"] if r["source"].startswith("import:"))
        return {**state, "labeled": [r for r in state["labeled"] if r is not first]}
    _edit(run / "state.json", change)


def _export_unpicked(run: Path) -> None:
    def change(m: dict) -> dict:
        picked = {i["id"] for i in json.loads((run / "cycles/000/batch.json").read_text())["items"]}
        spare = next(f"g{g}-{f}" for g in range(4) for f in range(4) if f"g{g}-{f}" not in picked)
        m["items"][-1] = {**m["items"][-1], "id": spare, "name": spare}
        return m
    _edit(run / "exports/001/manifest.json", change)


def _import_not_recorded(run: Path) -> None:
    _edit(run / "exports/001/manifest.json", lambda m: {**m, "imports": [], "status": "open"})


@pytest.mark.slow
@pytest.mark.parametrize("edit, fragment", [
    (_drop_imported_label, "was imported but"),
    (_export_unpicked, "exports samples"),
])
def test_primary_files_that_disagree_are_named(production, tmp_path, edit, fragment):
    world, base, _ = production
    run = tmp_path / "run"
    shutil.copytree(base, run)
    edit(run)
    before = digests(run)
    proc = world.fork(*world.select_args(run, False))
    assert proc.returncode == 2, proc.stderr
    assert fragment in error_line(proc)
    assert digests(run) == before


@pytest.mark.slow
def test_an_import_stopped_before_its_record_is_recorded_from_the_state(production, tmp_path):
    world, base, expected = production
    run = tmp_path / "run"
    shutil.copytree(base, run)
    _import_not_recorded(run)
    proc = world.fork(*world.select_args(run, False))
    assert proc.returncode == 0, proc.stderr
    assert "recorded in" in proc.stderr and "the import of 2 labels" in proc.stderr
    assert outcome(run) == expected
    imports = json.loads((run / "exports/001/manifest.json").read_text())["imports"]
    assert len(imports) == 1 and len(imports[0]["ids"]) == 2


@pytest.mark.slow
def test_labels_given_with_initial_labels_need_no_export(tmp_path):
    world = World(tmp_path, labeled=False)
    given = tmp_path / "given"
    given.mkdir()
    cv2.imwrite(str(given / "g0-1.png"), np.ones((16, 32), np.uint8))
    run = tmp_path / "run"
    proc = world.fork(*world.select_args(run, True), "--initial-labels", str(given))
    assert proc.returncode == 0, proc.stderr
    proc = world.fork(*world.select_args(run, False))
    assert proc.returncode == 0, proc.stderr
    assert "notice" not in proc.stderr and batches(run) == 2
