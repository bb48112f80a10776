"""Where data and caches live, and crash-safe writes into them."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from alcore.sdk.errors import DataError


def data_home() -> Path:
    """The root for generated data and caches: ``$ALCORE_DATA`` or ``~/.cache/alcore/data``."""
    env = os.environ.get("ALCORE_DATA", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "alcore" / "data"


def stable_hash(obj: Any, length: int = 12) -> str:
    """A short hex digest of a JSON-serialisable value, stable across runs and machines."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def cache_dir_for(layout: str, root: Path, extra: Any = None) -> Path:
    """The cache directory of one dataset root (converted labels, validation stamps)."""
    key = stable_hash([str(root.resolve()), extra])
    return data_home() / "cache" / f"{layout}-{root.name}-{key}"


def temp_sibling(path: Path) -> Path:
    """A fresh hidden name next to ``path``, unique per process, for write-then-rename."""
    return path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of a uint8 array (H×W ids or H×W×3 RGB)."""
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", array)
    if not ok:
        raise DataError("could not encode a PNG image")
    return buf.tobytes()


def atomic_write_png(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as PNG atomically."""
    atomic_write_bytes(path, encode_png(array))
