"""End-to-end runs of the ``alcore`` command on a small generated driving dataset."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
import yaml

from tests.conftest import ROOT, run_cli
from tests.helpers import TINY_DRIVESIM, option_args

SMALL = [
    *option_args("--dataset-opt", TINY_DRIVESIM),
    "--model-opt", "iters=12", "--model-opt", "width=8", "--model-opt", "batch_size=4",
    "--cycles", "2", "--initial", "4", "--budget", "3",
]


@pytest.fixture(scope="module")
def data_env(tmp_path_factory):
    return {"ALCORE_DATA": str(tmp_path_factory.mktemp("data"))}


@pytest.mark.slow
def test_run_writes_a_complete_run_directory(tmp_path, data_env):
    out = tmp_path / "run"
    proc = run_cli("run", "--acq", "entropy", "--seed", "3", "--out", str(out), *SMALL,
                   env=data_env)
    assert proc.returncode == 0, proc.stderr
    assert "mIoU" in proc.stdout
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["acq"] == "entropy" and cfg["seed"] == 3 and cfg["cycles"] == 2
    state = json.loads((out / "state.json").read_text())
    labeled = state["labeled"]
    assert len(labeled) == 4 + 2 * 3
    assert [r["strategy"] for r in labeled].count("initial") == 4
    assert {r["cycle"] for r in labeled if r["strategy"] == "entropy"} == {1, 2}
    assert len({r["id"] for r in labeled}) == len(labeled)
    for cycle in range(3):
        d = out / "cycles" / f"{cycle:03d}"
        torch.load(d / "checkpoint.pth", weights_only=True)
        record = json.loads((d / "record.json").read_text())
        assert record["labeled"] == 4 + cycle * 3
        assert 0 <= record["metrics"]["mIoU"] <= 100
        if cycle < 2:
            selection = json.loads((d / "selection.json").read_text())
            assert len(selection["ids"]) == 3
            assert selection["diagnostics"]["groups"] >= 1
    results = json.loads((out / "results.json").read_text())
    assert [c["labeled"] for c in results["curve"]] == [4, 7, 10]


@pytest.mark.slow
def test_yaml_config_with_command_line_override(tmp_path, data_env):
    cfg_file = tmp_path / "exp.yaml"
    cfg_file.write_text("acq: random\ncycles: 5\nbudget: 2\nmodel_options:\n  iters: 4\n")
    out = tmp_path / "run"
    proc = run_cli("run", "--config", str(cfg_file), "--cycles", "1", "--out", str(out),
                   *SMALL[:12], "--initial", "4", env=data_env)
    assert proc.returncode == 0, proc.stderr
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["acq"] == "random" and cfg["cycles"] == 1 and cfg["budget"] == 2
    assert cfg["model_options"]["width"] == "8"
    results = json.loads((out / "results.json").read_text())
    assert [c["labeled"] for c in results["curve"]] == [4, 6]
    again = run_cli("run", "--config", str(cfg_file), "--out", str(out), env=data_env)
    assert again.returncode == 2 and "already holds a run" in again.stderr


@pytest.mark.slow
def test_resume_continues_to_the_same_result(tmp_path, data_env):
    full = tmp_path / "full"
    proc = run_cli("run", "--out", str(full), *SMALL, env=data_env)
    assert proc.returncode == 0, proc.stderr
    cut = tmp_path / "cut"
    proc = run_cli("run", "--out", str(cut), *SMALL, env=data_env)
    assert proc.returncode == 0, proc.stderr
    # drop everything after cycle 0's selection, as if the run had died there
    for name in ("001", "002"):
        subprocess.run(["rm", "-rf", str(cut / "cycles" / name)], check=True)
    (cut / "cycles" / "000" / "record.json").unlink()
    (cut / "results.json").unlink()
    state = json.loads((cut / "state.json").read_text())
    state["labeled"] = [r for r in state["labeled"] if r["cycle"] <= 1]
    (cut / "state.json").write_text(json.dumps(state))
    proc = run_cli("run", "--resume", str(cut), env=data_env)
    assert proc.returncode == 0, proc.stderr
    assert (json.loads((cut / "state.json").read_text())
            == json.loads((full / "state.json").read_text()))


@pytest.fixture
def example_plugin_installed():
    pkg = ROOT / "examples" / "alcore-example-strategy"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", str(pkg)], check=True)
    yield
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y",
                    "alcore-example-strategy"], check=True)


@pytest.mark.slow
def test_third_party_strategy_after_pip_install(tmp_path, data_env, example_plugin_installed):
    listed = run_cli("plugins", "--json")
    data = json.loads(listed.stdout)
    plugin = next(p for p in data["plugins"] if p["name"] == "group_entropy")
    assert plugin["distribution"] == "alcore-example-strategy"
    assert plugin["registers"] == {"acquisition": ["group-entropy"]}
    hidden = run_cli("plugins", "--json", env={"ALCORE_DISABLE_PLUGINS": "1"})
    assert "group-entropy" not in json.loads(hidden.stdout)["names"]["acquisition"]
    out = tmp_path / "run"
    proc = run_cli("run", "--acq", "group-entropy", "--out", str(out), *SMALL, env=data_env)
    assert proc.returncode == 0, proc.stderr
    selection = json.loads((out / "cycles" / "000" / "selection.json").read_text())
    assert selection["strategy"] == "group-entropy"
    # three picks from four sequences, one per sequence first
    assert selection["diagnostics"]["groups"] == 3
