"""Pre-annotations for Label Studio tasks, read from the run's batches (the newest batch wins)."""

from __future__ import annotations

import threading
from pathlib import Path

from alcore.annotation import labelstudio
from alcore.annotation.batch import Batch, BatchItem, read_info
from alcore.annotation.labelstudio_read import task_key
from alcore.sdk.dataset import DatasetInfo


class Predictions:
    """Which batch each sample was last selected in, and its prediction as Label Studio brushes."""

    def __init__(self, run_root: Path) -> None:
        self.root = Path(run_root)
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, str], dict | None] = {}
        self.info: DatasetInfo = read_info(self.root)
        self.batches: list[Batch] = []
        self.by_id: dict[str, tuple[Batch, BatchItem]] = {}
        self.by_name: dict[str, str] = {}
        self.reload()

    def reload(self) -> None:
        """Read every ``cycles/NNN/batch.json`` again (after a retrain wrote a new one)."""
        batches = [Batch.load(p) for p in sorted(self.root.glob("cycles/[0-9][0-9][0-9]/batch.json"))]
        by_id: dict[str, tuple[Batch, BatchItem]] = {}
        for batch in batches:
            for item in batch.items:
                by_id[item.id] = (batch, item)
        with self._lock:
            self.batches, self.by_id = batches, by_id
            self.by_name = {item.name: i for i, (_, item) in by_id.items()}

    @property
    def model_version(self) -> str | None:
        """The fingerprint of the newest checkpoint, or None while no model was trained."""
        models = [b.model for b in self.batches if b.model]
        return models[-1] if models else None

    def sample_of(self, task: dict) -> str | None:
        """The sample id a task stands for, or None when no batch of this run holds it."""
        key = task_key(task, f"task {task.get('id')}")
        sid = key if key in self.by_id else self.by_name.get(key)
        return sid

    def item(self, sample_id: str) -> tuple[Batch, BatchItem]:
        """The newest batch that selected a sample, and its entry there."""
        return self.by_id[sample_id]

    def for_task(self, task: dict) -> dict:
        """The prediction for one task: brushes, score and model version (empty when none)."""
        sid = self.sample_of(task)
        if sid is None:
            return {"result": [], "score": 0.0, "model_version": self.model_version or "none"}
        batch, item = self.by_id[sid]
        key = (batch.cycle, sid)
        if key not in self._cache:
            resolved = BatchItem(**{**item.__dict__, "prediction": self._path(item)})
            self._cache[key] = labelstudio.prediction(batch, resolved, self.info)
        pred = self._cache[key]
        if pred is None:
            return {"result": [], "score": 0.0, "model_version": labelstudio.model_version(batch)}
        return pred

    def _path(self, item: BatchItem) -> str | None:
        return str(self.root / item.prediction) if item.prediction else None
