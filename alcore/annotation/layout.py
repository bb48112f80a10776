"""Where a production run keeps what annotation adds to the run directory layout.

::

    RUN_DIR/
      labels/<name>.png            imported labels (class ids), one per labeled sample
      cycles/NNN/batch.json        the batch a cycle selected: ids, ranks, scores, groups
      cycles/NNN/predictions/      the model's class maps for that batch (pre-annotations)
      exports/NNN/manifest.json    one record per export: ids, format, status
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from alcore.rundir import RunDir

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(sample_id: str) -> str:
    """A file-system-safe stem for a sample id, unique per id (a short hash is added when changed)."""
    safe = _SAFE.sub("_", sample_id)
    if safe == sample_id and not sample_id.startswith("."):
        return sample_id
    return f"{safe.lstrip('.')}-{hashlib.sha256(sample_id.encode()).hexdigest()[:8]}"


class AnnotationDirs:
    """The annotation-specific paths inside one run directory."""

    def __init__(self, run: RunDir) -> None:
        self.run = run

    @property
    def labels(self) -> Path:
        return self.run.root / "labels"

    def label(self, sample_id: str) -> Path:
        return self.labels / f"{file_name(sample_id)}.png"

    @property
    def exports(self) -> Path:
        return self.run.root / "exports"

    def export(self, n: int) -> Path:
        return self.exports / f"{n:03d}"

    def batch(self, cycle: int) -> Path:
        return self.run.cycle(cycle) / "batch.json"

    def prediction(self, cycle: int, sample_id: str) -> Path:
        return self.run.cycle(cycle) / "predictions" / f"{file_name(sample_id)}.png"
