"""Load the engine's own MMEngine checkpoints on torch >= 2.6 through an ``alcore://`` scheme.

torch >= 2.6 unpickles checkpoints weights-only by default, so MMEngine's ``resume`` (whose
checkpoints hold the message hub's history buffers and numpy values) and
``mmseg.apis.init_model`` fail on checkpoints MMEngine wrote itself. This module registers a
loader with MMEngine's public :meth:`CheckpointLoader.register_scheme`: ``alcore://PATH`` names
a local file.

Trust boundary: full unpickling (``weights_only=False``, which can execute code stored in the
file) happens only for a checkpoint alcore wrote and can prove it wrote: when alcore writes one
(a cycle's weights, the MMSeg-native loop's Runner checkpoints) it records the file's keyed
digest beside it (:func:`sign`, see :mod:`alcore.sdk.provenance`), and the loader checks that
digest against the very bytes it then unpickles. Where the file lies proves nothing: a file
without a digest that checks loads weights-only, exactly as plain torch would, and a file that
needs more is refused with an error naming it. Plain paths and URLs keep MMEngine's own loaders.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import torch

from alcore.sdk import provenance
from alcore.sdk.errors import StateError

SCHEME = "alcore://"
_registered = False


def uri(path: str | Path) -> str:
    """The ``alcore://`` name of a local checkpoint (absolute, so it survives a change of directory)."""
    return SCHEME + str(Path(path).resolve())


def sign(path: str | Path) -> bool:
    """Record that alcore wrote the checkpoint ``path``, so ``alcore://`` may unpickle it in full."""
    return provenance.sign(path)


def is_trusted(path: str | Path) -> bool:
    """Whether ``path`` is a regular local file whose recorded digest proves alcore wrote it."""
    path = Path(path)
    if not path.is_file():
        return False
    return provenance.proven(path, path.read_bytes())


class UntrustedCheckpoint(StateError):
    """A checkpoint that needs full unpickling, without proof that alcore wrote it."""


def load_from_alcore(filename: str, map_location: Any = None) -> Any:
    """MMEngine loader for ``alcore://PATH``: full unpickling of proven files only, else weights-only."""
    path = Path(filename[len(SCHEME) :]) if filename.startswith(SCHEME) else Path(filename)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint '{path}' does not exist")
    data = path.read_bytes()  # the bytes checked are the bytes unpickled
    if provenance.proven(path, data):
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=False)
    try:
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        raise UntrustedCheckpoint(
            f"checkpoint '{path}' holds more than weights and nothing proves alcore wrote it, so it "
            "is not unpickled",
            hint="load its weights only (alcore_mmseg.checkpoints.read_weights), or, if you wrote it "
                 "yourself, vouch for it once with alcore_mmseg.checkpoints.sign(path)",
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
