"""Small things of daily use: option types, file modes, progress in logs, pipes, flags, help."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from alcore import yamlio
from alcore.cli.bench_cmd import typed
from alcore.config import resolve
from alcore.datatools import class_frequencies, read_label
from alcore.progress import Reporter
from alcore.sdk.atomic import write_json, write_text
from alcore.sdk.dataset import Sample

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}


def alcore(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alcore.cli", *args], capture_output=True, text=True, env=ENV, cwd=cwd,
        timeout=300,
    )


def test_drive_names_stay_strings_in_options_and_config_files(tmp_path: Path) -> None:
    assert typed({"val_drives": "20180925_112730", "frames": "5", "lr": "0.5", "warm": "true"}) == {
        "val_drives": "20180925_112730", "frames": 5, "lr": 0.5, "warm": True,
    }
    assert typed({"name": "yes", "t": "1:30"}) == {"name": "yes", "t": "1:30"}
    cfg = tmp_path / "exp.yaml"
    cfg.write_text("dataset: a2d2\ndataset_options: {val_drives: 20180925_112730, val_fraction: 0.25}\n")
    run = resolve(cfg, {})
    assert run.dataset_options == {"val_drives": "20180925_112730", "val_fraction": 0.25}
    loaded = yamlio.load("a: 0x10\nb: -3\nc: 1e-3\nd: .inf\n")
    assert loaded == {"a": 16, "b": -3, "c": 0.001, "d": float("inf")}


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_run_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_text(tmp_path / "report.html", "<html></html>")
        write_json(tmp_path / "state.json", {"a": 1})
    finally:
        os.umask(old)
    for name in ("report.html", "state.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_progress_lines_off_a_terminal() -> None:
    buf = io.StringIO()
    reporter = Reporter(console=Console(file=buf, force_terminal=False, width=200), interval=0.0)
    with reporter.task("training", total=40) as update:
        for i in range(1, 41):
            update(i, 40)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    assert lines and all(ln.startswith("  training: ") for ln in lines)
    assert "10/40 (25%)" in buf.getvalue()
    quiet = io.StringIO()
    with Reporter(quiet=True, console=Console(file=quiet), interval=0.0).task("x", 3) as update:
        update(1, 3)
    assert quiet.getvalue() == ""
    slow = io.StringIO()
    with Reporter(console=Console(file=slow, force_terminal=False), interval=3600).task("x", 3) as update:
        update(1, 3)
    assert slow.getvalue() == ""  # at most one line per interval


def test_palette_png_labels_are_read_as_indices(tmp_path: Path) -> None:
    ids = np.zeros((4, 6), np.uint8)
    ids[:2] = 1
    ids[0, 0] = 255
    img = Image.fromarray(ids, mode="P")
    img.putpalette([0, 0, 0, 128, 64, 128] + [0, 0, 0] * 253 + [255, 255, 255])
    path = tmp_path / "2007_000032.png"
    img.save(path)
    assert Image.open(path).mode == "P"
    assert np.array_equal(read_label(path), ids)
    freqs = class_frequencies([Sample("a", path, path)], ["background", "road"], 255)
    assert freqs["unknown_values"] == 0
    assert freqs["frequencies"] == pytest.approx({"background": 12 / 23, "road": 11 / 23})


def test_status_into_head_ends_quietly() -> None:
    done = subprocess.run(
        f"{sys.executable} -m alcore.cli plugins --params | head -n 1",
        shell=True, capture_output=True, text=True, env=ENV, timeout=300,
    )
    assert done.stdout.strip()
    for word in ("BrokenPipe", "unexpected", "Traceback"):
        assert word not in done.stderr


def test_debug_is_accepted_after_the_subcommand(tmp_path: Path) -> None:
    late = alcore("report", str(tmp_path / "nope"), "--debug")
    assert "No such option" not in late.stderr
    assert late.returncode == 2 and "Traceback" in late.stderr  # --debug took effect
    plain = alcore("report", str(tmp_path / "nope"))
    assert plain.returncode == 2 and "Traceback" not in plain.stderr


def test_select_help_says_the_first_call_fixes_model_options() -> None:
    done = alcore("select", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "first call creates the run and fixes its settings, model options included" in text


def test_readme_baseline_compares_like_with_like() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    runs = [ln for ln in quick.splitlines() if ln.startswith("alcore run")]
    seeds = {ln.split("--seed", 1)[1].split()[0] if "--seed" in ln else "0" for ln in runs}
    assert len(runs) >= 2 and seeds == {"0"}, runs
    assert "seed" in quick


def test_plugins_params_show_each_options_bounds() -> None:
    from tests.conftest import run_cli

    text = run_cli("plugins", "--params").stdout
    assert "iters=120 [1..1e+07]" in text and "lr=None [0..1000]" in text
    assert "warm_start=True," in text  # a boolean has no range
    data = json.loads(run_cli("plugins", "--json").stdout)
    iters = next(q for q in data["names"]["model"]["mmseg"]["params"] if q["name"] == "iters")
    assert (iters["low"], iters["high"]) == (1, 10_000_000)
