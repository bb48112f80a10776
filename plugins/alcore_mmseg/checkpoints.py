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


class _Inert:
    """Stands in for any non-tensor object of a checkpoint: built from nothing, runs no code."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Inert:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


def load_safely(path: str | Path) -> Any:
    """Unpickle a checkpoint weights-only; every non-tensor object in it becomes an inert stand-in.

    torch's weights-only unpickler refuses MMEngine's own ``iter_N.pth`` (message hub, numpy
    values); here each global it refuses is mapped to a class that executes nothing, so tensors,
    dicts and plain values come back and no code stored in the file ever runs.
    """
    path = Path(path)
    names = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    stubs = [(type(n.rsplit(".", 1)[-1], (_Inert,), {}), n) for n in names]
    with torch.serialization.safe_globals(stubs):
        return torch.load(path, map_location="cpu", weights_only=True)


def _strip_common_prefix(state: dict) -> dict:
    for prefix in ("module.", "segmentor."):
        if state and all(isinstance(k, str) and k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items()}
    return state


def read_weights(path: str | Path) -> tuple[dict, dict]:
    """(state dict, dataset meta) of an alcore, MMEngine (``iter_N.pth``) or plain state-dict file."""
    ckpt = load_safely(path)
    meta: dict = {}
    if isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict):
        raw_meta = ckpt.get("meta")
        dataset_meta = raw_meta.get("dataset_meta") if isinstance(raw_meta, dict) else None
        classes = dataset_meta.get("classes") if isinstance(dataset_meta, dict) else None
        if isinstance(classes, (list, tuple)) and all(isinstance(c, str) for c in classes):
            meta["classes"] = list(classes)
        ckpt = ckpt["state_dict"]
    if not isinstance(ckpt, dict) or not any(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise ValueError("no state dict (a mapping of names to tensors) in the file")
    state = {k: v for k, v in ckpt.items() if isinstance(v, torch.Tensor)}
    return _strip_common_prefix(state), meta
