"""``alcore export``: hand a selected batch to annotators in a tool's import format."""

from __future__ import annotations

from pathlib import Path

import typer

from alcore.options import parse_kv


def export(
    run: Path = typer.Argument(..., help="Production run directory (made by 'alcore select')."),
    fmt: str = typer.Option(..., "--format", "-f", help="manifest, cvat or labelstudio."),
    to: Path = typer.Option(..., "--to", help="Folder to write (must not exist or be empty)."),
    cycle: int = typer.Option(None, "--cycle", help="Batch of this cycle (default: the newest)."),
    opt: list[str] = typer.Option(None, "--opt", help="Format option key=value."),
) -> None:
    """Write the batch's unlabeled samples with model pre-annotations and open an export record."""
    from alcore.annotation.exports import export_batch

    record = export_batch(run, fmt, to, parse_kv(opt, "--opt"), cycle)
    typer.echo(
        f"export {record.number:03d}: {len(record.items)} samples of cycle {record.cycle} "
        f"as {record.format} in {record.to}"
    )
