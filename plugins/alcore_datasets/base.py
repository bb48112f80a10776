"""A dataset made of two fixed lists of samples, the object every built-in reader returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alcore.sdk.dataset import DatasetInfo, Sample


@dataclass
class SampleListDataset:
    """``alcore.sdk.dataset.Dataset`` over precomputed pool and validation samples."""

    info: DatasetInfo
    pool_samples: list[Sample]
    val_samples: list[Sample]
    root: Path | None = None
    cache_dir: Path | None = field(default=None, repr=False)

    def pool(self) -> Sequence[Sample]:
        """The samples active learning selects from."""
        return self.pool_samples

    def val(self) -> Sequence[Sample]:
        """The held-out samples, from groups that never appear in the pool."""
        return self.val_samples

    def redundancy(self) -> dict:
        """How redundant the pool is (score 0 diverse .. 1 redundant), for choosing a strategy."""
        from .redundancy import redundancy

        return redundancy(self.pool_samples)
