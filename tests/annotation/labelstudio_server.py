"""A real Label Studio for tests: pip-installed once into its own virtual environment under .cache/.

The first use installs ``label-studio==VERSION`` and migrates an empty database with one user into a
template data folder (minutes); every test session then copies the template and starts the server
on 127.0.0.1 and a free port (seconds). An install that fails fails the tests, with pip's words.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

VERSION = "1.23.2"
#: what Label Studio 1.23.2 declares too loosely: sentry-sdk 3 dropped an option its start-up passes
PINS = ("sentry-sdk<3",)
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "labelstudio"
USER, PASSWORD = "annotator@example.com", "alcore-test-pass"
TOKEN = "a1c0re0000000000000000000000000000000001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv() -> Path:
    """The virtual environment holding Label Studio, installed on first use."""
    where = CACHE / f"venv-{VERSION}"
    stamp = " ".join((VERSION, *PINS)) + "\n"
    marker = where / ".installed"
    if marker.is_file() and marker.read_text() == stamp:
        return where
    shutil.rmtree(where, ignore_errors=True)
    where.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(where)],
        [str(where / "bin" / "pip"), "install", "-q", f"label-studio=={VERSION}", *PINS],
    ]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True)
        if proc.returncode:
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            pytest.fail(
                f"installing label-studio=={VERSION} failed ({' '.join(step[:3])}): {tail}", pytrace=False
            )
    marker.write_text(stamp)
    return where


def environment(data: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        # the ML backend runs on this machine: Label Studio must be allowed to call 127.0.0.1
        "USE_DEFAULT_BANNED_SUBNETS": "false",
        "HOST": f"http://127.0.0.1:{port}",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "false",
    }


def start(env_dir: Path, data: Path, port: int, log: Path) -> subprocess.Popen:
    cmd = [
        str(env_dir / "bin" / "label-studio"),
        "start",
        "--no-browser",
        "--internal-host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data),
        "--username",
        USER,
        "--password",
        PASSWORD,
        "--user-token",
        TOKEN,
    ]
    with open(log, "ab") as fh:
        return subprocess.Popen(cmd, env=environment(data, port), stdout=fh, stderr=subprocess.STDOUT)


def wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            pytest.fail(f"Label Studio exited ({proc.returncode}): {log.read_text()[-1500:]}", pytrace=False)
        try:
            answer = httpx.get(f"{url}/api/projects", headers={"Authorization": f"Token {TOKEN}"}, timeout=5)
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    proc.kill()
    pytest.fail(
        f"Label Studio did not answer within {timeout:.0f}s: {log.read_text()[-1500:]}", pytrace=False
    )


def template(env_dir: Path) -> Path:
    """A data folder with a migrated database and the test user, made once."""
    where = CACHE / f"data-{VERSION}"
    if (where / ".ready").is_file():
        return where
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    port = free_port()
    log = CACHE / "template.log"
    proc = start(env_dir, where, port, log)
    try:
        wait_up(f"http://127.0.0.1:{port}", proc, log, timeout=1200)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    (where / ".ready").write_text(VERSION + "\n")
    return where


@contextmanager
def label_studio(tmp: Path) -> Iterator[dict]:
    """A running Label Studio on a copy of the template data: its URL and the user's token."""
    env_dir = venv()
    data = tmp / "ls-data"
    shutil.copytree(template(env_dir), data)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "label-studio.log"
    proc = start(env_dir, data, port, log)
    try:
        wait_up(url, proc, log, timeout=300)
        yield {"url": url, "token": TOKEN, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
