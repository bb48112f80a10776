"""The benchmark grid: redundancy levels x budgets x acquisition functions x SSL x seeds.

A *cell* is one active-learning run (one run directory). Cells that differ only in their
acquisition function form a *share*: they start from the same initial labeled set and the same
cycle-0 model, which is trained once.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from alcore.config import RunConfig
from alcore.sdk.errors import ConfigError


@dataclass(frozen=True)
class Level:
    """A redundancy level: a dataset and the options that make it more or less redundant."""

    name: str
    dataset: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    """A budget setting: initial labeled set and per-cycle batch, as pool fractions (< 1) or counts."""

    name: str
    initial: float
    step: float

    def counts(self, pool_size: int) -> tuple[int, int]:
        """(initial, per-cycle) image counts for a pool of ``pool_size``."""
        return _count(self.initial, pool_size), _count(self.step, pool_size)


def _checked(kind: type, data: Any, what: str) -> dict[str, Any]:
    """``data`` as keyword arguments of dataclass ``kind``, or an error naming the bad key."""
    if not isinstance(data, dict):
        raise ConfigError(f"bench: {what} must be a mapping, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"bench: {what} has no key '{unknown[0]}'; its keys: {', '.join(fields)}")
    required = [n for n, f in fields.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING and n not in data]
    if required:
        raise ConfigError(f"bench: {what} lacks the key '{required[0]}'")
    return data


def _count(value: float, pool_size: int) -> int:
    return max(1, round(value * pool_size)) if value < 1 else int(value)


@dataclass
class Grid:
    """Everything a bench runs; serialised to ``bench.json`` so a rerun continues the same grid."""

    levels: list[Level]
    budgets: list[Budget]
    acqs: list[str]
    ssls: list[str]
    seeds: list[int]
    cycles: int
    model: str = "mmseg"
    model_options: dict[str, Any] = field(default_factory=dict)
    ssl_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    acq_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    preset: str = "custom"
    #: train a full-supervision reference (whole pool labeled) once per level and seed (one
    #: training more per level and seed; the presets do, custom grids when they ask)
    reference: bool = False
    #: train the reference for the first this many seeds only (0: every seed); seeds without one
    #: are compared with their level's mean reference
    reference_seeds: int = 0

    def validate(self) -> Grid:
        """Refuse empty axes and duplicate names, which would make cells collide."""
        for axis in ("levels", "budgets", "acqs", "ssls", "seeds"):
            values = getattr(self, axis)
            if not values:
                raise ConfigError(f"bench: the grid has no {axis}")
            names = [getattr(v, "name", v) for v in values]
            if len(set(names)) != len(names):
                raise ConfigError(f"bench: duplicate {axis} in {names}")
        if self.cycles < 1:
            raise ConfigError(f"bench: cycles must be at least 1, got {self.cycles}")
        if self.reference_seeds < 0:
            raise ConfigError(f"bench: reference_seeds must be at least 0, got {self.reference_seeds}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grid:
        """Inverse of :meth:`to_dict`; an unknown or missing key is a one-line error naming it."""
        data = copy.deepcopy(_checked(cls, data, "the grid"))
        data["levels"] = [Level(**_checked(Level, v, "a level")) for v in data["levels"]]
        data["budgets"] = [Budget(**_checked(Budget, v, "a budget")) for v in data["budgets"]]
        return cls(**data).validate()

    def cells(self, pool_sizes: dict[str, int]) -> list[Cell]:
        """Every cell, ordered so that one share's cells are adjacent."""
        out = []
        for level in self.levels:
            for budget in self.budgets:
                initial, step = budget.counts(pool_sizes[level.name])
                for ssl in self.ssls:
                    for seed in self.seeds:
                        for acq in self.acqs:
                            cfg = RunConfig(
                                dataset=level.dataset,
                                dataset_options=dict(level.options),
                                model=self.model,
                                model_options=dict(self.model_options),
                                ssl=ssl,
                                ssl_options=dict(self.ssl_options.get(ssl, {})),
                                acq=acq,
                                acq_options=dict(self.acq_options.get(acq, {})),
                                cycles=self.cycles,
                                initial=initial,
                                budget=step,
                                seed=seed,
                            ).validate()
                            out.append(Cell(level.name, budget.name, ssl, acq, seed, cfg))
        return out


@dataclass(frozen=True)
class Cell:
    """One run of the grid."""

    level: str
    budget: str
    ssl: str
    acq: str
    seed: int
    config: RunConfig

    @property
    def name(self) -> str:
        return f"{self.level}-{self.budget}-{self.ssl}-{self.acq}-s{self.seed}"

    @property
    def share(self) -> str:
        """Cells with the same share key start from the same cycle-0 model and initial set."""
        return f"{self.level}-{self.budget}-{self.ssl}-s{self.seed}"


def shares(cells: list[Cell]) -> dict[str, list[Cell]]:
    """Cells grouped by share key, in order."""
    out: dict[str, list[Cell]] = {}
    for cell in cells:
        out.setdefault(cell.share, []).append(cell)
    return out


def share_config(cell: Cell) -> RunConfig:
    """The configuration the shared cycle-0 run uses: the cell's, with no acquisition of its own."""
    cfg = copy.deepcopy(cell.config)
    cfg.acq, cfg.acq_options = "random", {}
    return cfg


