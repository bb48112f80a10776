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
    ls_url: str = typer.Option(
        None, "--ls-url", envvar="LABEL_STUDIO_URL", help="Also upload the tasks to this Label Studio."
    ),
    ls_token: str = typer.Option(None, "--ls-token", envvar="LABEL_STUDIO_TOKEN", help="Its access token."),
    project: int = typer.Option(
        None, "--project", help="Label Studio project to update (default: a new one)."
    ),
) -> None:
    """Write the batch's unlabeled samples with model pre-annotations and open an export record."""
    from alcore.annotation.exports import export_batch
    from alcore.sdk.errors import ConfigError

    if ls_url and fmt != "labelstudio":
        raise ConfigError("--ls-url uploads Label Studio tasks; use it with --format labelstudio")
    options = parse_kv(opt, "--opt")
    record = export_batch(run, fmt, to, options, cycle)
    typer.echo(
        f"export {record.number:03d}: {len(record.items)} samples of cycle {record.cycle} "
        f"as {record.format} in {record.to}"
    )
    if ls_url:
        from alcore.serve.lsclient import LabelStudio
        from alcore.serve.push import push_export

        ls = LabelStudio(ls_url, ls_token or "")
        pid = push_export(run, record.number, ls, project, f"alcore {Path(run).name} cycle {record.cycle}")
        typer.echo(f"uploaded {len(record.items)} tasks to {ls.url}/projects/{pid}")
    if fmt == "labelstudio" and "image_url" not in options and not ls_url:
        from alcore.annotation.labelstudio import serving_steps

        typer.echo("for Label Studio to show the images:", err=True)
        for step in serving_steps(Path(record.to)):
            typer.echo(f"  - {step}", err=True)
