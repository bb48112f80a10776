"""Per-group limits any acquisition function can be given: picks per group, frame gap in a group.

On video pools uncertainty acquisition collapses onto runs of neighbouring frames. Instead of
switching to a diversity method, any strategy can be wrapped: ``max_per_group`` caps how many
frames of one group (drive) a batch takes; ``min_frame_gap`` keeps picks at least that many
frames apart from each other and from frames already labeled in the same group. The wrapper
calls the strategy with the rows it may not take masked as labeled, keeps its picks in order
while they respect the limits, and calls again until the budget is met. When nothing eligible
is left, the rest of the budget is filled by the strategy without limits, so a batch always has
exactly ``budget`` picks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from alcore.sdk.errors import ConfigError
from alcore.sdk.params import Param

PARAMS = [
    Param("max_per_group", int, 0, "at most this many picks per group in one batch (0: no limit)"),
    Param("min_frame_gap", int, 0, "picks at least this many frames apart within a group (0: off)"),
]


class GroupLimits:
    """``inner`` with at most ``max_per_group`` picks per group and ``min_frame_gap`` between picks."""

    def __init__(self, inner: Any, max_per_group: int = 0, min_frame_gap: int = 0) -> None:
        self.inner = inner
        self.max_per_group = int(max_per_group)
        self.min_frame_gap = int(min_frame_gap)
        extra = ("group",) + (("frame",) if self.min_frame_gap else ())
        self.requires = tuple(dict.fromkeys((*inner.requires, *extra)))

    def select(self, quantities: Mapping[str, np.ndarray], labeled: np.ndarray, budget: int,
               rng: np.random.Generator) -> np.ndarray:
        n = len(labeled)
        group = np.asarray(quantities["group"]).reshape(n)
        frame = np.asarray(quantities["frame"]).reshape(n) if self.min_frame_gap else None
        rows = {g: np.flatnonzero(group == g) for g in np.unique(group)}
        blocked = labeled.copy()
        if frame is not None:
            for i in np.flatnonzero(labeled):
                self._block_near(blocked, rows[group[i]], frame, frame[i])
        counts: dict[Any, int] = {}
        picked: list[int] = []
        while len(picked) < budget:
            available = int((~blocked).sum())
            if available == 0:
                break
            accepted = 0
            for i in np.asarray(self.inner.select(quantities, blocked.copy(), min(budget - len(picked),
                                                                                 available), rng)):
                i = int(i)
                if blocked[i]:
                    continue
                picked.append(i)
                accepted += 1
                blocked[i] = True
                g = group[i]
                counts[g] = counts.get(g, 0) + 1
                if self.max_per_group and counts[g] >= self.max_per_group:
                    blocked[rows[g]] = True
                if frame is not None:
                    self._block_near(blocked, rows[g], frame, frame[i])
            if accepted == 0:
                break
        if len(picked) < budget:
            taken = labeled.copy()
            taken[picked] = True
            rest = min(budget - len(picked), int((~taken).sum()))
            if rest:
                picked += [int(i) for i in self.inner.select(quantities, taken, rest, rng)]
        return np.asarray(picked, dtype=np.int64)

    def _block_near(self, blocked: np.ndarray, rows: np.ndarray, frame: np.ndarray, at: int) -> None:
        if at >= 0:
            near = rows[np.abs(frame[rows] - at) < self.min_frame_gap]
            blocked[near] = True


def with_group_limits(factory: Callable[..., Any]) -> Callable[..., Any]:
    """A factory taking the generic ``max_per_group`` / ``min_frame_gap`` options besides its own."""

    @functools.wraps(factory)
    def build(*args: Any, max_per_group: int = 0, min_frame_gap: int = 0, **options: Any) -> Any:
        for name, value in (("max_per_group", max_per_group), ("min_frame_gap", min_frame_gap)):
            if value is not None and value < 0:
                raise ConfigError(f"acquisition option '{name}' must be >= 0, got {value}")
        inner = factory(*args, **options)
        if not max_per_group and not min_frame_gap:
            return inner
        return GroupLimits(inner, max_per_group or 0, min_frame_gap or 0)

    return build


def generic(factory: Callable[..., Any], params: Sequence[Param]) -> tuple[Callable[..., Any], list[Param]]:
    """The factory and params of an acquisition registration with the generic limits added.

    A strategy that declares an option of the same name keeps its own meaning of it.
    """
    own = {p.name for p in params}
    if own & {p.name for p in PARAMS}:
        return factory, list(params)
    return with_group_limits(factory), [*params, *PARAMS]
