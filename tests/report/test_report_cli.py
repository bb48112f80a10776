"""``python -m alcore.cli report``: writes the files, and names a path that is not a run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reportruns import make_run


def alcore(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alcore.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_report_command_writes_markdown_and_html(tmp_path: Path) -> None:
    a = make_run(tmp_path, "random", 0, [20.0, 30.0, 40.0])
    b = make_run(tmp_path, "entropy", 0, [20.0, 25.0, 28.0], collapse=True)
    done = alcore("report", str(a), str(b), "--out", str(tmp_path / "rep"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "report.html" in done.stdout
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "Difference to random at equal budget" in html and "data:image/png;base64," in html
    assert (tmp_path / "rep" / "report.md").is_file()


def test_report_command_default_out_for_several_runs_is_report_folder(tmp_path: Path) -> None:
    a = make_run(tmp_path, "random", 0, [20.0, 30.0])
    b = make_run(tmp_path, "random", 1, [21.0, 29.0])
    done = alcore("report", str(a), str(b), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report" / "report.html").is_file()


def test_report_command_names_a_path_that_is_not_a_run(tmp_path: Path) -> None:
    run = make_run(tmp_path, "random", 0, [20.0, 30.0])
    done = alcore("report", str(run), str(tmp_path / "nowhere"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {tmp_path / 'nowhere'} is not a run directory (no config.yaml)"
