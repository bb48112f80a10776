"""The production cycle in-process, with a stub model: given labels, open exports, resumed cycles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from annotators import answer_png, make_pool, truth_of
from PIL import Image

from alcore.annotation.exports import export_batch
from alcore.annotation.importer import import_labels
from alcore.annotation.session import select
from alcore.progress import Reporter
from alcore.sdk.errors import DataError, StateError
from alcore.sdk.hookspecs import hookimpl


class StubModel:
    """Trains instantly, records what it was trained on, predicts class 1 everywhere."""

    trained: list[list[tuple[str, Path]]] = []

    def __init__(self, info, quantities, seed: int = 0) -> None:
        self.info = info

    def train(self, labeled, unlabeled, cycle, work_dir, ssl=None, progress=None) -> Path:
        StubModel.trained.append([(s.id, s.label) for s in labeled])
        path = Path(work_dir) / "checkpoint.pth"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(json.dumps(sorted(s.id for s in labeled)).encode())
        return path

    def load(self, checkpoint: Path) -> None:
        pass

    def evaluate(self, samples, progress=None) -> dict:
        return {"mIoU": 0.0, "aAcc": 0.0, "per_class_iou": {}}

    def compute(self, samples, quantities, progress=None) -> dict:
        n = len(samples)
        out = {"entropy": np.array([int(s.id[-3:]) for s in samples], np.float32)}
        out["embedding"] = np.stack([np.arange(4, dtype=np.float32) + i for i in range(n)])
        return {q: out[q] for q in quantities}

    def predict(self, samples) -> list[np.ndarray]:
        return [np.ones(Image.open(s.image).size[::-1], np.uint8) for s in samples]


class StubPlugin:
    @staticmethod
    @hookimpl
    def register_models(register):
        register("stub", StubModel, help="instant test model")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    from alcore.plugins import build_registry

    monkeypatch.setenv("ALCORE_DATA", str(tmp_path / "data"))
    ids = make_pool(tmp_path / "pool", tmp_path / "truth")
    StubModel.trained = []
    settings = {
        "dataset": "folder",
        "dataset_options": {"root": str(tmp_path / "pool")},
        "model": "stub",
        "acq": "entropy",
        "budget": 3,
    }
    registry = build_registry(extra_plugins=[("stub", StubPlugin)])
    return {"tmp": tmp_path, "ids": ids, "settings": settings, "registry": registry, "run": tmp_path / "run"}


def run_select(env: dict, settings: dict | None = None, **kw):
    return select(
        env["run"],
        settings if settings is not None else {},
        reporter=Reporter(quiet=True),
        registry=env["registry"],
        **kw,
    )


def test_initial_labels_train_the_first_cycle(env: dict) -> None:
    given = env["ids"][:2]
    folder = answer_png(env["tmp"] / "have", {i: truth_of(env["tmp"] / "truth", i) for i in given})
    batch = run_select(env, env["settings"], initial_labels=folder)
    assert batch.cycle == 0 and batch.strategy == "entropy" and len(batch.items) == 3
    (trained,) = StubModel.trained
    assert [i for i, _ in trained] == given
    assert all(label == env["run"] / "labels" / f"{i}.png" for i, label in trained)
    state = json.loads((env["run"] / "state.json").read_text())
    assert [(r["strategy"], r["source"]) for r in state["labeled"]] == [("given", f"import:png:{folder}")] * 2
    assert not {i.id for i in batch.items} & set(given)
    assert all(i.prediction and i.scores == {"entropy": float(i.id[-3:])} for i in batch.items)


def test_bad_initial_labels_leave_no_run_behind(env: dict) -> None:
    sid = env["ids"][0]
    folder = answer_png(env["tmp"] / "have", {sid: truth_of(env["tmp"] / "truth", sid)[:8]})
    with pytest.raises(DataError, match="label is 64x8"):
        run_select(env, env["settings"], initial_labels=folder)
    assert not env["run"].exists()


def test_samples_out_for_annotation_are_not_selected_again(env: dict) -> None:
    first = run_select(env, env["settings"])
    assert first.strategy == "random" and not StubModel.trained
    export_batch(env["run"], "manifest", env["tmp"] / "out1")
    second = run_select(env)
    assert second.cycle == 1 and second.strategy == "random"
    assert not {i.id for i in second.items} & {i.id for i in first.items}
    truth = env["tmp"] / "truth"
    answer_png(env["tmp"] / "ret", {i.name: truth_of(truth, i.id) for i in first.items})
    result = import_labels(env["run"], "png", env["tmp"] / "ret")
    assert result["status"] == "imported" and len(result["imported"]) == 3
    with pytest.raises(StateError, match="is not in any open export"):
        answer_png(env["tmp"] / "ret2", {i.name: truth_of(truth, i.id) for i in second.items[:1]})
        import_labels(env["run"], "png", env["tmp"] / "ret2")
    third = run_select(env, {"budget": 2})
    assert third.cycle == 2 and third.strategy == "entropy" and len(third.items) == 2
    assert sorted(i for i, _ in StubModel.trained[-1]) == sorted(i.id for i in first.items)
    assert not {i.id for i in third.items} & {i.id for i in first.items}


def test_the_dataset_and_model_of_a_run_are_fixed(env: dict) -> None:
    run_select(env, env["settings"])
    with pytest.raises(Exception, match="drop --model"):
        run_select(env, {"model": "mmseg"})
