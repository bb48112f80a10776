"""A killed bench continues without redoing finished cells."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import TINY_DATA


def bench_cmd(out) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "alcore.cli",
        "bench",
        "--preset",
        "quick",
        "--out",
        str(out),
        "--level",
        "diverse",
        "--budget",
        "t=4:4",
        "--ssl",
        "none",
        "--acq",
        "random",
        "--acq",
        "entropy",
        "--acq",
        "margin",
        "--seeds",
        "0",
        "--cycles",
        "1",
        "--model-opt",
        "iters=4",
        "--model-opt",
        "batch_size=2",
        "-q",
    ]
    for k, v in TINY_DATA.items():
        cmd += ["--dataset-opt", f"{k}={v}"]
    return cmd


@pytest.mark.slow
def test_killed_bench_resumes_without_redoing_cells(tmp_path):
    out = tmp_path / "b"
    proc = subprocess.Popen(
        bench_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
    )
    deadline = time.time() + 240
    first = None
    while time.time() < deadline and proc.poll() is None:
        done = sorted((out / "cells").glob("*/results.json")) if (out / "cells").is_dir() else []
        if done:
            first = done[0]
            break
        time.sleep(0.2)
    assert first is not None, "no cell finished before the deadline"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in (out / "cells").glob("*/results.json")}
    assert len(finished) < 3

    rerun = subprocess.run(bench_cmd(out), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert len(list((out / "cells").glob("*/results.json"))) == 3
    assert not list((out / "cells").glob("*.tmp"))
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime
    assert "| diverse | t | none |" in rerun.stdout
