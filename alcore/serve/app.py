"""The HTTP routes of Label Studio's ML backend protocol over one production run (Starlette).

``GET /health``, ``POST /setup``, ``POST /predict`` and ``POST /webhook`` are what Label Studio
calls; ``GET /images/<file>`` serves the pool images of samples this run selected, so tasks need no
storage set up by hand; ``GET /status`` reports the inbox and the retrain lane. Every request but
``/health`` and ``/images`` needs the token when one is set (``Authorization: Bearer|Token <t>`` or
HTTP basic auth with the token as password). A bad request gets a 4xx with a one-line
``{"error": ...}`` and writes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from alcore.sdk import faults
from alcore.sdk.errors import AlcoreError
from alcore.serve import inbox
from alcore.serve.lsclient import LabelStudio
from alcore.serve.predictions import Predictions
from alcore.serve.push import push_batch
from alcore.serve.trainer import Trainer

log = logging.getLogger("alcore.serve")
SAVE = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")


class BadRequest(Exception):
    """A request the server refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Service:
    """What the routes share: the run, its predictions, the retrain lane and Label Studio's address."""

    run: Path
    token: str | None
    public_url: str
    max_body: int
    predictions: Predictions
    trainer: Trainer | None = None
    ls: LabelStudio | None = None
    project: int | None = None

    def after_retrain(self, rc: int) -> None:
        """Read the new batch, then put its tasks into the project Label Studio connected from."""
        self.predictions.reload()
        if rc == 0:
            self.push()

    def push(self) -> None:
        """Put the newest batch's tasks the project lacks into it (when a project is known)."""
        if self.ls is not None and self.project is not None:
            record = push_batch(self.run, self.ls, self.project)
            if record is not None:
                log.info("pushed %d tasks of cycle %d", len(record.items), record.cycle)


def authorized(service: Service, request: Request) -> None:
    """Refuse a request without the server's token (when it has one)."""
    if not service.token:
        return
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    given = value.strip()
    if scheme.lower() == "basic":
        try:
            given = base64.b64decode(given).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            given = ""
    elif scheme.lower() not in ("bearer", "token"):
        given = ""
    if not hmac.compare_digest(given.encode(), service.token.encode()):
        raise BadRequest(401, "missing or wrong token (send Authorization: Bearer <token>)")


async def body(service: Service, request: Request) -> dict:
    """The request's JSON object, read up to the size limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > service.max_body:
        raise BadRequest(413, f"request body of {declared} bytes is over the limit of {service.max_body}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > service.max_body:
            raise BadRequest(413, f"request body is over the limit of {service.max_body} bytes")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks) or b"null")
    except ValueError as exc:
        raise BadRequest(400, f"request body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "request body must be a JSON object")
    return data


def route(service: Service, handler: Any, auth: bool = True) -> Any:
    """Wrap a handler: token check, one-line errors as 4xx JSON."""

    async def endpoint(request: Request) -> Any:
        try:
            if auth:
                authorized(service, request)
            return await handler(service, request)
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except AlcoreError as exc:
            return JSONResponse({"error": str(exc).splitlines()[0]}, status_code=422)

    return endpoint


async def health(service: Service, request: Request) -> JSONResponse:
    """GET /health: up, and the current model version."""
    return JSONResponse(
        {"status": "UP", "model_class": "alcore", "model_version": service.predictions.model_version}
    )


def project_id(raw: Any) -> int:
    """Label Studio's project id from ``"<id>.<created timestamp>"`` (or a plain id)."""
    try:
        return int(str(raw).split(".")[0])
    except ValueError:
        raise BadRequest(400, f"project {raw!r} is not a Label Studio project id") from None


async def setup(service: Service, request: Request) -> JSONResponse:
    """POST /setup: remember the project, authorize its webhook, push the batch; the model version."""
    data = await body(service, request)
    if "project" not in data:
        raise BadRequest(400, "setup needs 'project'")
    schema = str(data.get("schema") or "")
    if schema and "BrushLabels" not in schema:
        raise BadRequest(422, "the project's labeling config has no BrushLabels; alcore predicts brush masks")
    service.project = project_id(data["project"])
    host, key = data.get("hostname"), data.get("access_token")
    if host and key and service.ls is None:
        service.ls = LabelStudio(str(host), str(key))
    if service.ls is not None and service.trainer is not None:
        ls, project, token, public = service.ls, service.project, service.token, service.public_url

        def connect() -> None:
            if token:
                ls.authorize_webhooks(project, public, {"Authorization": f"Bearer {token}"})
            service.push()

        service.trainer.in_lane(connect)
    return JSONResponse({"model_version": service.predictions.model_version or "none"})