def reference_config(cell: Cell, pool_size: int) -> RunConfig:
    """The full-supervision reference of a cell's level and seed: the whole pool labeled, no SSL.

    A cell's final model has been trained for every cycle (each starts from the previous one's
    weights), so the reference gets ``iters x (cycles + 1)`` iterations where ``iters`` is set:
    the same total training, only on every label.
    """
    cfg = share_config(cell)
    cfg.ssl, cfg.ssl_options, cfg.initial = "none", {}, pool_size
    iters = cfg.model_options.get("iters")
    if isinstance(iters, int) and iters > 0:
        cfg.model_options = {**cfg.model_options, "iters": iters * (cell.config.cycles + 1)}
    return cfg


def references(cells: list[Cell], seeds: int = 0) -> dict[str, Cell]:
    """One representative cell per (level, seed), keyed by the reference's directory name.

    With ``seeds`` > 0 only the first ``seeds`` seeds of each level (in grid order) get one.
    """
    out: dict[str, Cell] = {}
    kept: dict[str, list[int]] = {}
    for cell in cells:
        level_seeds = kept.setdefault(cell.level, [])
        if cell.seed not in level_seeds:
            if seeds and len(level_seeds) >= seeds:
                continue
            level_seeds.append(cell.seed)
        out.setdefault(f"{cell.level}-s{cell.seed}", cell)
    return out


def same_training(a: RunConfig, b: RunConfig) -> bool:
    """Whether two configurations train the same cycle-0 model (acquisition and cycles aside)."""

    def key(c: RunConfig) -> str:
        d = c.to_dict()
        for name in ("acq", "acq_options", "cycles"):
            d.pop(name)
        return json.dumps(d, sort_keys=True, default=str)

    return key(a) == key(b)


def _drivesim(name: str, preset: str, **options: Any) -> Level:
    return Level(name, "drivesim", {"preset": preset, **options})


#: ``--preset quick``: the realistic drivesim family on 2 CPU cores. ``diverse``: curated stills
#: (two frames per drive, far apart); ``redundant``: recorded video (drives of varied length
#: with stops). Same world, same pool size (2,606 frames at 96x48); 40 validation drives (320
#: frames, which halves the spread of a fixed training's mIoU against 80) cover every
#: condition. Budgets are about 1% and 2.5% of the pool per cycle. AdamW: on this width-8 model
#: it reaches a higher mIoU in 100 iterations than SGD, with less spread between seeds; 10 seeds
#: fit the preset in an hour on 2 cores (benchmarks/README.md).
QUICK = Grid(
    levels=[
        _drivesim("diverse", "stills", sequences=1303, val_sequences=40),
        _drivesim("redundant", "video", val_sequences=40),
    ],
    budgets=[Budget("low", 24, 24), Budget("high", 64, 64)],
    acqs=["random", "stratified", "entropy", "coreset"],
    ssls=["none", "fixmatch"],
    seeds=list(range(10)),
    cycles=2,
    model_options={"width": 8, "iters": 100, "optimizer": "adamw"},
    ssl_options={"fixmatch": {"ratio": 0.5}},
    preset="quick",
    reference=True,
    reference_seeds=3,
)

#: ``--preset paper``: the study's protocol (10% initial, +10% per cycle, 4 cycles), for GPUs
PAPER = Grid(
    levels=[
        _drivesim("diverse", "diverse"),
        _drivesim("default", "default"),
        _drivesim("redundant", "redundant"),
    ],
    budgets=[Budget("low", 0.05, 0.05), Budget("high", 0.1, 0.1)],
    acqs=["random", "entropy", "margin", "coreset"],
    ssls=["none", "fixmatch"],
    seeds=[0, 1, 2, 3, 4],
    cycles=4,
    model_options={"width": 16, "iters": 1000},
    preset="paper",
    reference=True,
)

PRESETS: dict[str, Grid] = {"quick": QUICK, "paper": PAPER}


def preset(name: str) -> Grid:
    """A fresh copy of a named preset grid."""
    if name not in PRESETS:
        raise ConfigError(f"bench: unknown preset '{name}'; known: {', '.join(PRESETS)}")
    return copy.deepcopy(PRESETS[name])


def with_overrides(
    grid: Grid,
    acqs: list[str] | None = None,
    seeds: list[int] | None = None,
    ssls: list[str] | None = None,
    levels: list[str] | None = None,
    budgets: list[str] | None = None,
    cycles: int | None = None,
    model_options: dict[str, Any] | None = None,
) -> Grid:
    """The grid with command-line values replacing the preset's; levels/budgets select by name."""
    grid = copy.deepcopy(grid)
    if acqs:
        grid.acqs = list(acqs)
    if seeds:
        grid.seeds = list(seeds)
    if ssls:
        grid.ssls = list(ssls)
    if levels:
        grid.levels = _pick(grid.levels, levels, "level")
    if budgets:
        grid.budgets = _pick(grid.budgets, budgets, "budget")
    if cycles is not None:
        grid.cycles = cycles
    if model_options:
        grid.model_options = {**grid.model_options, **model_options}
    return grid.validate()


def _pick(items: list, names: list[str], what: str) -> list:
    known = {i.name: i for i in items}
    for n in names:
        if n not in known:
            raise ConfigError(f"bench: unknown {what} '{n}'; known: {', '.join(known)}")
    return [known[n] for n in names]
