"""A fake model and dataset that run the cycle kernel in milliseconds, counting every model call."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from alcore.sdk import DatasetInfo, Sample, hookimpl
from alcore.sdk.atomic import write_json


class FakeModel:
    """Trains by writing its labeled ids; mIoU is the labeled count; features come from the frame."""

    eval_batch_size = 4
    built: list[FakeModel] = []

    def __init__(self, **options) -> None:
        self.calls: Counter = Counter()
        self.checkpoint: Path | None = None
        self.labeled: list[str] = []
        FakeModel.built.append(self)

    def train(self, labeled, unlabeled, cycle, work_dir, ssl=None, progress=None) -> Path:
        self.calls["train"] += 1
        self.labeled = sorted(s.id for s in labeled)
        path = Path(work_dir) / "checkpoint.pth"
        write_json(path, self.labeled)
        self.checkpoint = path
        return path

    def load(self, checkpoint: Path) -> None:
        self.calls["load"] += 1
        self.labeled = json.loads(Path(checkpoint).read_text())
        self.checkpoint = Path(checkpoint)

    def evaluate(self, samples, progress=None) -> dict:
        self.calls["evaluate"] += 1
        return {"mIoU": float(len(self.labeled)), "per_class_iou": {}, "aAcc": 0.0}

    def compute(self, samples, quantities, progress=None) -> dict:
        self.calls["compute"] += len(samples)
        out = {}
        for name in quantities:
            if name == "embedding":
                out[name] = np.array([[s.frame, 10.0 * int(s.group[1:]), 0.5 * s.frame] for s in samples],
                                     dtype=np.float32)
            else:
                out[name] = np.array([(s.frame * 7 + int(s.group[1:]) * 3) % 11 for s in samples],
                                     dtype=np.float32)
        if progress:
            progress(len(samples), len(samples))
        return out

    def predict(self, samples) -> list[np.ndarray]:
        self.calls["predict"] += len(samples)
        return [np.full((4, 6), i % 3, dtype=np.uint8) for i, _ in enumerate(samples)]


class FakeDataset:
    info = DatasetInfo(["a", "b", "c"], [(0, 0, 0), (255, 0, 0), (0, 0, 255)])

    def __init__(self, groups: int = 4, frames: int = 6) -> None:
        where = Path("/nonexistent")
        self._pool = [Sample(f"g{g}-{f}", where / f"g{g}-{f}.png", where / f"g{g}-{f}_l.png", f"g{g}", f)
                      for g in range(groups) for f in range(frames)]
        self._val = self._pool[:3]

    def pool(self) -> list[Sample]:
        return self._pool

    def val(self) -> list[Sample]:
        return self._val


class FakePlugin:
    ends: list[tuple[int, dict]] = []

    @staticmethod
    @hookimpl
    def register_models(register):
        register("fake", FakeModel, help="counts calls")

    @staticmethod
    @hookimpl
    def register_datasets(register):
        register("fakeds", FakeDataset, help="samples without files")

    @staticmethod
    @hookimpl
    def on_cycle_end(run_dir, cycle, record):
        FakePlugin.ends.append((cycle, record))
