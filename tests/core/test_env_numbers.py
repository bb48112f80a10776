"""Every numeric ALCORE_* setting rejects a non-number with a one-line error naming it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from alcore.cycle import stream_bytes
from alcore.progress import Reporter
from alcore.sdk.atomic import max_json_bytes
from alcore.sdk.errors import ConfigError

SETTINGS: list[tuple[str, Callable[[], object], object]] = [
    ("ALCORE_STREAM_MB", stream_bytes, 3 << 20),
    ("ALCORE_MAX_JSON_MB", max_json_bytes, 3 << 20),
    ("ALCORE_PROGRESS_INTERVAL", lambda: Reporter(quiet=True).interval, 3.0),
]


@pytest.mark.parametrize(("name", "read", "three"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_numeric_settings_are_read_and_bad_values_named(
    monkeypatch: pytest.MonkeyPatch, name: str, read: Callable[[], object], three: object
) -> None:
    monkeypatch.setenv(name, "3")
    assert read() == three
    monkeypatch.setenv(name, "lots")
    with pytest.raises(ConfigError, match=f"{name} must be a number, got 'lots'"):
        read()


def test_bad_setting_from_the_cli_is_one_line_and_exit_2(tmp_path) -> None:
    env = {"ALCORE_PROGRESS_INTERVAL": "soon", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "alcore.cli", "run", "-q", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ["error: ALCORE_PROGRESS_INTERVAL must be a number, got 'soon'"], done.stderr
    assert "Traceback" not in done.stderr
