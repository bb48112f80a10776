"""Selection, in one place: quantities -> pool quantities -> mask -> strategy -> checks -> diagnostics.

Every driver (``alcore run``, ``alcore select``, the bench, the Python API, the MMSeg-native
loop) picks a batch through :func:`select_batch` and gets the same :class:`Selection` back,
whose :meth:`Selection.record` is the one shape written to ``selection.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alcore.diagnostics import batch_diagnostics
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import StateError

#: quantities that come from the dataset, not the model: integer codes per sample
POOL_QUANTITIES = ("group", "frame")

#: ``names -> {name: rows}`` for the model-computed quantities a selection needs
QuantitySource = Callable[[list[str]], Mapping[str, Any]]


@dataclass
class Selection:
    """A picked batch: ids in pick order, their pool rows, the quantities used and diagnostics."""

    ids: list[str]
    indices: list[int]
    strategy: str
    quantities: dict[str, Any] = field(default_factory=dict, repr=False)
    diagnostics: dict[str, Any] | None = None
    note: str | None = None

    def scores(self) -> list[dict[str, float]]:
        """Each pick's scalar quantities (one number per sample), for annotators' task order."""
        out: list[dict[str, float]] = [{} for _ in self.ids]
        order = np.argsort(self.indices)
        rows = np.asarray(self.indices, dtype=np.int64)[order]  # increasing: HDF5 rows read in order
        for name, values in self.quantities.items():
            if name in POOL_QUANTITIES or not len(rows):
                continue
            got = np.asarray(values[rows])
            if got.ndim > 1 and got.shape[1:] != (1,):
                continue
            for pos, i in enumerate(order):
                out[i][name] = round(float(got.reshape(len(rows))[pos]), 6)
        return out

    def record(self) -> dict[str, Any]:
        """The JSON form every driver writes (``selection.json``)."""
        out: dict[str, Any] = {
            "strategy": self.strategy,
            "ids": list(self.ids),
            "indices": [int(i) for i in self.indices],
            "diagnostics": self.diagnostics,
            "scores": self.scores(),
        }
        if self.note:
            out["note"] = self.note
        return out


def selection_rng(seed: int, cycle: int) -> np.random.Generator:
    """The generator a cycle's selection uses: a function of (seed, cycle) only, so resumes agree."""
    return np.random.default_rng([seed, cycle])


def initial_selection(pool: Sequence[Sample], n: int, seed: int) -> list[str]:
    """The seeded random initial labeled set."""
    rng = np.random.default_rng([seed, 0xA1])
    n = min(n, len(pool))
    return [pool[i].id for i in sorted(rng.choice(len(pool), size=n, replace=False))]


def needed_quantities(acquisition: Any) -> tuple[list[str], list[str]]:
    """All quantity names a selection reads, and those the model computes.

    ``embedding`` joins for the batch diagnostics only when the model's pass runs anyway (it
    comes from the same forward pass); a strategy that needs no model quantity costs no pass.
    """
    names = set(acquisition.requires)
    model = {n for n in names if n not in POOL_QUANTITIES}
    if model:
        model.add("embedding")
    return sorted(names | model), sorted(model)


def pool_quantities(pool: Sequence[Sample], names: Sequence[str]) -> dict[str, np.ndarray]:
    """``group`` (an integer code per sequence, in order of appearance) and ``frame`` (-1 if none)."""
    out: dict[str, np.ndarray] = {}
    if "group" in names:
        codes: dict[str, int] = {}
        out["group"] = np.array(
            [codes.setdefault(s.group if s.group is not None else f"\0{s.id}", len(codes)) for s in pool],
            dtype=np.int64,
        )
    if "frame" in names:
        out["frame"] = np.array([s.frame if s.frame is not None else -1 for s in pool], dtype=np.int64)
    return out


def check_picks(picked: np.ndarray, labeled: np.ndarray, budget: int, name: str) -> None:
    """An acquisition must return exactly ``budget`` distinct, unlabeled, in-range rows."""
    if len(picked) != budget:
        raise StateError(f"acquisition '{name}' returned {len(picked)} samples, expected {budget}")
    if len(np.unique(picked)) != len(picked):
        raise StateError(f"acquisition '{name}' returned the same sample twice")
    if picked.size and (picked.min() < 0 or picked.max() >= len(labeled)):
        raise StateError(f"acquisition '{name}' returned an index outside the pool")
    if labeled[picked].any():
        raise StateError(f"acquisition '{name}' returned an already labeled sample")


def select_batch(
    acquisition: Any,
    name: str,
    pool: Sequence[Sample],
    labeled: np.ndarray,
    budget: int,
    seed: int,
    cycle: int,
    model_quantities: QuantitySource | None = None,
    blocked: np.ndarray | None = None,
) -> Selection:
    """Pick up to ``budget`` rows that are neither labeled nor ``blocked`` (out with annotators).

    ``model_quantities(names)`` computes (or reads) what the model provides; it is called once,
    only when the strategy needs a model quantity. The strategy sees blocked rows as labeled.
    """
    labeled = np.asarray(labeled, dtype=bool)
    unavailable = labeled if blocked is None else labeled | np.asarray(blocked, dtype=bool)
    budget = min(budget, int((~unavailable).sum()))
    if budget <= 0:
        return Selection([], [], name, note="the pool is fully labeled")
    names, model_names = needed_quantities(acquisition)
    quantities: dict[str, Any] = {}
    if model_names:
        if model_quantities is None:
            raise StateError(f"acquisition '{name}' needs {', '.join(model_names)} but no model is given")
        quantities.update(model_quantities(model_names))
    quantities.update(pool_quantities(pool, names))
    picked = np.asarray(
        acquisition.select(quantities, unavailable.copy(), budget, selection_rng(seed, cycle)), dtype=np.int64
    )
    check_picks(picked, unavailable, budget, name)
    chosen = [pool[i] for i in picked]
    after = labeled.copy()
    after[picked] = True
    diagnostics = batch_diagnostics(chosen, quantities.get("embedding"), picked, after, pool)
    return Selection(
        ids=[s.id for s in chosen],
        indices=[int(i) for i in picked],
        strategy=name,
        quantities=quantities,
        diagnostics=diagnostics,
    )
