"""``alcore data``: describe a dataset, and build fixed-size frame-run pools from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from alcore.cli import common
from alcore.cli.bench_cmd import typed
from alcore.datatools import describe as describe_dataset
from alcore.datatools import frame_run_pool
from alcore.options import parse_kv
from alcore.plugins import get_registry, require
from alcore.progress import Reporter, stdout_console
from alcore.sdk.atomic import write_text

app = typer.Typer(help="Look at a dataset and build pools for redundancy studies.", no_args_is_help=True)


def open_dataset(name: str, options: list[str] | None) -> Any:
    """Build the dataset plugin ``name`` with ``--dataset-opt`` key=value options."""
    registry = get_registry()
    return require(registry, "dataset", name).build(typed(parse_kv(options, "--dataset-opt")))


def describe(
    dataset: str = typer.Argument(..., help="Dataset plugin name, e.g. drivesim."),
    dataset_opt: list[str] = typer.Option(None, "--dataset-opt", help="Dataset option key=value."),
    seed: int = typer.Option(0, "--seed", help="Seed of the label files sampled for frequencies."),
    as_json: bool = typer.Option(False, "--json", help="Print the description as JSON."),
) -> None:
    """Sizes, class pixel frequencies, group structure and redundancy of a dataset."""
    Reporter(quiet=as_json).info(f"opening dataset '{dataset}'")
    ds = open_dataset(dataset, dataset_opt)
    info = describe_dataset(ds, seed=seed)
    info = {"dataset": dataset, **info}
    if as_json:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    console = stdout_console()
    g, cls, red = info["groups"], info["classes"], info["redundancy"]
    console.print(f"dataset {dataset}: {info['pool']} pool, {info['val']} val samples", highlight=False)
    console.print(
        f"groups: {g['groups']} (frames per group min {g['frames_min']}, median "
        f"{g['frames_median']:g}, max {g['frames_max']})"
        + (f"; {g['ungrouped']} samples without a group" if g["ungrouped"] else ""),
        highlight=False,
    )
    console.print(
        f"redundancy: {red.get('score', 0.0):.3f} ({red.get('method', '?')} estimate; "
        "0 diverse .. 1 redundant)",
        highlight=False,
    )
    note = (
        f"sampled {cls['labels_read']} of {cls['labels_total']} label files, seed {cls['seed']}"
        if cls["sampled"]
        else f"all {cls['labels_read']} label files"
    )
    console.print(f"class pixel frequencies over the pool ({note}):", highlight=False)
    table = Table()
    table.add_column("class")
    table.add_column("pixels %", justify="right")
    for name, freq in cls["frequencies"].items():
        table.add_row(name, f"{100 * freq:.2f}")
    console.print(table)


def pools(
    dataset: str = typer.Argument(..., help="Dataset plugin name, e.g. drivesim."),
    dataset_opt: list[str] = typer.Option(None, "--dataset-opt", help="Dataset option key=value."),
    frames: list[int] = typer.Option(..., "--frames", help="Run length K (repeatable); 1: isolated."),
    size: int = typer.Option(..., "--size", help="Ids per pool."),
    seed: int = typer.Option(0, "--seed", help="Seed of the anchors."),
    out: Path = typer.Option(..., "--out", help="Folder for pool-{K}f.txt files."),
) -> None:
    """Write pools of SIZE ids made of runs of K consecutive frames, one file per K."""
    ds = open_dataset(dataset, dataset_opt)
    samples = list(ds.pool())
    results = [(k, frame_run_pool(samples, k, size, seed)) for k in frames]
    for k, ids in results:
        path = Path(out) / f"pool-{k}f.txt"
        write_text(path, "\n".join(ids) + "\n")
        typer.echo(f"{path}: {len(ids)} ids in runs of {k} frame(s)")


app.command("describe")(common.guarded(describe))
app.command("pools")(common.guarded(pools))
