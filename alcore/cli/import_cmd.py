"""``alcore import``: bring finished labels back into a production run."""

from __future__ import annotations

from pathlib import Path

import typer


def import_labels(
    run: Path = typer.Argument(..., help="Production run directory."),
    path: Path = typer.Argument(..., help="The tool's export: folder, zip or JSON file."),
    fmt: str = typer.Option(..., "--format", "-f", help="png, cvat or labelstudio."),
) -> None:
    """Validate labels against an open export and add them to the labeled set (all or nothing)."""
    from alcore.annotation.importer import import_labels as run_import

    result = run_import(run, fmt, path)
    line = (
        f"export {result['export']:03d}: imported {len(result['imported'])} labels "
        f"({result['status']}); {result['labeled']} labeled in all"
    )
    if result["already"]:
        line += f"; skipped {result['already']} already imported from this export"
    if result["released"]:
        line += f"; released {len(result['released'])} skipped tasks back to the pool"
    if result["empty"]:
        line += f"; skipped {len(result['empty'])} without any labeled pixel"
    for note in result["notes"]:
        typer.echo(f"warning: {note}", err=True)
    typer.echo(line)
