"""The bad-input catalogue: each case gives one line naming the file or option, a non-zero exit,
no traceback, and leaves existing state untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import run_cli

TINY_MODEL = ["--model-opt", "iters=3", "--model-opt", "width=8", "--model-opt", "batch_size=2"]


def make_folder(root: Path, n: int = 6) -> Path:
    """A valid generic-folder dataset: images/, labels/, classes.txt, an explicit val/."""
    rng = np.random.default_rng(0)
    for split, count in (("", n), ("val/", 2)):
        for i in range(count):
            label = rng.integers(0, 3, (16, 32)).astype(np.uint8)
            image = (label[..., None] * 60 + rng.integers(0, 30, (16, 32, 3))).astype(np.uint8)
            (root / f"{split}images").mkdir(parents=True, exist_ok=True)
            (root / f"{split}labels").mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / f"{split}images/f{i}.png"), image)
            cv2.imwrite(str(root / f"{split}labels/f{i}.png"), label)
    (root / "classes.txt").write_text("road\ncar\nsky\n")
    return root


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def run_folder(root: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("run", "--dataset", "folder", "--dataset-opt", f"root={root}", "--out", str(out),
                   "--initial", "2", "--budget", "2", "--cycles", "1", *TINY_MODEL, *extra)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_label(path: Path, array: np.ndarray) -> None:
    cv2.imwrite(str(path), array.astype(np.uint8))


CASES = {
    "truncated image": (lambda r: truncate(r / "images/f1.png"), "images/f1.png"),
    "unreadable image": (lambda r: (r / "images/f2.png").write_bytes(b"not a png"), "images/f2.png"),
    "missing label": (lambda r: (r / "labels/f3.png").unlink(), "images/f3.png"),
    "extra label": (lambda r: shutil.copy(r / "labels/f0.png", r / "labels/zz.png"), "labels/zz.png"),
    "size mismatch": (lambda r: write_label(r / "labels/f4.png", np.zeros((8, 8))), "labels/f4.png"),
    "unknown label values": (lambda r: write_label(r / "labels/f5.png", np.full((16, 32), 7)),
                             "labels/f5.png"),
    "empty pool": (lambda r: [p.unlink() for p in (r / "images").iterdir()], "images"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_data_names_the_file(tmp_path, case):
    breaker, named = CASES[case]
    root = make_folder(tmp_path / "data")
    if case == "empty pool":
        for p in (root / "labels").iterdir():
            p.unlink()
    breaker(root)
    proc = run_folder(root, tmp_path / "run")
    line = one_line_error(proc)
    assert named in line, line
    assert not (tmp_path / "run").exists()


def test_budget_larger_than_pool_takes_all_and_says_so(tmp_path):
    root = make_folder(tmp_path / "data", n=5)
    proc = run_cli("run", "--dataset", "folder", "--dataset-opt", f"root={root}",
                   "--out", str(tmp_path / "run"), "--initial", "2", "--budget", "10",
                   "--cycles", "2", *TINY_MODEL)
    assert proc.returncode == 0, proc.stderr
    assert "only 3 unlabeled samples left" in proc.stderr
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert len(state["labeled"]) == 5


def test_missing_and_remote_model_configs(tmp_path):
    root = make_folder(tmp_path / "data")
    missing = run_folder(root, tmp_path / "r1", "--model-config", str(tmp_path / "nope.py"))
    assert "nope.py" in one_line_error(missing) and "does not exist" in missing.stderr
    remote = tmp_path / "remote.py"
    remote.write_text(
        "_base_ = ['mmseg::fcn/fcn_r18-d8_4xb2-80k_cityscapes-512x1024.py']\n"
        "model = dict(pretrained='https://example.org/r18.pth')\n")
    proc = run_folder(root, tmp_path / "r2", "--model-config", str(remote))
    line = one_line_error(proc)
    assert "remote.py" in line and "https://example.org/r18.pth" in line
    assert not (tmp_path / "r2").exists()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_checkpoint_of_another_model_and_concurrent_writer(tmp_path):
    root = make_folder(tmp_path / "data")
    run = tmp_path / "run"
    assert run_folder(root, run).returncode == 0
    before = {p: _digest(p) for p in (run / "state.json", run / "results.json")}
    shutil.rmtree(run / "cycles" / "001")
    (run / "cycles" / "000" / "record.json").unlink()
    ckpt = run / "cycles" / "000" / "checkpoint.pth"
    import torch

    torch.save({"state_dict": {"other.weight": torch.zeros(3)}, "meta": {}}, ckpt)
    proc = run_cli("run", "--resume", str(run))
    line = one_line_error(proc)
    assert "checkpoint.pth" in line and "does not fit this model" in line
    assert {p: _digest(p) for p in before} == before

    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)"),
        str(run / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = run_cli("run", "--resume", str(run))
        assert "in use by another alcore process" in one_line_error(proc)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert {p: _digest(p) for p in before} == before
