"""What an acquisition plugin provides: the quantities it needs and a ``select`` over the pool.

A strategy sees arrays aligned with the pool's order (one row per sample), a boolean mask of
which rows are already labeled, the number to pick, and a seeded generator. It returns the
indices it picks, in pick order. It never sees the model: everything it needs is a quantity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Acquisition(Protocol):
    """An acquisition function instance, built by a registered factory from its options."""

    #: names of per-sample quantities (see the ``register_quantities`` hook) this strategy reads
    requires: tuple[str, ...]

    def select(
        self,
        quantities: Mapping[str, np.ndarray],
        labeled: np.ndarray,
        budget: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Return ``budget`` distinct row indices of unlabeled samples, in pick order."""
        ...


@dataclass
class Param:
    """A documented option of a plugin factory, shown by ``alcore plugins`` and validated on use."""

    name: str
    type: type
    default: Any
    help: str = ""


@dataclass
class Registration:
    """One named factory registered by one plugin for one kind (dataset, model, ssl, acquisition)."""

    kind: str
    name: str
    factory: Any
    plugin: str
    help: str = ""
    params: list[Param] = field(default_factory=list)

    def build(self, options: Mapping[str, Any] | None = None, **context: Any) -> Any:
        """Call the factory with validated, type-converted options plus engine-provided context."""
        from alcore.options import coerce_options

        return self.factory(**context, **coerce_options(self, options or {}))
