"""Build the service for a run directory and run it under uvicorn (127.0.0.1 unless told otherwise)."""

from __future__ import annotations

from pathlib import Path

from alcore.rundir import RunDir
from alcore.sdk.errors import StateError
from alcore.serve.app import Service, create_app
from alcore.serve.lsclient import LabelStudio
from alcore.serve.predictions import Predictions
from alcore.serve.trainer import Trainer


def build_service(
    run_root: Path,
    token: str | None = None,
    every: int = 0,
    retrain: bool = True,
    public_url: str = "http://127.0.0.1:9090",
    max_body: int = 64 << 20,
    ls_url: str | None = None,
    ls_token: str | None = None,
    project: int | None = None,
) -> Service:
    """A service over a production run made by ``alcore select``."""
    run = RunDir(Path(run_root))
    if not run.is_run() or not any(run.root.glob("cycles/[0-9][0-9][0-9]/batch.json")):
        raise StateError(
            f"{run.root} is not a production run with a batch",
            hint=f"run 'alcore select --out {run.root}' first",
        )
    service = Service(
        run=run.root,
        token=token or None,
        public_url=public_url.rstrip("/"),
        max_body=max_body,
        predictions=Predictions(run.root),
        ls=LabelStudio(ls_url, ls_token or "") if ls_url else None,
        project=project,
    )
    if retrain:
        service.trainer = Trainer(run.root, every, service.after_retrain)
    return service


def serve(service: Service, host: str = "127.0.0.1", port: int = 9090) -> None:
    """Answer Label Studio until interrupted."""
    import uvicorn

    uvicorn.run(create_app(service), host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
