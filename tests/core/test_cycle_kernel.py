"""The cycle kernel with a fake model: phases, resume, no double work, hooks, one selection shape."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from alcore.config import RunConfig
from alcore.experiment import Experiment
from alcore.plugins import build_registry
from alcore.progress import Reporter
from alcore.sdk import hookimpl
from tests.fakes import FakeModel, FakePlugin


@pytest.fixture
def registry():
    FakeModel.built.clear()
    FakePlugin.ends.clear()
    return build_registry(extra_plugins=[("fake", FakePlugin)])


def run(registry, out, **kw):
    cfg = RunConfig(dataset="fakeds", model="fake", cycles=3, initial=4, budget=2, **kw)
    return Experiment(cfg, out, registry=registry, reporter=Reporter(quiet=True)).run()


def test_each_cycle_trains_once_and_labels_its_batch(registry, tmp_path):
    results = run(registry, tmp_path / "r", acq="coreset")
    assert [p["labeled"] for p in results["curve"]] == [4, 6, 8, 10]
    assert [p["mIoU"] for p in results["curve"]] == [4.0, 6.0, 8.0, 10.0]
    model = FakeModel.built[-1]
    assert model.calls["train"] == 4
    state = json.loads((tmp_path / "r/state.json").read_text())
    picked = [r["id"] for r in state["labeled"] if r["strategy"] == "coreset"]
    selections = [json.loads((tmp_path / f"r/cycles/{c:03d}/selection.json").read_text()) for c in range(3)]
    assert picked == [i for s in selections for i in s["ids"]]
    assert [c for c, _ in FakePlugin.ends] == [0, 1, 2, 3]


def test_one_scoring_pass_per_cycle_and_examples_predicted_once(registry, tmp_path):
    run(registry, tmp_path / "r", acq="coreset")
    model = FakeModel.built[-1]
    pool = 24
    assert model.calls["compute"] == 3 * pool  # one pass over the pool per selecting cycle
    assert model.calls["predict"] == 3 * 2  # each batch of 2 predicted once, for the examples
    examples = json.loads((tmp_path / "r/cycles/000/examples.json").read_text())
    assert all(e["prediction"] for e in examples)


def test_random_pays_no_model_pass(registry, tmp_path):
    results = run(registry, tmp_path / "r", acq="random")
    assert FakeModel.built[-1].calls["compute"] == 0
    diag = results["curve"][0]["diagnostics"]
    assert diag["groups"] >= 1 and "coverage_radius" not in diag


def test_selection_record_has_one_shape(registry, tmp_path):
    run(registry, tmp_path / "r", acq="entropy")
    record = json.loads((tmp_path / "r/cycles/001/selection.json").read_text())
    assert set(record) == {"strategy", "ids", "indices", "diagnostics", "scores"}
    assert len(record["ids"]) == len(record["indices"]) == len(record["scores"]) == 2
    entropy = [s["entropy"] for s in record["scores"]]
    assert entropy == sorted(entropy, reverse=True)


def test_resume_redoes_only_what_is_missing(registry, tmp_path):
    first = run(registry, tmp_path / "r", acq="coreset")
    selections = [(tmp_path / f"r/cycles/{c:03d}/selection.json").read_text() for c in range(3)]
    (tmp_path / "r/cycles/002/record.json").unlink()
    (tmp_path / "r/cycles/003/record.json").unlink()
    (tmp_path / "r/cycles/003/checkpoint.pth").unlink()
    (tmp_path / "r/results.json").unlink()
    again = Experiment.resume(tmp_path / "r", registry=registry, reporter=Reporter(quiet=True)).run()
    model = FakeModel.built[-1]
    assert model.calls["train"] == 1  # only cycle 3 lost its checkpoint
    assert model.calls["compute"] == 0  # cycle 2's selection is on disk
    assert again["curve"] == first["curve"]
    assert selections == [(tmp_path / f"r/cycles/{c:03d}/selection.json").read_text() for c in range(3)]


class Raising:
    @staticmethod
    @hookimpl
    def on_cycle_end(run_dir, cycle, record):
        raise RuntimeError("observer broke")


def test_a_raising_cycle_observer_is_a_warning(tmp_path, caplog):
    registry = build_registry(extra_plugins=[("fake", FakePlugin), ("raising", Raising)])
    with caplog.at_level(logging.WARNING, logger="alcore"):
        results = run(registry, tmp_path / "r", acq="random")
    assert len(results["curve"]) == 4
    assert "plugin 'raising': on_cycle_end raised" in caplog.text


def test_streamed_quantities_select_what_loaded_ones_select(registry, tmp_path, monkeypatch):
    run(registry, tmp_path / "loaded", acq="coreset")
    monkeypatch.setenv("ALCORE_STREAM_MB", "0")
    run(registry, tmp_path / "streamed", acq="coreset")
    for c in range(3):
        a = json.loads((tmp_path / f"loaded/cycles/{c:03d}/selection.json").read_text())
        b = json.loads((tmp_path / f"streamed/cycles/{c:03d}/selection.json").read_text())
        assert a["ids"] == b["ids"]
        assert np.isclose(a["diagnostics"]["coverage_radius"], b["diagnostics"]["coverage_radius"])
