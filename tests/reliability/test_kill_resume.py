"""Kill a run with SIGKILL at many points across its phases; resuming must end where an
uninterrupted run with the same seed ends: same labeled set, same selections, same metrics."""

from __future__ import annotations

import json
import random
import signal
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers import TINY_DRIVESIM, option_args

TINY = [
    *option_args("--dataset-opt", TINY_DRIVESIM),
    "--model-opt", "iters=5", "--model-opt", "width=8", "--model-opt", "batch_size=4",
    "--cycles", "3", "--initial", "4", "--budget", "3", "--acq", "entropy", "--seed", "11",
]
POINTS = {"train-iter": 5, "write": 6, "evaluate": 2, "score-chunk": 2, "select": 2}


def kill_plan(n: int, seed: int = 7) -> list[str]:
    """A reproducible sequence of crash points drawn across every phase."""
    rng = random.Random(seed)
    names = sorted(POINTS)
    plan = [f"{name}:{rng.randint(1, POINTS[name])}" for name in names]
    plan += [f"{name}:{rng.randint(1, POINTS[name])}"
             for name in (rng.choice(names) for _ in range(n - len(names)))]
    return plan


def outcome(run: Path) -> dict:
    cycles = {}
    for d in sorted((run / "cycles").iterdir()):
        sel = d / "selection.json"
        cycles[d.name] = {
            "metrics": json.loads((d / "metrics.json").read_text())["mIoU"],
            "selection": json.loads(sel.read_text())["ids"] if sel.exists() else None,
        }
    return {"state": json.loads((run / "state.json").read_text()), "cycles": cycles}


@pytest.mark.slow
def test_sigkill_anywhere_then_resume_matches_uninterrupted(tmp_path):
    env = {"ALCORE_DATA": str(tmp_path / "data"), "OMP_NUM_THREADS": "1"}
    reference = tmp_path / "reference"
    proc = run_cli("run", "--out", str(reference), "-q", *TINY, env=env)
    assert proc.returncode == 0, proc.stderr

    plan = kill_plan(20)
    kills, chains, run, fresh = 0, 0, None, True
    for point in plan + [None]:
        if fresh:
            chains += 1
            run = tmp_path / f"killed{chains}"
            args = ["run", "--out", str(run), "-q", *TINY]
        else:
            args = ["run", "--resume", str(run), "-q"]
        proc = run_cli(*args, env={**env, "ALCORE_FAULT_KILL": point or ""})
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            fresh = not (run / "config.yaml").exists()
            continue
        assert proc.returncode == 0, proc.stderr
        assert outcome(run) == outcome(reference)
        assert json.loads((run / "results.json").read_text())["curve"] == \
            json.loads((reference / "results.json").read_text())["curve"]
        fresh = True
    assert kills >= 18, f"only {kills} of {len(plan)} crash points were reached"
