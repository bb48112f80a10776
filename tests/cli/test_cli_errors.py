"""Bad input gets one line naming the option or file, a non-zero exit, and no traceback."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


def _one_error_line(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_unknown_acquisition_lists_known_names(tmp_path):
    proc = run_cli("run", "--acq", "nosuch", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    line = _one_error_line(proc)
    assert "unknown acquisition 'nosuch'" in line and "random" in line and "entropy" in line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("option, value, expected", [
    ("--dataset", "nosuch", "unknown dataset 'nosuch'"),
    ("--ssl", "nosuch", "unknown ssl 'nosuch'"),
    ("--model", "nosuch", "unknown model 'nosuch'"),
    ("--budget", "0", "--budget must be at least 1"),
    ("--budget", "-3", "--budget must be at least 1"),
    ("--acq-opt", "novalue", "--acq-opt expects key=value"),
])
def test_bad_options(tmp_path, option, value, expected):
    proc = run_cli("run", option, value, "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert expected in _one_error_line(proc)


def test_malformed_config_file(tmp_path):
    bad = tmp_path / "exp.yaml"
    bad.write_text("acq: [oops\n")
    proc = run_cli("run", "--config", str(bad))
    assert proc.returncode == 2
    assert str(bad) in _one_error_line(proc)


def test_resume_of_a_directory_that_is_not_a_run(tmp_path):
    proc = run_cli("run", "--resume", str(tmp_path))
    assert proc.returncode == 2
    assert "is not a run directory" in _one_error_line(proc)


def test_debug_shows_the_traceback(tmp_path):
    proc = run_cli("--debug", "run", "--resume", str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr


def test_plugins_lists_builtins_with_versions():
    proc = run_cli("plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["mmseg"]["distribution"] == "alcore"
    assert "mmseg" in by_name["mmseg"]["registers"]["model"]
    assert {"random", "entropy"} <= set(data["names"]["acquisition"])
    assert "drivesim" in data["names"]["dataset"]
    assert "none" in data["names"]["ssl"]


def test_usage_errors_are_one_line_and_help_is_unchanged(tmp_path):
    """The command-line library's own errors become one ``error:`` line (no box); --help is help."""
    proc = run_cli("run", "--cycles", "abc", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert _one_error_line(proc) == "error: --cycles: 'abc' is not a valid integer (see 'alcore run --help')"
    assert "╭" not in proc.stderr and "Usage:" not in proc.stderr
    proc = run_cli("run", "--help")
    assert proc.returncode == 0 and "Usage: alcore run" in proc.stdout and "error:" not in proc.stderr
