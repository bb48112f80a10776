"""Named crash points, so tests can kill a run at a chosen moment and check that it resumes exactly.

Set ``ALCORE_FAULT_KILL=NAME:N`` and the process kills itself with SIGKILL the N-th time it
reaches the point ``NAME`` (``write``, ``train-iter``, ``evaluate``, ``score-chunk``, ``select``).
Unset, a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "ALCORE_FAULT_KILL"
_counts: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    spec = os.environ.get(ENV, "")
    name, _, count = spec.partition(":")
    if not name or not count.isdigit():
        return None
    return name, int(count)


def point(name: str) -> None:
    """Mark a crash point; kills the process here if ``ALCORE_FAULT_KILL`` says so."""
    target = _target()
    if target is None or target[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
