"""The run directory: where a run keeps its config, pool state, per-cycle records and checkpoints.

::

    RUN_DIR/
      config.yaml         the resolved configuration
      state.json          the pool state: labeled ids with provenance
      cycles/NNN/         checkpoint.pth, metrics.json, selection.json, record.json
      cache.h5            per-sample quantities, keyed by checkpoint fingerprint
      results.json        summary: labeled count and mIoU per cycle
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import yaml

from alcore.atomic import write_text
from alcore.config import RunConfig
from alcore.errors import StateError

MARKER = "config.yaml"


class RunDir:
    """Paths inside one run directory, and the lock that keeps a second writer out."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock_fd: int | None = None

    @property
    def config(self) -> Path:
        return self.root / MARKER

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def results(self) -> Path:
        return self.root / "results.json"

    @property
    def cache(self) -> Path:
        return self.root / "cache.h5"

    def cycle(self, n: int) -> Path:
        return self.root / "cycles" / f"{n:03d}"

    def is_run(self) -> bool:
        return self.config.is_file()

    def check_new(self) -> None:
        """Fail unless a new run can start here: no run yet, and no other files."""
        if self.is_run():
            raise StateError(
                f"{self.root} already holds a run; resume it with --resume {self.root} "
                "or choose another --out"
            )
        if self.root.exists() and any(self.root.iterdir()):
            raise StateError(f"{self.root} exists and is not empty; choose another --out")

    def create(self, cfg: RunConfig) -> None:
        """Start a new run here; refuse a directory that already holds one."""
        self.check_new()
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock()
        write_text(self.config, yaml.safe_dump(cfg.to_dict(), sort_keys=False))

    def open(self) -> RunConfig:
        """Open an existing run for resuming and return its configuration."""
        if not self.is_run():
            raise StateError(f"{self.root} is not a run directory (no {MARKER})")
        self.lock()
        data = yaml.safe_load(self.config.read_text()) or {}
        return RunConfig.from_dict(data, str(self.config))

    def lock(self) -> None:
        """Hold an exclusive lock for this process's lifetime; a second run gets a clear error."""
        if self._lock_fd is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateError(f"{self.root} is in use by another alcore process") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
