"""The run directory: where a run keeps its config, pool state, per-cycle records and checkpoints.

::

    RUN_DIR/
      config.yaml         the resolved configuration
      dataset.json        classes, palette and ignore index of the run's dataset
      state.json          the pool state: labeled ids with provenance
      cycles/NNN/         checkpoint.pth, metrics.json, selection.json, record.json, examples.json
      cache.h5            per-sample quantities, keyed by checkpoint fingerprint
      results.json        summary: labeled count and mIoU per cycle
      report.html         the run's report (written by the application that made the run)

Every path of a run directory is named here; readers and writers elsewhere ask for it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import yaml

from alcore.config import RunConfig, load_yaml
from alcore.sdk.atomic import read_json, write_json, write_text
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import ConfigError, StateError

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

    @property
    def dataset(self) -> Path:
        return self.root / "dataset.json"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def cycles(self) -> Path:
        return self.root / "cycles"

    def cycle(self, n: int) -> Path:
        return self.cycles / f"{n:03d}"

    def checkpoint(self, n: int) -> Path:
        return self.cycle(n) / "checkpoint.pth"

    def metrics(self, n: int) -> Path:
        return self.cycle(n) / "metrics.json"

    def selection(self, n: int) -> Path:
        return self.cycle(n) / "selection.json"

    def record(self, n: int) -> Path:
        return self.cycle(n) / "record.json"

    def examples(self, n: int) -> Path:
        return self.cycle(n) / "examples.json"

    def records(self) -> list[dict]:
        """Every finished cycle's record, in cycle order."""
        return [read_json(p) for p in sorted(self.cycles.glob("*/record.json"))]

    def write_dataset_info(self, info: DatasetInfo) -> None:
        """Record the dataset's classes, palette and ignore index beside the run's config."""
        write_json(self.dataset, {"classes": list(info.classes), "palette": [list(c) for c in info.palette],
                                  "ignore_index": info.ignore_index})

    def read_dataset_info(self) -> dict | None:
        """The recorded classes, palette and ignore index, or None where the run has none yet."""
        return read_json(self.dataset) if self.dataset.is_file() else None

    def read_config(self) -> RunConfig:
        """The run's configuration, read without taking the lock (readers, and ranks other than 0)."""
        if not self.config.is_file():
            raise StateError(f"{self.root} is not a run directory (no {MARKER})")
        try:
            return RunConfig.from_dict(load_yaml(self.config), str(self.config)).validate()
        except ConfigError as exc:
            raise StateError(exc.message, hint="config.yaml records how the run was made; restore it "
                             "from a backup") from None

    def is_run(self) -> bool:
        """True once a run has started here (an interrupted start, see :meth:`unfinished_start`, has not)."""
        return self.config.is_file() and not self.unfinished_start()

    def unfinished_start(self) -> bool:
        """A start killed after ``config.yaml`` but before the pool state: resumable and restartable."""
        return (self.config.is_file() and (self.root / ".lock").is_file() and not self.state.is_file()
                and not self.cycles.exists())

    def check_new(self) -> None:
        """Fail unless a new run can start here: no run yet, and nothing but an interrupted start's files."""
        if self.is_run():
            raise StateError(
                f"{self.root} already holds a run; resume it with --resume {self.root} "
                "or choose another --out"
            )
        if self.root.exists() and not self.root.is_dir():
            raise StateError(f"--out {self.root} is a file, not a folder; choose another --out")
        if self.root.exists() and any(not self._startup_file(p) for p in self.root.iterdir()):
            raise StateError(f"{self.root} exists and is not empty; choose another --out")

    def _startup_file(self, path: Path) -> bool:
        """Files an interrupted start leaves: the lock, temporaries, and its config and dataset info."""
        if path.name == ".lock" or (path.name.startswith(".") and path.name.endswith(".tmp")):
            return True
        return path.name in (MARKER, "dataset.json") and self.unfinished_start()

    def create(self, cfg: RunConfig) -> None:
        """Start a new run here; refuse a directory that already holds one."""
        self.check_new()
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock()
        write_text(self.config, yaml.safe_dump(cfg.to_dict(), sort_keys=False))

    def open(self) -> RunConfig:
        """Open an existing run for resuming and return its configuration."""
        if not self.config.is_file():
            raise StateError(f"{self.root} is not a run directory (no {MARKER})")
        self.lock()
        return self.read_config()

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
