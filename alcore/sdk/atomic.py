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
from alcore.sdk.errors import CorruptFileError
from alcore.sdk.limits import env_number


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


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        faults.disk_write(path)
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            # mkstemp makes the file 0600; the finished file gets the mode a plain open() would
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        faults.point("write", path)
        os.replace(tmp_path, path)
        faults.point("replaced", path)
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


def max_json_bytes() -> int:
    """JSON files larger than this (``ALCORE_MAX_JSON_MB``, default 512) are refused before parsing."""
    return int(env_number("ALCORE_MAX_JSON_MB", 512) * (1 << 20))


def read_json(path: Path | str, expect: type | tuple[type, ...] | None = None) -> Any:
    """Read a JSON file written by :func:`write_json`; damage is a :class:`CorruptFileError`.

    The size is checked before parsing and nesting too deep to parse is refused, so a hostile
    or truncated file gets one line naming it. ``expect`` checks the top-level type.
    """
    size = os.stat(path).st_size
    if size > max_json_bytes():
        raise CorruptFileError(path, f"{size} bytes is over the {max_json_bytes()}-byte limit "
                                     "(ALCORE_MAX_JSON_MB)")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise CorruptFileError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise CorruptFileError(path, "not UTF-8 text") from None
    except RecursionError:
        raise CorruptFileError(path, "nested too deeply to read") from None
    if expect is not None and not isinstance(data, expect):
        raise CorruptFileError(path, f"holds a JSON {type(data).__name__}, not the expected "
                                     f"{getattr(expect, '__name__', 'shape')}")
    return data


def file_sha256(path: Path | str, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes: the fingerprint of a checkpoint."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
