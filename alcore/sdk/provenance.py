"""Proof that alcore wrote a file: an HMAC-SHA256 of its bytes under a per-user secret key.

Where a file is trusted beyond its content (a checkpoint fully unpickled, which can run code), the
trust comes from here, never from where the file lies: when alcore writes such a file it records
``FILE.hmac`` beside it, the keyed digest of the file's bytes, and before trusting the file it
checks that digest. Only someone holding the key can make a digest that checks, and the key lives
outside every run directory, readable by its owner only:

- ``ALCORE_KEY_FILE`` if set (tests point it at a temporary file), else
- ``$XDG_CONFIG_HOME/alcore/checkpoint.key`` (``~/.config/alcore/checkpoint.key``),

created with mode 0600 (its folder 0700) on first use. A key another user can read or write, or
that belongs to someone else, proves nothing, and files are then not trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
from pathlib import Path

from alcore.sdk.atomic import write_text

log = logging.getLogger("alcore")

SUFFIX = ".hmac"
KEY_BYTES = 32


def key_path() -> Path:
    """Where the per-user secret key lives (``ALCORE_KEY_FILE``, else the user's config folder)."""
    given = os.environ.get("ALCORE_KEY_FILE", "").strip()
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "alcore" / "checkpoint.key"


def _check_private(path: Path, fd: int) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path} must be a file of yours that only you can read and write "
                              f"(chmod 600 {path}); until then no file is trusted")


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        _check_private(path, fd)
        key = os.read(fd, 4 * KEY_BYTES)
    finally:
        os.close(fd)
    if len(key) < KEY_BYTES:
        raise PermissionError(f"{path} is too short to be alcore's key; delete it to make a new one")
    return key


def secret_key(create: bool = False) -> bytes | None:
    """The per-user key (made on first use when ``create``), or None where there is none to use."""
    path = key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:  # another process made it first
        return _read_key(path)
    try:
        os.write(fd, os.urandom(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    return _read_key(path)


def digest(data: bytes, key: bytes) -> str:
    """The keyed digest of ``data``, in hex."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _file_digest(path: Path, key: bytes) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            mac.update(block)
    return mac.hexdigest()


def proof_path(path: Path | str) -> Path:
    """Where the digest of ``path`` is kept: ``FILE.hmac`` beside it."""
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def sign(path: Path | str) -> bool:
    """Record that alcore wrote ``path`` (its keyed digest beside it); False, with a warning, if it cannot.

    A file left unsigned is only ever trusted for what it holds without running code.
    """
    path = Path(path)
    try:
        key = secret_key(create=True)
        assert key is not None
        write_text(proof_path(path), _file_digest(path, key) + "\n")
        return True
    except OSError as exc:
        log.warning("warning: could not record that alcore wrote %s (%s); it will load weights-only",
                    path, exc)
        return False


def proven(path: Path | str, data: bytes) -> bool:
    """Whether ``data`` (the bytes read from ``path``) is what alcore wrote there, by its recorded digest."""
    proof = proof_path(path)
    try:
        recorded = proof.read_text(encoding="ascii").strip()
        key = secret_key()
    except (OSError, UnicodeDecodeError) as exc:
        if not isinstance(exc, FileNotFoundError):
            log.warning("warning: %s", exc)
        return False
    return key is not None and hmac.compare_digest(recorded, digest(data, key))
