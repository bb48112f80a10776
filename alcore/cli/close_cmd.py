"""``alcore close``: end an export; what annotators did not label goes back to the pool."""

from __future__ import annotations

from pathlib import Path

import typer


def close(
    run: Path = typer.Argument(..., help="Production run directory."),
    export: int = typer.Argument(..., help="Export number, as 'alcore status' lists it."),
) -> None:
    """Close an export: its unlabeled samples may be selected again; later imports of it are refused."""
    from alcore.annotation.importer import close_export

    result = close_export(run, export)
    typer.echo(
        f"export {result['export']:03d} closed: {result['labeled']} labeled, "
        f"{len(result['released'])} released back to the pool"
    )
