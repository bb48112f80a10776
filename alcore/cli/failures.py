"""Every failure as one line and an exit code: the single place the command line classifies them.

Exit codes: 2 bad input (a file, option or run directory the user can fix), 3 the environment
(a full disk, a missing permission, a read-only file system, memory), 130 interrupted (Ctrl-C),
143 terminated (SIGTERM), 1 a real bug ("unexpected", with ``--debug`` for the traceback).
"""

from __future__ import annotations

import errno
import os
import signal
from typing import Any

from alcore.sdk.errors import AlcoreError, EnvironmentFailure

BAD_INPUT, ENVIRONMENT, BUG, INTERRUPTED, TERMINATED = 2, 3, 1, 130, 143
RESUME = "resume with: alcore run --resume RUN_DIR (or rerun alcore select); nothing finished is lost"

_FULL = (errno.ENOSPC, errno.EDQUOT)
_DENIED = (errno.EACCES, errno.EPERM)
#: messages of libraries that lose the errno of a failed write (torch.save, HDF5)
_FULL_TEXT = ("no space left", "quota exceeded", "unexpected pos", "file write failed")


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so a run ends with a line instead of silence."""


def install_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated` (the durable state is whole at every instant)."""

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (an embedding application): leave the default
        pass


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _os_line(exc: OSError) -> tuple[str, int] | None:
    """A one-line message for an operating-system error, or None where it is not one we know."""
    name = exc.filename if exc.filename is not None else "a file"
    code = exc.errno
    if code in _FULL:
        return (f"no space left on the device while writing {name}; free space (df -h "
                f"{os.path.dirname(str(name)) or '.'}), then {RESUME}", ENVIRONMENT)
    if code in _DENIED:
        return f"permission denied: {name}; make it writable (or choose another path)", ENVIRONMENT
    if code == errno.EROFS:
        return f"read-only file system: {name}; choose a writable --out or ALCORE_DATA", ENVIRONMENT
    if code == errno.ENOTDIR:
        return f"{name}: a part of this path is a file, not a folder; choose another path", BAD_INPUT
    if code == errno.EISDIR:
        return f"{name} is a folder where a file is expected", BAD_INPUT
    if code == errno.ENOENT:
        return f"{name} does not exist", BAD_INPUT
    if code == errno.ENAMETOOLONG:
        return f"{name}: the path is too long", BAD_INPUT
    if code in (errno.EIO, errno.EMFILE, errno.ENFILE, errno.ENOMEM):
        return f"{exc.strerror} ({name}); fix the machine, then {RESUME}", ENVIRONMENT
    return None


def classify(exc: BaseException) -> tuple[str, int]:
    """The one line to print and the exit code for a failure that reached the command line."""
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted; {RESUME}", INTERRUPTED
    if isinstance(exc, Terminated):
        return f"terminated; {RESUME}", TERMINATED
    if isinstance(exc, EnvironmentFailure):
        return str(exc), ENVIRONMENT
    if isinstance(exc, AlcoreError):
        return str(exc), BAD_INPUT
    for link in _chain(exc):
        if isinstance(link, OSError) and (known := _os_line(link)) is not None:
            return known
        if isinstance(link, MemoryError):
            return f"out of memory; use a smaller batch or pool, then {RESUME}", ENVIRONMENT
        if isinstance(link, (KeyboardInterrupt, Terminated)):
            return classify(link)
    text = str(exc).lower()
    if any(t in text for t in _FULL_TEXT):
        return (f"a write failed, most likely on a full disk ({_first(exc)}); free space, then {RESUME}",
                ENVIRONMENT)
    return f"unexpected {type(exc).__name__}: {_first(exc)} (rerun with --debug for the traceback)", BUG


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]
