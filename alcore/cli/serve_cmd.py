"""``alcore serve``: a production run as Label Studio's ML backend (pre-annotations, retrain on submit)."""

from __future__ import annotations

from pathlib import Path

import typer


def serve(
    run: Path = typer.Argument(..., help="Production run directory (made by 'alcore select')."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(9090, "--port", help="Port to listen on."),
    token: str = typer.Option(
        None,
        "--token",
        envvar="ALCORE_SERVE_TOKEN",
        help="Token Label Studio must send (basic auth password).",
    ),
    every: int = typer.Option(
        0, "--retrain-every", help="Retrain after this many new annotations (0: only on request)."
    ),
    no_retrain: bool = typer.Option(
        False, "--no-retrain", help="Only serve predictions and keep annotations."
    ),
    public_url: str = typer.Option(None, "--public-url", help="This server's address as browsers reach it."),
    max_body: int = typer.Option(64, "--max-body-mb", help="Largest request body accepted, in MiB."),
    ls_url: str = typer.Option(
        None, "--ls-url", envvar="LABEL_STUDIO_URL", help="Label Studio address for pushes."
    ),
    ls_token: str = typer.Option(
        None, "--ls-token", envvar="LABEL_STUDIO_TOKEN", help="Label Studio access token."
    ),
    project: int = typer.Option(None, "--project", help="Label Studio project to push new batches into."),
) -> None:
    """Serve pre-annotations to Label Studio, keep its annotations in the run, retrain in the background."""
    from alcore.sdk.errors import ConfigError
    from alcore.serve.server import build_service
    from alcore.serve.server import serve as run_server

    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        raise ConfigError(
            f"--host {host} opens the server to other machines; give --token (or ALCORE_SERVE_TOKEN)"
        )

    service = build_service(
        run,
        token=token,
        every=every,
        retrain=not no_retrain,
        public_url=public_url or f"http://{host}:{port}",
        max_body=max_body << 20,
        ls_url=ls_url,
        ls_token=ls_token,
        project=project,
    )
    typer.echo(
        f"serving {run} on http://{host}:{port} (model {service.predictions.model_version or 'none yet'}); "
        "connect it in Label Studio: Settings > Model > Connect Model",
        err=True,
    )
    run_server(service, host, port)
