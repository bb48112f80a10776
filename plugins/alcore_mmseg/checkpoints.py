"""Load the engine's own MMEngine checkpoints on torch >= 2.6 through an ``alcore://`` scheme.

torch >= 2.6 unpickles checkpoints weights-only by default, so MMEngine's ``resume`` (whose
checkpoints hold the message hub's history buffers and numpy values) and
``mmseg.apis.init_model`` fail on checkpoints MMEngine wrote itself. This module registers a
loader with MMEngine's public :meth:`CheckpointLoader.register_scheme`: ``alcore://PATH`` names
a local file.

Trust boundary: full unpickling (``weights_only=False``, which can execute code stored in the
file) happens only for a regular local file inside a directory this engine writes: one registered
with :func:`trust_directory` in this process (each training cycle registers its work directory),
or a cycle directory of an alcore run (``RUN/cycles/NNN/...`` where ``RUN/config.yaml`` exists).
Any other path loads weights-only, exactly as plain torch would, and a file that needs more
fails with an error that says so. Never point ``alcore://`` at files from elsewhere; plain paths
and URLs keep MMEngine's own loaders.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

SCHEME = "alcore://"
_trusted: set[Path] = set()
_registered = False


def uri(path: str | Path) -> str:
    """The ``alcore://`` name of a local checkpoint (absolute, so it survives a change of directory)."""
    return SCHEME + str(Path(path).resolve())


def trust_directory(path: str | Path) -> None:
    """Mark a directory whose checkpoints this process writes as trusted for full unpickling."""
    _trusted.add(Path(path).resolve())


def _in_run_cycle(path: Path) -> bool:
    parts = path.parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] == "cycles" and parts[i + 1].isdigit():
            return (Path(*parts[:i]) / "config.yaml").is_file()
    return False


def is_trusted(path: str | Path) -> bool:
    """Whether ``path`` is a regular local file inside a directory the engine writes."""
    real = Path(path).resolve()
    if not real.is_file():
        return False
    return any(real.is_relative_to(root) for root in _trusted) or _in_run_cycle(real)


def load_from_alcore(filename: str, map_location: Any = None) -> Any:
    """MMEngine loader for ``alcore://PATH``: full unpickling inside the trust boundary, else weights-only."""
    path = Path(filename[len(SCHEME) :]) if filename.startswith(SCHEME) else Path(filename)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint '{path}' does not exist")
    if is_trusted(path):
        return torch.load(path, map_location=map_location, weights_only=False)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        raise pickle.UnpicklingError(
            f"checkpoint '{path}' holds more than weights and lies outside the directories alcore "
            "writes, so it is not unpickled; load it from its run directory or call "
            "alcore_mmseg.checkpoints.trust_directory() on a directory you trust"
        ) from None


def register() -> None:
    """Register the ``alcore://`` scheme with MMEngine's checkpoint loader (once per process)."""
    global _registered
    if _registered:
        return
    from mmengine.runner.checkpoint import CheckpointLoader

    CheckpointLoader.register_scheme(prefixes=SCHEME, loader=load_from_alcore, force=True)
    _registered = True
