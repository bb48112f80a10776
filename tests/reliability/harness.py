"""Shared pieces of the reliability tests: a real folder dataset, the fake model as an installed
plugin (so subprocess runs take milliseconds per cycle), and what a run's outcome is."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from tests.conftest import ROOT, run_cli

FAKE_PLUGIN = '''
from alcore.sdk import hookimpl
from tests.fakes import FakeModel


@hookimpl
def register_models(register):
    register("fake", FakeModel, help="trains by writing its labeled ids")
'''


def install_fake_plugin(site: Path) -> None:
    """A distribution with an ``alcore`` entry point registering the fake model as ``fake``."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "alcore_test_fake.py").write_text(FAKE_PLUGIN)
    info = site / "alcore_test_fake-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: alcore-test-fake\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[alcore]\nalcore_test_fake = alcore_test_fake\n")


def make_dataset(root: Path, groups: int = 4, frames: int = 4, labeled: bool = True,
                 size: tuple[int, int] = (32, 16)) -> Path:
    """A folder dataset of ``groups`` sequences of ``frames`` images, labels, groups.csv and val/."""
    rng = np.random.default_rng(0)
    w, h = size
    rows = ["id,group,frame"]
    for split, count in (("", groups * frames), ("val/", 2)):
        (root / f"{split}images").mkdir(parents=True, exist_ok=True)
        (root / f"{split}labels").mkdir(parents=True, exist_ok=True)
        for i in range(count):
            stem = f"g{i // frames}-{i % frames}" if not split else f"v{i}"
            label = rng.integers(0, 3, (h, w)).astype(np.uint8)
            image = (label[..., None] * 60 + rng.integers(0, 30, (h, w, 3))).astype(np.uint8)
            cv2.imwrite(str(root / f"{split}images/{stem}.png"), image)
            if labeled or split or i % frames == 0:
                cv2.imwrite(str(root / f"{split}labels/{stem}.png"), label)
            if not split:
                rows.append(f"{stem},g{i // frames},{i % frames}")
    (root / "classes.txt").write_text("road\ncar\nsky\n")
    (root / "groups.csv").write_text("\n".join(rows) + "\n")
    return root


class Result:
    """What a command left behind: exit status (negative: killed by that signal), stdout+stderr."""

    def __init__(self, returncode: int, output: str) -> None:
        self.returncode = returncode
        self.stderr = output
        self.stdout = output


#: modules the commands import lazily: imported once in the parent, shared by every child
WARM = ("alcore.cli", "alcore.experiment", "alcore.loop", "alcore.annotation.session", "alcore.report",
        "alcore.report.render", "alcore_datasets.folder", "alcore_acquisition.plugin", "h5py", "cv2",
        "PIL.PngImagePlugin", "matplotlib.pyplot", "alcore.report.embed", "sklearn.manifold", "threadpoolctl")


#: the registry every forked command uses: alcore's plugins plus the fake model
_REGISTRY = None


def fork_cli(args: list[str], env: dict[str, str], cwd: Path | None = None) -> Result:
    """Run ``alcore ARGS`` in a forked child of this (already warm) process, as its own process.

    The child has its own pid, file descriptors and environment, so SIGKILL, a simulated full
    disk and exit codes behave exactly as in a fresh ``alcore`` process; only Python's start-up
    and imports are shared, which keeps a test that runs the command hundreds of times cheap.
    """
    from alcore import plugins
    from tests.fakes import FakeModel, FakePlugin

    global _REGISTRY
    if _REGISTRY is None:  # the parent's own registry stays as other tests left it
        _REGISTRY = plugins.build_registry(extra_plugins=[("fake", FakePlugin)])
        for name in WARM:  # imported once here rather than in every child
            importlib.import_module(name)
    FakeModel.built.clear()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read)
            os.dup2(write, 1)
            os.dup2(write, 2)
            sys.stdout = open(1, "w", closefd=False)  # not pytest's capture objects
            sys.stderr = open(2, "w", closefd=False)
            os.environ.update(env)
            plugins._REGISTRY = _REGISTRY
            if cwd is not None:
                os.chdir(cwd)
            from alcore.cli import app
            from alcore.sdk import faults

            faults._counts.clear()
            try:
                app(args, prog_name="alcore")
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    chunks = []
    with os.fdopen(read, "rb") as fh:
        while block := fh.read(1 << 16):
            chunks.append(block)
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return Result(code, b"".join(chunks).decode(errors="replace"))


class World:
    """One test's environment: the fake plugin installed, a data home, a dataset."""

    def __init__(self, tmp: Path, labeled: bool = True) -> None:
        self.tmp = tmp
        site = tmp / "site"
        install_fake_plugin(site)
        path = os.pathsep.join([str(site), str(ROOT), str(ROOT / "plugins"),
                                os.environ.get("PYTHONPATH", "")])
        self.env = {"PYTHONPATH": path, "ALCORE_DATA": str(tmp / "data-home"), "OMP_NUM_THREADS": "1"}
        self.data = make_dataset(tmp / "dataset", labeled=labeled)

    def run_args(self, out: Path, *extra: str) -> list[str]:
        return ["run", "--dataset", "folder", "--dataset-opt", f"root={self.data}", "--model", "fake",
                "--acq", "entropy", "--initial", "3", "--budget", "2", "--cycles", "3", "--seed", "5",
                "--out", str(out), "-q", *extra]

    def select_args(self, out: Path, first: bool) -> list[str]:
        new = ["--dataset", "folder", "--dataset-opt", f"root={self.data}", "--model", "fake",
               "--seed", "5"] if first else []
        return ["select", "--out", str(out), *new, "--acq", "entropy", "--budget", "3", "-q"]

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """A fresh ``alcore`` process (the fake model comes through its installed distribution)."""
        return run_cli(*args, env={**self.env, **env}, timeout=300)

    def fork(self, *args: str, **env: str) -> Result:
        """``alcore`` in a forked child: see :func:`fork_cli`."""
        fault = {"ALCORE_FAULT_KILL": "", "ALCORE_FAULT_FULL": ""}
        return fork_cli(list(args), {**self.env, **fault, **env})


def outcome(run: Path) -> dict:
    """What must not differ between an interrupted and an uninterrupted run: labels, picks, curve."""
    state = json.loads((run / "state.json").read_text())
    cycles = {}
    for d in sorted((run / "cycles").iterdir()):
        entry = {}
        for name in ("selection.json", "batch.json"):
            if (d / name).is_file():
                data = json.loads((d / name).read_text())
                picks = data.get("ids") or data["items"]
                entry[name] = [i if isinstance(i, str) else i["id"] for i in picks]
        if (d / "metrics.json").is_file():
            entry["mIoU"] = json.loads((d / "metrics.json").read_text())["mIoU"]
        if (d / "record.json").is_file():
            record = json.loads((d / "record.json").read_text())
            entry["labeled"] = record["labeled"]
        cycles[d.name] = entry
    out = {"labeled": [(r["id"], r["cycle"], r["strategy"]) for r in state["labeled"]], "cycles": cycles}
    if (run / "results.json").is_file():
        out["curve"] = json.loads((run / "results.json").read_text())["curve"]
    return out


def digests(root: Path) -> dict[str, str]:
    """Every file under ``root`` (but the lock) with its SHA-256: "nothing changed" is equality."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def error_line(proc: subprocess.CompletedProcess) -> str:
    """The one ``error:`` line of a failed command; fails on tracebacks or "unexpected"."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    assert "unexpected" not in lines[0], lines[0]
    return lines[0]
