"""Delete or truncate each file of a run stopped inside a cycle, in turn, and resume: the answer is
a named error that changes nothing, or an exact recovery, never a different labeled set or curve."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability.harness import World, digests, error_line, outcome

#: files whose loss cannot be recovered exactly: the resume must name them (and change nothing)
PRIMARY = {"state.json", "config.yaml"}


def damage(path: Path, how: str) -> None:
    if how == "delete":
        path.unlink()
    else:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[World, Path, Path]:
    root = tmp_path_factory.mktemp("runfiles")
    world = World(root)
    done = root / "done"
    assert world.fork(*world.run_args(done)).returncode == 0
    partial = root / "partial"
    shutil.copytree(done, partial)
    shutil.rmtree(partial / "cycles" / "003")
    for name in ("cycles/002/record.json", "cycles/002/metrics.json", "results.json", "report.html"):
        (partial / name).unlink()
    return world, done, partial


def files_of(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*")
                  if p.is_file() and not p.name.startswith(".") and "report" not in p.parts[0])


@pytest.mark.slow
@pytest.mark.parametrize("how", ["delete", "truncate"])
def test_each_run_file_in_turn(runs, tmp_path, how):
    world, done, partial = runs
    expected = outcome(done)
    checked = {"error": [], "recovered": []}
    for name in files_of(partial):
        run = tmp_path / f"{how}-{name.replace('/', '_')}"
        shutil.copytree(partial, run)
        damage(run / name, how)
        before = digests(run)
        proc = world.fork("run", "--resume", str(run), "-q")
        if proc.returncode == 0:
            assert name not in PRIMARY, f"{how} {name}: resumed without a word"
            assert outcome(run) == expected, f"{how} {name}: a different labeled set or curve"
            checked["recovered"].append(name)
        else:
            line = error_line(proc)
            assert proc.returncode == 2, proc.stderr
            assert Path(name).name in line or "cycles/" in line, f"{how} {name}: {line}"
            assert digests(run) == before, f"{how} {name}: a failed resume changed the run"
            checked["error"].append(name)
        shutil.rmtree(run)
    # the primary files are named; every derived one is recomputed exactly
    assert PRIMARY <= set(checked["error"]), checked
    assert len(checked["recovered"]) >= 10, checked
