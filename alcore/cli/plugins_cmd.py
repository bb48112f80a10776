"""``alcore plugins``: what is installed and what each plugin provides."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from alcore.plugins import KINDS, get_registry
from alcore.progress import stdout_console
from alcore.sdk.params import Param


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def option_text(q: Param) -> str:
    """``name=default``, with the option's inclusive range where it has one: ``iters=120 [1..1e+07]``."""
    text = f"{q.name}={q.default!r}"
    if q.low is not None or q.high is not None:
        text += f" [{_bound(q.low)}..{_bound(q.high)}]"
    return text


def plugins(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    params: bool = typer.Option(False, "--params", help="Also list each name's options."),
) -> None:
    """List plugins with their distribution, version and the names they register."""
    registry = get_registry()
    for w in registry.warnings:
        typer.echo(f"warning: {w}", err=True)
    rows = []
    for p in registry.plugins:
        rows.append({
            "name": p.name, "distribution": p.dist, "version": p.version,
            "hooks": p.hooks, "registers": p.registered, "error": p.error,
        })
    if as_json:
        names = {
            kind: {
                r.name: {"plugin": r.plugin, "help": r.help,
                         "params": [{"name": q.name, "type": q.type.__name__,
                                     "default": q.default, "help": q.help,
                                     "low": q.low, "high": q.high} for q in r.params]}
                for r in registry.all(kind)
            }
            for kind in KINDS
        }
        typer.echo(json.dumps({"plugins": rows, "names": names, "warnings": registry.warnings},
                              indent=2))
        return
    console = stdout_console()
    table = Table(title="plugins", title_justify="left")
    for col in ("plugin", "distribution", "version", "registers"):
        table.add_column(col)
    for row in rows:
        reg = "; ".join(f"{k}: {', '.join(v)}" for k, v in row["registers"].items())
        table.add_row(row["name"], row["distribution"], row["version"],
                      reg or (f"[red]{row['error']}[/red]" if row["error"] else "-"))
    console.print(table)
    if params:
        for kind in KINDS:
            for r in registry.all(kind):
                opts = ", ".join(option_text(q) for q in r.params)
                console.print(f"{kind} [bold]{r.name}[/bold]: {r.help}" +
                              (f"\n    options: {opts}" if opts else ""), highlight=False)
