"""Durable writes: a file is either its old content or its new content, never half of either."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from alcore.sdk import faults


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        faults.point("write")
        os.replace(tmp_path, path)
        fsync_dir(path.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_with(path: Path | str, writer: Callable[[IO[Any]], None], mode: str = "w") -> None:
    """Atomically write ``path`` by calling ``writer`` on an open temporary file."""
    with atomic_path(path) as tmp, open(tmp, mode) as fh:
        writer(fh)


def write_text(path: Path | str, text: str) -> None:
    """Atomically replace ``path`` with ``text``."""
    write_with(path, lambda fh: fh.write(text))


def write_json(path: Path | str, data: Any) -> None:
    """Atomically replace ``path`` with ``data`` as indented JSON."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_json(path: Path | str) -> Any:
    """Read a JSON file written by :func:`write_json`."""
    with open(path) as fh:
        return json.load(fh)


def file_sha256(path: Path | str, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes: the fingerprint of a checkpoint."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
