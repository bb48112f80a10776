"""``alcore export``: hand a selected batch to annotators in a tool's import format."""

from __future__ import annotations

from pathlib import Path

import typer

from alcore.cli.cvat_opts import CVAT_CREDENTIALS, CVAT_TOKEN, CVAT_URL, cvat_auth, cvat_connect
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
    cvat_url: str = CVAT_URL,
    cvat_token: str = CVAT_TOKEN,
    cvat_credentials: str = CVAT_CREDENTIALS,
    cvat_task: int = typer.Option(
        None, "--cvat-task", help="CVAT task to upload into (default: a new one)."
    ),
    cvat_project: int = typer.Option(
        None, "--cvat-project", help="CVAT project to create the new task in (it has the labels)."
    ),
) -> None:
    """Write the batch's unlabeled samples with model pre-annotations and open an export record."""
    from alcore.annotation.exports import export_batch
    from alcore.sdk.errors import ConfigError

    if ls_url and fmt != "labelstudio":
        raise ConfigError("--ls-url uploads Label Studio tasks; use it with --format labelstudio")
    if cvat_url and fmt != "cvat":
        raise ConfigError("--cvat-url uploads a CVAT task; use it with --format cvat")
    if (cvat_task is not None or cvat_project is not None) and not cvat_url:
        raise ConfigError("--cvat-task and --cvat-project need --cvat-url")
    if cvat_task is not None and cvat_project is not None:
        raise ConfigError("give --cvat-task (an existing task) or --cvat-project (a new task in it)")
    options = parse_kv(opt, "--opt")
    cvat = cvat_connect(*cvat_auth(cvat_url, cvat_token, cvat_credentials)) if cvat_url else None
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
    if cvat is not None:
        from alcore.annotation import cvat_push

        title = f"alcore {Path(run).name} cycle {record.cycle} export {record.number:03d}"
        tid = cvat_push.push_export(run, record.number, cvat, cvat_task, cvat_project, title)
        typer.echo(f"uploaded {len(record.items)} images to {cvat.task_url(tid)}")
    if fmt == "labelstudio" and "image_url" not in options and not ls_url:
        from alcore.annotation.labelstudio import serving_steps

        typer.echo("for Label Studio to show the images:", err=True)
        for step in serving_steps(Path(record.to)):
            typer.echo(f"  - {step}", err=True)
