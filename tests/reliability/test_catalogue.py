"""Runs the bad-input catalogue (``catalogue.CASES``): every case one line naming the file or
option, never "unexpected" or a traceback, the exit code it specifies, nothing computed lost."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.reliability.catalogue import CASES, Case, Ctx
from tests.reliability.harness import World, digests, error_line, outcome


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[World, Path, Path]:
    """A dataset, a finished run and a copy of it stopped inside cycle 2 (selected, not finished)."""
    root = tmp_path_factory.mktemp("catalogue")
    world = World(root)
    done = root / "done"
    proc = world.fork(*world.run_args(done))
    assert proc.returncode == 0, proc.stderr
    partial = root / "partial"
    shutil.copytree(done, partial)
    shutil.rmtree(partial / "cycles" / "003")
    for name in ("record.json", "metrics.json"):
        (partial / "cycles" / "002" / name).unlink()
    for name in ("results.json", "report.html"):
        (partial / name).unlink()
    return world, done, partial


def test_catalogue_is_large_and_covers_every_kind():
    kinds = Counter(c.kind for c in CASES)
    assert len(CASES) >= 120, len(CASES)
    assert set(kinds) == {"options", "configs", "datasets", "run files", "annotation", "disk"}, kinds
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, base, tmp_path):
    world, done, partial = base
    ctx = Ctx(tmp=tmp_path, data=tmp_path / "dataset", done=tmp_path / "done", partial=tmp_path / "partial",
              new=tmp_path / "new", env={})
    shutil.copytree(world.data, ctx.data)
    shutil.copytree(done, ctx.done)
    shutil.copytree(partial, ctx.partial)
    args = case.breaks(ctx)
    watched = {"done": ctx.done, "partial": ctx.partial, "partial-locked": ctx.partial,
               "new-dir": ctx.new, "new-file": ctx.new}.get(case.keep)
    before = digests(watched) if watched is not None and watched.is_dir() else None
    holder = None
    if case.keep == "partial-locked":
        holder = os.open(ctx.partial / ".lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        proc = world.fork(*args, **ctx.env)
    finally:
        if holder is not None:
            os.close(holder)
    assert proc.returncode == case.code, proc.stderr
    if case.code == 0:
        assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr
        assert case.fragment in proc.stderr
        assert outcome(ctx.partial) == outcome(done)
        return
    line = error_line(proc)
    assert case.fragment in line, line
    if before is not None:
        assert digests(watched) == before, "a failed command changed files it had no business changing"
    if case.keep == "new":
        assert not ctx.new.exists(), "a refused new run left a directory behind"
    if case.keep == "new-file":
        assert ctx.new.read_text() == "x"
