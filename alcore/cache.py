"""HDF5 store of per-sample quantities, keyed by the checkpoint that computed them.

A second request for the same quantities from the same checkpoint is a read, not a model pass; an
interrupted pass resumes at the first unwritten rows. Layout of the file::

    /                              attrs: format="alcore-cache", version=1
    /<fingerprint>/                one group per checkpoint (name percent-quoted)
    /<fingerprint>/<pool>/         one group per ordered id list; <pool> = sha256(ids)[:16]
                                   attrs: ids_sha256, rows, created (ns since the epoch)
        ids                        (N,) utf-8 strings, the row order
        data/<quantity>            (N, *shape), chunked, fletcher32 checksummed
        written/<quantity>         (N,) uint8, 1 once the row's data is flushed to the file

A changed pool (other ids, or the same ids in another order) gets a fresh ``<pool>`` group, so
stored rows are never served for a different id list, and switching back to an earlier pool is a
read again. Every open, read and write happens under an exclusive ``flock`` on ``<file>.lock``,
and the file is closed before the lock is released, so several processes can share one cache.
The file keeps HDF5's default (earliest) format on purpose: the v110+ superblock marks a file as
open for write and refuses to open it after a crash, which would lose a resumable pass.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote, unquote

import h5py
import numpy as np

from alcore.sdk import faults
from alcore.sdk.errors import PluginError
from alcore.sdk.model import Progress

log = logging.getLogger("alcore")

#: what compute(rows, names, progress) returns: each name -> one row per index in ``rows``
Compute = Callable[[list[int], list[str], Progress | None], dict[str, np.ndarray]]

FORMAT = "alcore-cache"
VERSION = 1
CHUNK_BYTES = 1 << 20
#: what h5py raises on damaged files: checksum failures, bad B-tree or heap signatures, ...
HDF5_ERRORS = (OSError, RuntimeError, ValueError, KeyError)


class FeatureCache:
    """Per-sample quantities in one HDF5 file, computed at most once per checkpoint and pool."""

    def __init__(self, path: Path, chunk_size: int = 256) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.chunk_size = chunk_size
        self._discard = False

    def fetch(
        self,
        fingerprint: str,
        ids: Sequence[str],
        names: Sequence[str],
        compute: Compute,
        progress: Progress | None = None,
        load: bool = True,
        shard: tuple[int, int] | None = None,
    ) -> dict[str, np.ndarray]:
        """Return every named quantity for ``ids`` (rows in that order), computing only missing rows.

        With ``load=False`` the missing rows are computed and stored but nothing is kept in memory
        (and an empty dict is returned): read the rows afterwards with :meth:`stream`. ``shard``
        ``(lo, hi)`` computes only rows ``lo .. hi-1`` (one process's share of a multi-process pass).
        """
        ids = [str(i) for i in ids]
        names = list(dict.fromkeys(names))
        total = len(ids)
        if not names:
            return {}
        if total == 0:
            return {name: np.zeros((0,), np.float32) for name in names} if load else {}
        digest = ids_digest(ids)
        out, written = self._load(fingerprint, ids, digest, names, data=load)

        missing = np.stack([~written[name] for name in names], axis=1)
        if shard is not None:
            outside = np.ones(total, dtype=bool)
            outside[shard[0] : shard[1]] = False
            missing[outside] = False
        patterns, which = np.unique(missing, axis=0, return_inverse=True)
        which = which.reshape(-1)
        done = int((~missing.any(axis=1)).sum())
        if progress:
            progress(done, total)
        for index, pattern in enumerate(patterns):
            if not pattern.any():
                continue
            wanted = [name for name, miss in zip(names, pattern) if miss]
            rows = np.flatnonzero(which == index)
            for start in range(0, len(rows), self.chunk_size):
                chunk = rows[start : start + self.chunk_size]
                values = self._compute(compute, chunk, wanted, done, total, progress)
                for name, value in values.items() if load else ():
                    if out.get(name) is None:
                        out[name] = np.zeros((total, *value.shape[1:]), dtype=value.dtype)
                    elif out[name].shape[1:] != value.shape[1:]:
                        raise PluginError(
                            f"quantity '{name}' has rows of shape {value.shape[1:]} where earlier "
                            f"rows for this checkpoint have {out[name].shape[1:]}",
                            hint=f"delete {self.path} if the quantity's definition changed",
                        )
                    out[name][chunk] = value
                self._write(fingerprint, ids, digest, chunk, values)
                done += len(chunk)
                if progress:
                    progress(done, total)
        return out if load else {}

    @contextlib.contextmanager
    def stream(
        self,
        fingerprint: str,
        ids: Sequence[str],
        names: Sequence[str],
        compute: Compute,
        progress: Progress | None = None,
        max_bytes: int | None = None,
    ) -> Iterator[dict[str, np.ndarray | h5py.Dataset]]:
        """Like :meth:`fetch`, but a quantity larger than ``max_bytes`` is handed out as its HDF5 dataset.

        The file stays open (and locked) until the ``with`` block ends, so a strategy reads the
        rows it needs in blocks instead of the whole array being loaded. Small quantities, and all
        of them when ``max_bytes`` is None, come as arrays, exactly as :meth:`fetch` returns them.
        """
        names = list(dict.fromkeys(names))
        ids = [str(i) for i in ids]
        if max_bytes is None or not names or not ids:
            yield self.fetch(fingerprint, ids, names, compute, progress)
            return
        self.fetch(fingerprint, ids, names, compute, progress, load=False)
        self.fetch(fingerprint, ids, names, compute, None, load=False)  # rows a repaired write dropped
        digest = ids_digest(ids)
        with self._open() as f:
            group = f.get(_pool_path(fingerprint, digest))
            if group is None or group.attrs.get("ids_sha256") != digest:
                raise PluginError(f"cache {self.path}: rows for this pool vanished while reading them")
            out: dict[str, np.ndarray | h5py.Dataset] = {}
            for name in names:
                data = group[f"data/{_key(name)}"]
                out[name] = data if data.size * data.dtype.itemsize > max_bytes else data[()]
            yield out

    def read(self, fingerprint: str, name: str) -> tuple[list[str], np.ndarray] | None:
        """Stored ids and rows of one fully written quantity (newest pool first), or None."""
        if not self.path.exists():
            return None
        with self._open() as f:
            try:
                fp_group = f.get(_key(fingerprint))
                if not isinstance(fp_group, h5py.Group):
                    return None
                pools = sorted(
                    (g for g in fp_group.values() if isinstance(g, h5py.Group)),
                    key=lambda g: int(g.attrs.get("created", 0)),
                    reverse=True,
                )
            except HDF5_ERRORS as exc:
                self._drop(f, _key(fingerprint), exc)
                return None
            for pool in pools:
                try:
                    data = pool.get(f"data/{_key(name)}")
                    mask = pool.get(f"written/{_key(name)}")
                    if data is None or mask is None or not np.all(mask[()]):
                        continue
                    return [str(s) for s in pool["ids"].asstr()[()]], data[()]
                except HDF5_ERRORS as exc:
                    self._drop(f, pool.name, exc)
        return None

    def fingerprints(self) -> list[str]:
        """Fingerprints of the checkpoints with anything stored, sorted."""
        if not self.path.exists():
            return []
        with self._open() as f:
            try:
                return sorted(unquote(k) for k, v in f.items() if isinstance(v, h5py.Group))
            except HDF5_ERRORS as exc:
                self._discard = True
                log.warning("cache %s: cannot list its contents (%s)", self.path, _first_line(exc))
                return []

    def _load(
        self, fingerprint: str, ids: list[str], digest: str, names: list[str], data: bool = True
    ) -> tuple[dict[str, np.ndarray | None], dict[str, np.ndarray]]:
        """Which rows of each name are written for this pool, and (with ``data``) the stored rows."""
        total = len(ids)
        out: dict[str, np.ndarray | None] = {name: None for name in names}
        written = {name: np.zeros(total, dtype=bool) for name in names}
        if not self.path.exists():
            return out, written
        path = _pool_path(fingerprint, digest)
        with self._open() as f:
            try:
                group = f.get(path)
                if group is None:
                    return out, written
                if group.attrs.get("ids_sha256") != digest or int(group.attrs["rows"]) != total:
                    raise ValueError("pool group does not match its ids")
                for name in names:
                    mask_ds = group.get(f"written/{_key(name)}")
                    data_ds = group.get(f"data/{_key(name)}")
                    if mask_ds is None or data_ds is None:
                        continue
                    mask = mask_ds[()].astype(bool)
                    if mask.any():
                        out[name] = data_ds[()] if data else None
                        written[name] = mask
            except HDF5_ERRORS as exc:
                self._drop(f, path, exc)
                out = {name: None for name in names}
                written = {name: np.zeros(total, dtype=bool) for name in names}
        return out, written

    def _compute(
        self,
        compute: Compute,
        chunk: np.ndarray,
        wanted: list[str],
        done: int,
        total: int,
        progress: Progress | None,
    ) -> dict[str, np.ndarray]:
        """Run one model call for ``chunk`` and check it returned one numeric row per sample."""
        inner = (lambda d, _t: progress(done + d, total)) if progress else None
        result = compute(chunk.tolist(), list(wanted), inner)
        values = {}
        for name in wanted:
            if name not in result:
                raise PluginError(f"model returned no quantity '{name}' (asked for {', '.join(wanted)})")
            value = np.asarray(result[name])
            if value.ndim == 0 or len(value) != len(chunk):
                raise PluginError(
                    f"quantity '{name}' has {value.shape} rows for a chunk of {len(chunk)} samples"
                )
            if value.dtype.kind not in "biuf":
                raise PluginError(f"quantity '{name}' is not numeric ({value.dtype})")
            values[name] = value
        return values

    def _write(
        self,
        fingerprint: str,
        ids: list[str],
        digest: str,
        rows: np.ndarray,
        values: dict[str, np.ndarray],
    ) -> None:
        """Store one computed chunk: data first, flushed, then its rows marked as written.

        A file HDF5 cannot write into (damaged by a crash or a full disk) gets the read path's
        treatment: the pool's group is dropped, then the file moved aside, and the write retried.
        A full disk is not damage: it propagates, naming the file, and the rows stay unwritten.
        """
        for attempt in range(4):
            try:
                faults.disk_write(self.path)
                if self._write_once(fingerprint, ids, digest, rows, values, attempt):
                    return
            except HDF5_ERRORS as exc:
                if _disk_full(exc):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path)) from None
                if attempt == 3:
                    raise
                log.warning("cache %s: cannot write into it (%s); repairing", self.path, _first_line(exc))

    def _write_once(self, fingerprint: str, ids: list[str], digest: str, rows: np.ndarray,
                    values: dict[str, np.ndarray], attempt: int) -> bool:
        """One try of :meth:`_write` (True once written); retries first drop the group, then the file."""
        with self._open() as f:
            if attempt == 1:
                self._drop(f, _pool_path(fingerprint, digest), RuntimeError("an earlier write failed"))
            elif attempt == 2:
                self._discard = True
                return False
            faults.point("write", self.path)
            group = _pool_group(f, fingerprint, ids, digest)
            targets = []
            for name, value in values.items():
                data = _dataset(group, name, len(ids), value)
                mask = group.require_group("written")[_key(name)]
                value = value.astype(data.dtype, copy=False)
                for at, lo, hi in _runs(rows):
                    data[lo:hi] = value[at : at + hi - lo]
                targets.append(mask)
            f.flush()
            faults.point("score-chunk", self.path)
            for mask in targets:
                for _, lo, hi in _runs(rows):
                    mask[lo:hi] = 1
            f.flush()
            faults.point("replaced", self.path)
        return True

    @contextlib.contextmanager
    def _open(self) -> Iterator[h5py.File]:
        """Hold the lock, open the file (replacing one that HDF5 cannot open), close, release."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._discard = False
            f = self._open_file()
            try:
                yield f
            finally:
                f.close()
                if self._discard:
                    self._move_aside("its damage could not be removed")
        finally:
            os.close(fd)

    def _open_file(self) -> h5py.File:
        """Open (or create) the HDF5 file; a damaged one is moved aside and a new one started."""
        if self.path.exists():
            with open(self.path, "rb"):
                pass
            try:
                f = h5py.File(self.path, "a", locking=False)
                if f.attrs.get("format") != FORMAT:
                    f.close()
                    raise OSError("not an alcore cache")
                return f
            except HDF5_ERRORS as exc:
                self._move_aside(_first_line(exc))
        f = h5py.File(self.path, "w", locking=False)
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        return f

    def _move_aside(self, why: str) -> None:
        """Rename the damaged file to ``<name>.corrupt-<n>`` so a new one can take its place."""
        aside = _aside(self.path)
        os.replace(self.path, aside)
        log.warning(
            "cache %s is unreadable (%s); moved it to %s and starting afresh", self.path, why, aside.name
        )

    def _drop(self, f: h5py.File, group: str, exc: BaseException) -> None:
        """Forget a pool group whose data failed to read, so its quantities are recomputed."""
        log.warning(
            "cache %s: stored data in %s is damaged (%s); recomputing it",
            self.path,
            group.lstrip("/"),
            _first_line(exc),
        )
        try:
            if group in f:
                del f[group]
            f.flush()
        except HDF5_ERRORS:
            self._discard = True


def ids_digest(ids: Sequence[str]) -> str:
    """SHA-256 of an ordered id list: the identity of a pool for the cache."""
    return hashlib.sha256(json.dumps(list(ids)).encode()).hexdigest()


def _key(name: str) -> str:
    """An HDF5-safe link name for a fingerprint or quantity name (no '/' and never '.')."""
    return quote(name, safe="") if name not in (".", "..") else quote(name, safe="").replace(".", "%2E")


def _pool_path(fingerprint: str, digest: str) -> str:
    return f"{_key(fingerprint)}/{digest[:16]}"


def _pool_group(f: h5py.File, fingerprint: str, ids: list[str], digest: str) -> h5py.Group:
    """The group for this checkpoint and pool, created with its ids when it is new."""
    path = _pool_path(fingerprint, digest)
    if path in f:
        return f[path]
    group = f.create_group(path)
    group.attrs["ids_sha256"] = digest
    group.attrs["rows"] = len(ids)
    group.attrs["created"] = time.time_ns()
    group.create_dataset("ids", data=np.array(ids, dtype=object), dtype=h5py.string_dtype())
    return group


def _dataset(group: h5py.Group, name: str, rows: int, value: np.ndarray) -> h5py.Dataset:
    """The data and mask datasets for one quantity, (re)created if absent or of another shape."""
    key = _key(name)
    data_group = group.require_group("data")
    mask_group = group.require_group("written")
    shape = (rows, *value.shape[1:])
    data = data_group.get(key)
    if data is not None and data.shape != shape:
        del data_group[key]
        if key in mask_group:
            del mask_group[key]
        data = None
    if data is None:
        if key in mask_group:
            del mask_group[key]
        row_bytes = max(1, value.dtype.itemsize * int(np.prod(value.shape[1:], dtype=np.int64)))
        chunk_rows = int(min(rows, max(1, CHUNK_BYTES // row_bytes)))
        data = data_group.create_dataset(
            key,
            shape=shape,
            dtype=value.dtype,
            chunks=(chunk_rows, *value.shape[1:]),
            fletcher32=True,
        )
    if key not in mask_group:
        mask_group.create_dataset(
            key, shape=(rows,), dtype=np.uint8, chunks=(min(rows, 1 << 16),), fletcher32=True
        )
    return data


def _runs(rows: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """Contiguous ranges [lo, hi) of sorted row indices, each with its start position in ``rows``."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(rows) != 1) + 1])
    ends = np.concatenate([starts[1:], [len(rows)]])
    for at, end in zip(starts, ends):
        yield int(at), int(rows[at]), int(rows[end - 1]) + 1


def _aside(path: Path) -> Path:
    """The first free ``<name>.corrupt-<n>`` beside ``path``."""
    n = 1
    while (candidate := path.with_name(f"{path.name}.corrupt-{n}")).exists():
        n += 1
    return candidate


def _disk_full(exc: BaseException) -> bool:
    """True where an HDF5 or OS error means the disk (or quota) is full, not that the file is damaged."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left" in text or "quota exceeded" in text


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
