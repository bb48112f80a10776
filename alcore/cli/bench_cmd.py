"""``alcore bench``: the study's grid (redundancy x budget x acquisition x SSL x seeds) as a command."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import typer
import yaml

from alcore.bench.grid import Budget, Grid, preset, with_overrides
from alcore.bench.runner import Bench
from alcore.options import parse_kv
from alcore.plugins import get_registry
from alcore.progress import Reporter
from alcore.sdk.atomic import read_json
from alcore.sdk.errors import ConfigError


def typed(values: dict[str, str]) -> dict[str, Any]:
    """``key=value`` strings with numbers and booleans read as such (YAML scalars)."""
    out = {}
    for k, v in values.items():
        try:
            out[k] = yaml.safe_load(v) if isinstance(v, str) else v
        except yaml.YAMLError:
            out[k] = v
    return out


def parse_budgets(items: list[str]) -> tuple[list[str], list[Budget]]:
    """``NAME`` selects a preset budget; ``NAME=INITIAL:STEP`` defines one (fractions or counts)."""
    names, defined = [], []
    for item in items:
        if "=" not in item:
            names.append(item)
            continue
        name, _, spec = item.partition("=")
        try:
            initial, step = (float(x) for x in spec.split(":"))
        except ValueError:
            raise ConfigError(f"--budget {item}: expected NAME=INITIAL:STEP, e.g. low=0.05:0.05") from None
        defined.append(Budget(name.strip(), initial, step))
    if names and defined:
        raise ConfigError("--budget: either select preset budgets by name or define them all")
    return names, defined


def load_grid(out: Path, preset_name: str | None, grid_file: Path | None) -> Grid:
    """The grid from a YAML file, a preset, the bench directory's own bench.json, or 'quick'."""
    if grid_file is not None:
        if not grid_file.is_file():
            raise ConfigError(f"grid file '{grid_file}' does not exist")
        return Grid.from_dict(yaml.safe_load(grid_file.read_text()) or {})
    if preset_name is None and (out / "bench.json").is_file():
        return Grid.from_dict(read_json(out / "bench.json"))
    return preset(preset_name or "quick")


def bench(
    preset_name: str = typer.Option(
        None, "--preset", "-p", help="quick (2 CPU cores, < 1 h) or paper (the study's protocol)."
    ),
    grid_file: Path = typer.Option(None, "--grid", help="YAML file with a custom grid."),
    out: Path = typer.Option(None, "--out", "-o", help="Bench directory (default: runs/bench-PRESET)."),
    acq: list[str] = typer.Option(None, "--acq", help="Acquisition functions (repeat)."),
    ssl: list[str] = typer.Option(None, "--ssl", help="SSL settings (repeat; 'none' for off)."),
    seeds: str = typer.Option(None, "--seeds", help="Comma-separated seeds, e.g. 0,1,2."),
    level: list[str] = typer.Option(None, "--level", help="Redundancy levels to keep (repeat)."),
    budget: list[str] = typer.Option(
        None, "--budget", help="Budget NAME to keep, or NAME=INITIAL:STEP (repeat)."
    ),
    cycles: int = typer.Option(None, "--cycles", help="Acquisition cycles per cell."),
    dataset_opt: list[str] = typer.Option(
        None, "--dataset-opt", help="Dataset option key=value for every level."
    ),
    model_opt: list[str] = typer.Option(None, "--model-opt", help="Model option key=value."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Cells run in parallel (1 torch thread each)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output on stderr."),
) -> None:
    """Run the benchmark grid (resumable: run it again to continue) and write one report."""
    out = out or Path("runs") / f"bench-{preset_name or 'quick'}"
    grid = load_grid(out, preset_name, grid_file)
    registry = get_registry()
    reporter = Reporter(quiet=quiet)
    names, defined = parse_budgets(budget or [])
    if defined:
        grid.budgets = defined
    seed_list = None
    if seeds:
        try:
            seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        except ValueError:
            raise ConfigError(f"--seeds {seeds}: expected comma-separated integers") from None
    if not acq and grid.preset != "custom":
        known = set(registry.names("acquisition"))
        missing = [a for a in grid.acqs if a not in known]
        if missing:
            reporter.info(f"not installed, left out of the grid: {', '.join(missing)}")
            grid.acqs = [a for a in grid.acqs if a in known]
    grid = with_overrides(
        grid,
        acqs=acq,
        seeds=seed_list,
        ssls=ssl,
        levels=level,
        budgets=names or None,
        cycles=cycles,
        model_options=typed(parse_kv(model_opt, "--model-opt")),
    )
    extra = typed(parse_kv(dataset_opt, "--dataset-opt"))
    if extra:
        grid.levels = [dataclasses.replace(lv, options={**lv.options, **extra}) for lv in grid.levels]
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {jobs}")
    report = Bench(out, grid, registry=registry, reporter=reporter).run(jobs=jobs)
    typer.echo(Path(report["md"]).read_text())
