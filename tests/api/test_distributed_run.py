"""``alcore run`` under torchrun: two ranks score shards, rank 0 selects, and picks match one process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from tests.conftest import ROOT
from tests.helpers import TINY_DRIVESIM, option_args

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def cli(*args: str, launcher: tuple[str, ...] = ()) -> None:
    proc = subprocess.run(
        [sys.executable, *launcher, "-m", "alcore.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def cached(run, name: str) -> list[np.ndarray]:
    """Rows of one quantity in each stored pool group, smallest group first."""
    with h5py.File(run / "cache.h5", "r") as f:
        return sorted((g["data"][name][()] for fp in f.values() for g in fp.values()), key=len)


@pytest.mark.slow
def test_two_ranks_select_what_one_process_selects_from_the_same_checkpoint(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    data = {**TINY_DRIVESIM, "root": tmp_path / "data"}
    model = {"iters": 3, "width": 8, "batch_size": 2, "eval_batch_size": 4}
    cli(
        "run", "--out", str(one), "-q", "--cycles", "1", "--initial", "8", "--budget", "4",
        "--acq", "entropy", *option_args("--dataset-opt", data), *option_args("--model-opt", model),
    )  # fmt: skip
    # the same run stopped after cycle 0 trained: checkpoint and metrics kept, nothing selected yet
    (two / "cycles" / "000").mkdir(parents=True)
    for name in ("config.yaml", "dataset.json"):
        shutil.copy(one / name, two / name)
    for name in ("checkpoint.pth", "metrics.json"):
        shutil.copy(one / "cycles" / "000" / name, two / "cycles" / "000" / name)
    state = json.loads((one / "state.json").read_text())
    state["labeled"] = [r for r in state["labeled"] if r["cycle"] == 0]
    (two / "state.json").write_text(json.dumps(state))

    torchrun = ("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")
    cli("run", "--resume", str(two), "-q", launcher=torchrun)

    picked = [json.loads((r / "cycles" / "000" / "selection.json").read_text())["ids"] for r in (one, two)]
    assert picked[0] == picked[1] and len(picked[0]) == 4
    # each rank wrote its 12-row shard straight into the pool's rows (nothing merged or written twice);
    # scores equal the single process's bit for bit
    (merged,) = cached(two, "entropy")
    (single,) = cached(one, "entropy")
    assert len(merged) == 24
    np.testing.assert_array_equal(merged, single)
    # the 2-process run finished its DDP cycle and wrote results once, from rank 0
    results = json.loads((two / "results.json").read_text())
    assert [p["labeled"] for p in results["curve"]] == [8, 12]
