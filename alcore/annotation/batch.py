"""The data passed between selection, exporters and importers: a batch out, labels back in."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from alcore.sdk.atomic import read_json, write_json
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import StateError


@dataclass
class BatchItem:
    """One selected sample: its image, why it was picked, and its pre-annotation (run-relative path)."""

    id: str
    name: str
    image: str
    group: str | None = None
    frame: int | None = None
    rank: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    prediction: str | None = None


@dataclass
class Batch:
    """The samples one cycle selected, in pick order."""

    cycle: int
    strategy: str
    model: str | None
    created: str
    items: list[BatchItem]

    def save(self, path: Path) -> None:
        write_json(path, asdict(self))

    @classmethod
    def load(cls, path: Path) -> Batch:
        try:
            raw = read_json(path)
            raw["items"] = [BatchItem(**i) for i in raw["items"]]
            return cls(**raw)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateError(f"{path}: not a readable batch ({exc})") from None


@dataclass
class Incoming:
    """One returned label: the file name or id it was returned under, its class map, its file.

    ``label`` is None for a task the annotators skipped (it goes back to the pool); ``note`` says
    which of several annotations was taken.
    """

    key: str
    label: np.ndarray | None
    file: str
    note: str = ""


def read_info(run_root: Path) -> DatasetInfo:
    """Classes, palette and ignore index of a run's dataset (from its dataset.json)."""
    path = run_root / "dataset.json"
    try:
        raw = read_json(path)
        return DatasetInfo(raw["classes"], [tuple(c) for c in raw["palette"]], raw["ignore_index"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StateError(f"{path}: not a readable dataset description ({exc})") from None
