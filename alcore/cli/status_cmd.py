"""``alcore status``: labeled samples, batches and open exports of a production run."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def status(
    run: Path = typer.Argument(..., help="Run directory."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show how many samples are labeled (by source) and which exports are still open."""
    from alcore.annotation.status import run_status

    info = run_status(run)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    sources = ", ".join(f"{n} {s}" for s, n in info["by_source"].items()) or "none"
    typer.echo(
        f"{info['run']}: {info['labeled']} of {info['pool']} labeled ({sources}); "
        f"{info['pending']} out for annotation"
    )
    for e in info["exports"]:
        typer.echo(
            f"  export {e['number']:03d}  cycle {e['cycle']}  {e['format']:<11} "
            f"{e['labeled']}/{e['samples']} labeled  {e['status']:<8}  {e['to']}"
        )
