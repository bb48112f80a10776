"""What a dataset plugin provides: samples with their group (video sequence) and frame index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Sample:
    """One image of a pool. ``label`` is None where nobody has labeled it yet (production pools).

    ``group`` is the unit of redundancy, usually the video sequence or drive; ``frame`` the
    position inside it (None when the layout does not carry one).
    """

    id: str
    image: Path
    label: Path | None = None
    group: str | None = None
    frame: int | None = None


@dataclass
class DatasetInfo:
    """Class names, their display colours (RGB) and the label value that means 'not labeled'."""

    classes: list[str]
    palette: list[tuple[int, int, int]]
    ignore_index: int = 255
    meta: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@runtime_checkable
class Dataset(Protocol):
    """A dataset plugin's object: a training pool and a validation split of ``Sample``.

    ``pool()`` is the set active learning selects from; ``val()`` holds out whole groups so
    that validation frames are never neighbours of pool frames.
    """

    info: DatasetInfo

    def pool(self) -> Sequence[Sample]: ...

    def val(self) -> Sequence[Sample]: ...
