"""``alcore import``: bring finished labels back into a production run."""

from __future__ import annotations

from pathlib import Path

import typer

from alcore.cli.cvat_opts import CVAT_CREDENTIALS, CVAT_TOKEN, CVAT_URL, cvat_auth, cvat_connect


def import_labels(
    run: Path = typer.Argument(..., help="Production run directory."),
    path: Path = typer.Argument(None, help="The tool's export: folder, zip or JSON file."),
    fmt: str = typer.Option(..., "--format", "-f", help="png, cvat or labelstudio."),
    ls_url: str = typer.Option(
        None, "--ls-url", envvar="LABEL_STUDIO_URL", help="Pull the export from this Label Studio instead."
    ),
    ls_token: str = typer.Option(None, "--ls-token", envvar="LABEL_STUDIO_TOKEN", help="Its access token."),
    project: int = typer.Option(None, "--project", help="Label Studio project to pull."),
    cvat_url: str = CVAT_URL,
    cvat_token: str = CVAT_TOKEN,
    cvat_credentials: str = CVAT_CREDENTIALS,
    cvat_task: int = typer.Option(
        None, "--cvat-task", help="CVAT task to pull (default: the one an open export went to)."
    ),
    cvat_jobs: str = typer.Option(
        "completed", "--cvat-jobs", help="Frames of 'completed' jobs only, or 'all' (pre-annotations too)."
    ),
) -> None:
    """Validate labels against the exports that asked for them and add the new ones (all or nothing)."""
    from alcore.annotation.importer import import_labels as run_import
    from alcore.sdk.errors import ConfigError

    if ls_url and cvat_url:
        raise ConfigError("pull from one tool at a time: --ls-url or --cvat-url")
    if ls_url:
        if fmt != "labelstudio" or project is None or path is not None:
            raise ConfigError(
                "--ls-url pulls a Label Studio project: give --format labelstudio --project N, no PATH"
            )
        from alcore.serve.lsclient import LabelStudio
        from alcore.serve.push import pull_export

        path = pull_export(run, LabelStudio(ls_url, ls_token or ""), project)
        typer.echo(f"pulled project {project} into {path}", err=True)
    elif cvat_url:
        if fmt != "cvat" or path is not None:
            raise ConfigError("--cvat-url pulls a CVAT task: give --format cvat [--cvat-task N], no PATH")
        if cvat_jobs not in ("completed", "all"):
            raise ConfigError(f"--cvat-jobs is 'completed' or 'all', not {cvat_jobs!r}")
        from alcore.annotation import cvat_push

        url, auth = cvat_auth(cvat_url, cvat_token, cvat_credentials)
        task = cvat_task if cvat_task is not None else cvat_push.find_task(run, url)
        cvat = cvat_connect(url, auth)
        path, notes = cvat_push.pull_task(run, cvat, task, every_job=cvat_jobs == "all")
        typer.echo(f"pulled {cvat.task_url(task)} into {path}", err=True)
        for note in notes:
            typer.echo(f"note: {note}", err=True)
    elif cvat_task is not None:
        raise ConfigError("--cvat-task needs --cvat-url")
    elif path is None:
        raise ConfigError(
            "give the tool's export PATH (or --ls-url/--project or --cvat-url to pull from the tool)"
        )
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
