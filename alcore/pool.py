"""The pool and its labeled set, with provenance: who picked each sample, when, and who labeled it.

The pool state is the thing annotation money buys, so it is only ever replaced atomically and a
sample is never labeled twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from alcore.sdk.atomic import read_json, write_json
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import StateError

STATE_VERSION = 1
STATE_HINT = "state.json holds the run's labels and cannot be recomputed; restore it from a backup"


def pool_digest(samples: Sequence[Sample]) -> str:
    """A fingerprint of the pool's ids, in order: a resumed run must see the same pool."""
    digest = hashlib.sha256()
    for s in samples:
        digest.update(s.id.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass
class LabelRecord:
    """Provenance of one labeled sample."""

    id: str
    cycle: int
    strategy: str
    source: str = "ground-truth"


@dataclass
class PoolState:
    """Which pool samples are labeled, in the order they were labeled."""

    digest: str
    size: int
    labeled: list[LabelRecord] = field(default_factory=list)

    @classmethod
    def new(cls, samples: Sequence[Sample]) -> PoolState:
        return cls(pool_digest(samples), len(samples))

    @property
    def labeled_ids(self) -> list[str]:
        return [r.id for r in self.labeled]

    def as_of(self, cycle: int) -> PoolState:
        """The labeled set cycle ``cycle`` trains on: labels recorded for that cycle or earlier.

        A run resumed after a cycle's picks were recorded must not count or train on them early.
        """
        return PoolState(self.digest, self.size, [r for r in self.labeled if r.cycle <= cycle])

    def mask(self, samples: Sequence[Sample]) -> np.ndarray:
        """Boolean array over ``samples``: True where labeled."""
        done = set(self.labeled_ids)
        return np.fromiter((s.id in done for s in samples), dtype=bool, count=len(samples))

    def add(self, ids: Iterable[str], cycle: int, strategy: str, source: str = "ground-truth"
            ) -> None:
        """Record newly labeled ids; labeling an id twice is an error (it would be paid twice)."""
        done = set(self.labeled_ids)
        new = list(ids)
        dupes = [i for i in new if i in done]
        if dupes or len(set(new)) != len(new):
            shown = dupes[0] if dupes else next(i for i in new if new.count(i) > 1)
            raise StateError(f"sample '{shown}' is already labeled; refusing to label it twice")
        self.labeled.extend(LabelRecord(i, cycle, strategy, source) for i in new)

    def check_pool(self, samples: Sequence[Sample], where: Path) -> None:
        """Fail if the pool changed since this state was written."""
        if pool_digest(samples) != self.digest or len(samples) != self.size:
            raise StateError(
                f"{where}: the dataset's pool differs from the one this run started with "
                f"({len(samples)} samples now, {self.size} then)"
            )

    def save(self, path: Path) -> None:
        write_json(path, {"version": STATE_VERSION, **asdict(self)})

    @classmethod
    def load(cls, path: Path) -> PoolState:
        try:
            raw = read_json(path, expect=dict)
            if raw.get("version") != STATE_VERSION:
                raise ValueError(f"version {raw.get('version')}")
            state = cls(raw["digest"], raw["size"], [LabelRecord(**r) for r in raw["labeled"]])
            if not all(isinstance(r.id, str) and isinstance(r.cycle, int) for r in state.labeled):
                raise ValueError("a label record has no string id or integer cycle")
            ids = state.labeled_ids
            if len(set(ids)) != len(ids):
                raise ValueError("a sample is labeled twice")
            return state
        except StateError as exc:
            raise StateError(f"{path}: not a readable pool state ({exc.message})", hint=STATE_HINT) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateError(f"{path}: not a readable pool state ({exc})", hint=STATE_HINT) from None
