"""Named crash points and a simulated full disk, so tests can break a run at a chosen moment.

Set ``ALCORE_FAULT_KILL=NAME:N`` and the process kills itself with SIGKILL the N-th time it
reaches the point ``NAME`` (``write`` before a durable file's rename, ``replaced`` right after
it, ``train-iter``, ``evaluate``, ``score-chunk``, ``select``). Set ``ALCORE_FAULT_FULL=N`` and
the N-th durable write of the process, and every later one, fails with ``ENOSPC`` as on a full
disk (``cache`` writes count too). Unset, a point costs one dictionary lookup.
"""

from __future__ import annotations

import errno
import os
import signal

ENV = "ALCORE_FAULT_KILL"
FULL_ENV = "ALCORE_FAULT_FULL"
_counts: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    spec = os.environ.get(ENV, "")
    name, _, count = spec.partition(":")
    if not name or not count.isdigit():
        return None
    return name, int(count)


def point(name: str, detail: object = None) -> None:
    """Mark a crash point; kills the process here if ``ALCORE_FAULT_KILL`` says so.

    Before dying it prints ``fault: NAME DETAIL`` on stderr (the file being written, for the
    write points), so a test knows which boundary it hit.
    """
    target = _target()
    if target is None or target[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == target[1]:
        os.write(2, f"fault: {name} {detail if detail is not None else ''}\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)


def disk_write(path: object) -> None:
    """Mark a durable write of ``path``; fails with ENOSPC from the ``ALCORE_FAULT_FULL``-th on."""
    spec = os.environ.get(FULL_ENV, "")
    if not spec.isdigit():
        return
    _counts["\0full"] = _counts.get("\0full", 0) + 1
    if _counts["\0full"] >= int(spec):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
