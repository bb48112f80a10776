"""The two commands as a user runs them: advise prints JSON, bench refuses unknown names early."""

from __future__ import annotations

import json
import subprocess
import sys


def alcore(*args: str, env_home) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "ALCORE_DATA": str(env_home), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "alcore.cli", *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_advise_json_names_evidence(tmp_path):
    opts = [
        "preset=redundant",
        "sequences=2",
        "frames=12",
        "width=32",
        "height=16",
        "val_sequences=1",
        "val_frames=1",
    ]
    args = ["advise", "drivesim", "--budget", "2", "--json"]
    for o in opts:
        args += ["--dataset-opt", o]
    res = alcore(*args, env_home=tmp_path)
    assert res.returncode == 0, res.stderr
    advice = json.loads(res.stdout)
    assert advice["regime"]["data"] == "redundant"
    assert advice["acq"] == "coreset" and advice["ssl"] == "none"
    assert "study" in advice["evidence"]


def test_bench_unknown_strategy_is_one_line(tmp_path):
    res = alcore(
        "bench", "--preset", "quick", "--out", str(tmp_path / "b"), "--acq", "nope", env_home=tmp_path
    )
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "nope" in res.stderr and "random" in res.stderr
    assert not (tmp_path / "b" / "cells").exists()