async def predict(service: Service, request: Request) -> JSONResponse:
    """POST /predict: one prediction per task, in the tasks' order."""
    data = await body(service, request)
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise BadRequest(400, "predict needs 'tasks', a list of task objects")
    results = [service.predictions.for_task(t) for t in tasks]
    return JSONResponse({"results": results, "model_version": service.predictions.model_version})


def checked(service: Service, annotation: Any, task: Any, project: Any, action: str) -> dict:
    """The record to keep for one annotation, after every check (nothing is written here)."""
    if not isinstance(annotation, dict) or "id" not in annotation:
        raise BadRequest(400, f"{action} needs 'annotation' with an 'id'")
    task = task if isinstance(task, dict) else {}
    sid = service.predictions.sample_of(task) if task.get("data") else None
    if sid is None:
        raise BadRequest(
            422, f"task {task.get('id')}: not a task of this run (no known data.alcore_id or image)"
        )
    _, item = service.predictions.item(sid)
    where = f"annotation {annotation['id']} (task {task.get('id')})"
    if not annotation.get("was_cancelled"):
        inbox.checked_label(annotation.get("result"), service.predictions.info, Path(item.image), where)
    completed = annotation.get("completed_by")
    record = {
        "annotation": int(annotation["id"]),
        "task": task.get("id"),
        "project": (project or {}).get("id") if isinstance(project, dict) else project,
        "host": service.ls.url if service.ls else None,
        "sample": sid,
        "action": action,
        "result": annotation.get("result") or [],
        "was_cancelled": bool(annotation.get("was_cancelled")),
        "ground_truth": bool(annotation.get("ground_truth")),
        "completed_by": completed.get("id") if isinstance(completed, dict) else completed,
        "created_at": annotation.get("created_at"),
        "updated_at": annotation.get("updated_at"),
    }
    return record


async def webhook(service: Service, request: Request) -> JSONResponse:
    """POST /webhook: keep, update or delete annotations; start a retrain."""
    data = await body(service, request)
    action = data.get("action")
    if not isinstance(action, str):
        raise BadRequest(400, "webhook needs 'action'")
    if action in SAVE:
        ann, task = data.get("annotation"), data.get("task")
        pairs = list(zip(ann, task)) if isinstance(ann, list) and isinstance(task, list) else [(ann, task)]
        records = [checked(service, a, t, data.get("project"), action) for a, t in pairs]
        stored = [
            {"annotation": r["annotation"], "sample": r["sample"], "stored": inbox.store(service.run, r)}
            for r in records
        ]
        faults.point("webhook-ack")
        started = service.trainer.noted() if service.trainer else False
        return JSONResponse({"stored": stored, "retrain_started": started}, status_code=201)
    if action == "ANNOTATIONS_DELETED":
        gone = data.get("annotations")
        if not isinstance(gone, list) or not all(isinstance(a, dict) and "id" in a for a in gone):
            raise BadRequest(400, "ANNOTATIONS_DELETED needs 'annotations', a list of {id}")
        deleted = [int(a["id"]) for a in gone if inbox.delete(service.run, int(a["id"]))]
        return JSONResponse({"deleted": deleted})
    if action == "START_TRAINING":
        if service.trainer is None:
            raise BadRequest(409, "this server was started without retraining")
        if isinstance(data.get("project"), dict) and "id" in data["project"]:
            service.project = service.project or int(data["project"]["id"])
        return JSONResponse({"training": "started" if service.trainer.start() else "queued"}, status_code=201)
    return JSONResponse({"ignored": action})


async def image(service: Service, request: Request) -> FileResponse | JSONResponse:
    """GET /images/<file>: the image of a sample one of the run's batches selected."""
    name = Path(request.path_params["file"]).stem
    sid = service.predictions.by_name.get(name)
    if sid is None:
        raise BadRequest(404, f"no image '{request.path_params['file']}' among this run's batches")
    return FileResponse(service.predictions.item(sid)[1].image)


async def status(service: Service, request: Request) -> JSONResponse:
    """GET /status: kept annotations, what the run lacks, the retrain lane."""
    return JSONResponse(
        {
            "model_version": service.predictions.model_version,
            "annotations": len(inbox.load(service.run)),
            "unfolded": inbox.unfolded(service.run),
            "project": service.project,
            "retrain": service.trainer.status() if service.trainer else None,
        }
    )


def create_app(service: Service) -> Starlette:
    """The Starlette application serving ``service``."""
    routes = [
        Route("/health", route(service, health, auth=False), methods=["GET"]),
        Route("/", route(service, health, auth=False), methods=["GET"]),
        Route("/setup", route(service, setup), methods=["POST"]),
        Route("/predict", route(service, predict), methods=["POST"]),
        Route("/webhook", route(service, webhook), methods=["POST"]),
        Route("/status", route(service, status), methods=["GET"]),
        Route("/images/{file}", route(service, image, auth=False), methods=["GET"]),
    ]
    return Starlette(routes=routes)
