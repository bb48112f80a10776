"""A full disk during every kind of write, the HDF5 cache included: one line naming the file and
exit 3, then an exact resume once space is free again."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reliability.harness import World, digests, error_line, outcome

FULL = re.compile(r"no space left on the device while writing (\S+);")


def test_simulated_full_disk_at_every_write_then_resume(tmp_path):
    """Each process gets one write done, then the disk is full; the next starts where it failed."""
    world = World(tmp_path)
    reference = tmp_path / "reference"
    assert world.fork(*world.run_args(reference)).returncode == 0
    run = tmp_path / "killed"
    fresh, again = world.run_args(run), ["run", "--resume", str(run), "-q"]
    kinds, failures, extra = set(), 0, 0
    for _ in range(300):
        before = digests(run)
        proc = world.fork(*(again if (run / "state.json").exists() else fresh),
                          ALCORE_FAULT_FULL=str(2 + extra))
        if proc.returncode == 0:
            break
        assert proc.returncode == 3, proc.stderr
        found = FULL.search(error_line(proc))
        assert found, proc.stderr
        failures += 1
        kinds.add(re.sub(r"\d+", "N", Path(found.group(1)).name))
        extra = extra + 1 if digests(run) == before else 0
    else:
        raise AssertionError("no progress after a full disk")
    assert outcome(run) == outcome(reference)
    # (the first write of each process, config.yaml at the start, lands; a report that cannot be
    # written is said and skipped, the run's results being safe)
    assert {"dataset.json", "state.json", "checkpoint.pth", "metrics.json", "cache.hN", "selection.json",
            "examples.json", "N.png", "record.json", "results.json"} <= kinds, kinds
    assert failures >= 30, failures


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True)
    return proc.returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("free_kb", [8, 40, 120])
def test_real_full_tmpfs_then_resume(tmp_path, free_kb):
    """A real 1 MiB tmpfs filled to ``free_kb`` KiB free: the run fails with exit 3, resumes exactly."""
    world = World(tmp_path)
    reference = tmp_path / "reference"
    assert world.fork(*world.run_args(reference)).returncode == 0
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "1m"):
        pytest.skip("this platform does not let the test mount a tmpfs")
    try:
        filler = disk / "filler"
        with open(filler, "wb") as fh:
            fh.write(b"\0" * ((1024 - free_kb) * 1024))
        run = disk / "run"
        proc = world.fork(*world.run_args(run))
        assert proc.returncode == 3, proc.stderr
        assert "no space left on the device while writing" in error_line(proc)
        filler.unlink()
        proc = world.fork("run", "--resume", str(run), "-q")
        assert proc.returncode == 0, proc.stderr
        assert outcome(run) == outcome(reference)
    finally:
        shutil.rmtree(disk / "run", ignore_errors=True)
        subprocess.run(["umount", str(disk)], capture_output=True)
