"""``alcore import``: bring finished labels back into a production run."""

from __future__ import annotations

from pathlib import Path

import typer


def import_labels(
    run: Path = typer.Argument(..., help="Production run directory."),
    path: Path = typer.Argument(None, help="The tool's export: folder, zip or JSON file."),
    fmt: str = typer.Option(..., "--format", "-f", help="png, cvat or labelstudio."),
    ls_url: str = typer.Option(
        None, "--ls-url", envvar="LABEL_STUDIO_URL", help="Pull the export from this Label Studio instead."
    ),
    ls_token: str = typer.Option(None, "--ls-token", envvar="LABEL_STUDIO_TOKEN", help="Its access token."),
    project: int = typer.Option(None, "--project", help="Label Studio project to pull."),
) -> None:
    """Validate labels against the exports that asked for them and add the new ones (all or nothing)."""
    from alcore.annotation.importer import import_labels as run_import
    from alcore.sdk.errors import ConfigError

    if ls_url:
        if fmt != "labelstudio" or project is None or path is not None:
            raise ConfigError(
                "--ls-url pulls a Label Studio project: give --format labelstudio --project N, no PATH"
            )
        from alcore.serve.lsclient import LabelStudio
        from alcore.serve.push import pull_export

        path = pull_export(run, LabelStudio(ls_url, ls_token or ""), project)
        typer.echo(f"pulled project {project} into {path}", err=True)
    elif path is None:
        raise ConfigError("give the tool's export PATH (or --ls-url/--project to pull from Label Studio)")
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
