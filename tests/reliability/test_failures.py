"""The one place failures are classified: each kind gets its line and its exit code."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys

import pytest

from alcore.cli.failures import BAD_INPUT, BUG, ENVIRONMENT, INTERRUPTED, TERMINATED, Terminated, classify
from alcore.sdk.errors import ConfigError, CorruptFileError, EnvironmentFailure


def oserror(code: int, name: str = "/runs/r/state.json") -> OSError:
    return OSError(code, os.strerror(code), name)


@pytest.mark.parametrize("exc, code, fragment", [
    (oserror(errno.ENOSPC), ENVIRONMENT, "no space left on the device while writing /runs/r/state.json"),
    (oserror(errno.EDQUOT), ENVIRONMENT, "no space left"),
    (oserror(errno.EACCES), ENVIRONMENT, "permission denied: /runs/r/state.json"),
    (oserror(errno.EROFS), ENVIRONMENT, "read-only file system: /runs/r/state.json"),
    (oserror(errno.ENOTDIR, "/a/file/run"), BAD_INPUT, "/a/file/run: a part of this path is a file"),
    (oserror(errno.ENOENT, "/x.yaml"), BAD_INPUT, "/x.yaml does not exist"),
    (RuntimeError("[enforce fail at inline_container.cc:603] . unexpected pos 128 vs 64"), ENVIRONMENT,
     "most likely on a full disk"),
    (ConfigError("--budget must be at least 1"), BAD_INPUT, "--budget must be at least 1"),
    (CorruptFileError("/r/state.json", "not valid JSON"), BAD_INPUT, "/r/state.json is damaged"),
    (EnvironmentFailure("GPU out of memory"), ENVIRONMENT, "GPU out of memory"),
    (KeyboardInterrupt(), INTERRUPTED, "interrupted; resume with"),
    (Terminated(), TERMINATED, "terminated; resume with"),
    (MemoryError(), ENVIRONMENT, "out of memory"),
    (KeyError("bug"), BUG, "unexpected KeyError"),
])
def test_classify(exc, code, fragment):
    message, got = classify(exc)
    assert got == code and fragment in message and "\n" not in message


def test_a_wrapped_cause_is_found():
    try:
        try:
            raise oserror(errno.ENOSPC, "/runs/r/cache.h5")
        except OSError as inner:
            raise RuntimeError("h5py could not flush") from inner
    except RuntimeError as outer:
        message, code = classify(outer)
    assert code == ENVIRONMENT and "/runs/r/cache.h5" in message


def test_ctrl_c_inside_a_library_that_reraises_is_an_interrupt():
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SyntaxError("invalid syntax while formatting")  # noqa: B904 - as a formatter does
    except SyntaxError as exc:
        assert classify(exc)[1] == INTERRUPTED


def test_sigterm_ends_a_command_with_a_line(tmp_path):
    """A real process: SIGTERM while the command waits gives the line and exit 143, not silence."""
    code = (
        "import os, signal, sys, threading\n"
        "from alcore.cli.common import guarded\n"
        "def wait():\n"
        "    print('ready', flush=True)\n"
        "    threading.Event().wait(60)\n"
        "guarded(wait)()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == TERMINATED
    assert err.strip() == ("error: terminated; resume with: alcore run --resume RUN_DIR "
                           "(or rerun alcore select); nothing finished is lost")
