"""An ordinary MMSeg config gains active learning and runs through a plain MMEngine Runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.helpers import TINY_DRIVESIM

EXAMPLE = ROOT / "examples" / "mmseg_native"


@pytest.mark.slow
def test_example_config_runs_active_learning_through_a_plain_runner(tmp_path):
    from alcore.plugins import build_registry

    data = tmp_path / "cityscapes"
    build_registry().get("dataset", "drivesim").build(
        {**TINY_DRIVESIM, "root": str(data)}
    )
    work = tmp_path / "work"
    proc = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE / "train.py"),
            str(EXAMPLE / "al_fcn_r18_cityscapes.py"),
            "--work-dir",
            str(work),
            "--cfg-options",
            "train_cfg.iters_per_cycle=6",
            "param_scheduler.0.end=18",
            "default_hooks.checkpoint.interval=6",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "OMP_NUM_THREADS": "1", "ALCORE_CITYSCAPES": str(data)},
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    # MMEngine's own outputs, where MMSeg users expect them
    assert (work / "iter_18.pth").is_file() and (work / "last_checkpoint").is_file()
    # each checkpoint the loop's Runner saved is proven alcore's, so alcore:// may resume from it
    from alcore_mmseg import checkpoints

    assert checkpoints.is_trusted(work / "iter_18.pth")
    # alcore's state: labeled indices per cycle, selections, metrics
    state = json.loads((work / "alcore" / "state.json").read_text())
    assert len(state["pool"]) == 24
    sizes = [len(state["labeled"][str(c)]) for c in range(3)]
    assert sizes == [8, 12, 16]
    assert set(state["labeled"]["0"]) < set(state["labeled"]["1"]) < set(state["labeled"]["2"])
    assert [r["cycle"] for r in state["cycles"]] == [0, 1, 2]
    assert all("mIoU" in r["metrics"] for r in state["cycles"])
    selection = json.loads((work / "alcore" / "selection_cycle000.json").read_text())
    assert selection["strategy"] == "entropy" and len(selection["indices"]) == 4
    assert sorted(state["labeled"]["0"] + selection["indices"]) == state["labeled"]["1"]
    assert "groups" in selection["diagnostics"]
