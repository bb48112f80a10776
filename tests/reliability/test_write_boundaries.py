"""SIGKILL at every durable-write boundary of ``alcore run`` and ``alcore select``, found by the
atomic writer itself (and the HDF5 cache's chunk writes), before and after each rename.

A chain of processes each dies at the next boundary: ``write:2`` lands one write and dies with
the next one's temporary file complete but not renamed; ``replaced:1`` dies right after a rename.
Every process resumes (or restarts, where it died before the run existed) where the previous
one died, so the chain crosses every boundary of an uninterrupted run in turn, and it must end
with the same labeled set, picks and curve as that run.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.harness import World, digests, outcome

KILLS = {"write:2": "before the rename", "replaced:1": "after the rename"}


def boundary(output: str) -> str:
    """The file a killed process was writing."""
    found = re.search(r"^fault: \w+ (.*)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def kind(path: str) -> str:
    """A boundary's kind: the file's name without cycle numbers."""
    return re.sub(r"\d+", "N", path.rsplit("/", 1)[-1])


def run_chain(world: World, fresh: list[str], again: list[str], calls: int, kill: str,
              finished: Callable[[Path], int] | None = None) -> tuple[int, set]:
    """Run until ``calls`` commands succeed, each process killed at the next boundary; kills and kinds.

    A process that rewrites a file with the same content first (a restart rewriting
    ``config.yaml``, a finished run rewriting ``results.json``) would die at the same boundary
    forever, so where a kill left the run's files as they were, the next process dies one write
    later; after progress the next one dies at the first new write again, so no boundary is skipped.
    """
    point, first = kill.split(":")
    run = world.tmp / "killed"
    # the very first process dies at the first write, so the first boundary is crossed too
    kills, kinds, done, started, extra = 0, set(), 0, False, 1 - int(first)
    for _ in range(1500):
        before = durable(run)
        proc = world.fork(*(again if started else fresh), ALCORE_FAULT_KILL=f"{point}:{int(first) + extra}")
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            kinds.add(kind(boundary(proc.stderr)))
            extra = extra + 1 if durable(run) == before else 0
            started = started or (run / "state.json").exists()
            if finished is not None and finished(run) > done:  # killed after its last durable write
                done, extra = finished(run), 0
                if done == calls:
                    return kills, kinds
            continue
        assert proc.returncode == 0, proc.stderr
        assert "fault:" not in proc.stderr
        done += 1
        started, extra = True, 0
        if done == calls:
            return kills, kinds
    raise AssertionError("the chain of kills made no progress")


def durable(run: Path) -> dict[str, str]:
    """The run's files but temporaries: what a kill may have changed."""
    return {k: v for k, v in digests(run).items() if not k.rsplit("/", 1)[-1].startswith(".")}


@pytest.mark.slow
@pytest.mark.parametrize("kill", sorted(KILLS))
def test_run_killed_at_every_write_resumes_exactly(tmp_path, kill):
    world = World(tmp_path)
    two = ["--cycles", "2"]  # two cycles cross every kind of boundary; a third only repeats them
    assert world.fork(*world.run_args(tmp_path / "reference", *two)).returncode == 0
    run = tmp_path / "killed"
    kills, kinds = run_chain(world, world.run_args(run, *two), ["run", "--resume", str(run), "-q"], 1, kill)
    assert outcome(run) == outcome(tmp_path / "reference")
    # every kind of durable file of a run was a boundary the chain crossed
    assert {"config.yaml", "dataset.json", "state.json", "checkpoint.pth", "metrics.json", "cache.hN",
            "selection.json", "examples.json", "N.png", "record.json", "results.json",
            "report.html"} <= kinds, kinds
    assert kills >= 40, kills


@pytest.mark.slow
@pytest.mark.parametrize("kill", sorted(KILLS))
def test_select_killed_at_every_write_resumes_exactly(tmp_path, kill):
    world = World(tmp_path, labeled=False)
    reference = tmp_path / "reference"
    for first in (True, False):
        proc = world.fork(*world.select_args(reference, first))
        assert proc.returncode == 0, proc.stderr
    run = tmp_path / "killed"
    kills, kinds = run_chain(world, world.select_args(run, True), world.select_args(run, False), 2, kill,
                             finished=lambda r: len(list(r.glob("cycles/*/batch.json"))))
    assert outcome(run) == outcome(reference)
    assert {"config.yaml", "dataset.json", "state.json", "plan.json", "checkpoint.pth", "metrics.json",
            "cache.hN", "selection.json", "batch.json", "record.json"} <= kinds, kinds
    assert kills >= 15, kills
