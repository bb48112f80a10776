"""``alcore advise``: which acquisition function and SSL setting suit a dataset, and why."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from alcore.bench.advise import advise as make_advice
from alcore.cli.bench_cmd import typed
from alcore.options import parse_kv
from alcore.plugins import get_registry, require
from alcore.progress import Reporter


def advise(
    dataset: str = typer.Argument(..., help="Dataset plugin name, e.g. drivesim."),
    budget: int = typer.Option(..., "--budget", help="Images you can afford to label per cycle."),
    ssl: bool = typer.Option(False, "--ssl", help="Semi-supervised training is an option."),
    dataset_opt: list[str] = typer.Option(None, "--dataset-opt", help="Dataset option key=value."),
    bench: Path = typer.Option(None, "--bench", help="A bench directory to take evidence from."),
    as_json: bool = typer.Option(False, "--json", help="Print the recommendation as JSON."),
) -> None:
    """Measure the pool's redundancy and recommend an acquisition function and SSL setting."""
    registry = get_registry()
    reporter = Reporter(quiet=as_json)
    reporter.info(f"opening dataset '{dataset}'")
    ds = require(registry, "dataset", dataset).build(typed(parse_kv(dataset_opt, "--dataset-opt")))
    ssl_methods = [n for n in registry.names("ssl") if n != "none"]
    advice = make_advice(
        dataset,
        ds,
        budget,
        ssl,
        registry.names("acquisition"),
        bench,
        ssl_method=ssl_methods[0] if ssl_methods else "none",
    )
    if as_json:
        typer.echo(json.dumps(advice.to_dict(), indent=2, default=str))
    else:
        typer.echo(advice.text())
