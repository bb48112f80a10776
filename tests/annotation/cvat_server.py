"""A stand-in for a CVAT server on 127.0.0.1: the REST calls alcore's CVAT client makes, nothing more.

Every route, status code, header and body follows CVAT's published OpenAPI schema as cvat-sdk's
generated API client carries it (``cvat_sdk.api_client.apis``, ``cvat_sdk.api_client.models``;
the SDK type-checks each answer against the schema's models, so a body that strays from them fails
the test) and the upload protocols the SDK implements (``cvat_sdk.core.uploading``): images in
``Upload-Start`` / ``Upload-Multiple`` / ``Upload-Finish`` requests, annotation files through TUS,
background work reported under ``/api/requests/{rq_id}``.

What the server does with the data is a model of CVAT's documented behaviour, kept small: file
names lose their folders (Django's upload handling), frames follow ``upload_file_order`` for the
``predefined`` sorting method, the "Segmentation mask 1.1" import maps each mask colour through the
zip's ``labelmap.txt`` to a task label by name (an unknown label in use fails the request, as does a
mask matching no frame), and the export writes every frame's mask (black where none) in the task's
label colours, with ``background:0,0,0`` first unless a label has that name. Tests read ``calls``
and edit ``tasks`` directly.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import io
import itertools
import json
import re
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np
from PIL import Image

VERSION = "2.80.0"
FORMAT = "Segmentation mask 1.1"
LABEL_TYPES = {
    "any", "cuboid", "ellipse", "mask", "points", "polygon", "polyline", "rectangle", "skeleton", "tag"
}
USER = {"url": "", "id": 1, "username": "annotator", "first_name": "", "last_name": ""}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


class Reply(Exception):
    """Answer the request with this status, body and headers."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, Any] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class FakeCvat:
    """The server's state: users, projects, tasks (frames, labels, masks, jobs), requests, uploads."""

    def __init__(self, token: str, user: str = "annotator", password: str = "pass", segment_size: int = 0):
        self.token, self.user, self.password = token, user, password
        self.segment_size = segment_size
        self.sessions: dict[str, str] = {}
        self.projects: dict[int, dict] = {}
        self.tasks: dict[int, dict] = {}
        self.requests: dict[str, dict] = {}
        self.uploads: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.auth_seen: set[str] = set()
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.base = ""

    # --- state the tests set up or inspect ---------------------------------------------------------

    def add_project(self, name: str, labels: list[dict]) -> int:
        pid = next(self.ids)
        self.projects[pid] = {"id": pid, "name": name, "labels": self._labels(labels, project=pid)}
        return pid

    def add_task(self, name: str, labels: list[dict]) -> int:
        tid = next(self.ids)
        self.tasks[tid] = {"id": tid, "name": name, "project_id": None, "created": _now(), "frames": [],
                           "jobs": [], "masks": {}, "quality": 70, "labels": self._labels(labels, task=tid)}
        return tid

    def _labels(self, specs: list[dict], **owner: int) -> list[dict]:
        names = [s.get("name") for s in specs]
        if len(set(names)) != len(names):
            raise Reply(400, {"labels": ["All label names must be unique"]})
        out = []
        for spec in specs:
            name, colour = spec.get("name", ""), spec.get("color", "#000000")
            if not 1 <= len(name) <= 64 or not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
                raise Reply(400, {"labels": [f"invalid label {spec!r}"]})
            if spec.get("type", "any") not in LABEL_TYPES:
                raise Reply(400, {"labels": [f"'{spec.get('type')}' is not a valid choice."]})
            out.append({"id": next(self.ids), "name": name, "color": colour, "type": spec.get("type", "any"),
                        "attributes": spec.get("attributes", []), "sublabels": [], "svg": "",
                        "has_parent": False, "parent_id": None, "project_id": owner.get("project"),
                        "task_id": owner.get("task")})
        return out

    def task_labels(self, task: dict) -> list[dict]:
        return self.projects[task["project_id"]]["labels"] if task["project_id"] else task["labels"]

    def set_job_states(self, task_id: int, *states: str) -> None:
        for job, state in zip(self.tasks[task_id]["jobs"], states):
            job["state"] = state

    # --- JSON bodies in the schema's shapes -------------------------------------------------------

    def task_read(self, task: dict) -> dict:
        url = f"{self.base}/api/tasks/{task['id']}"
        project = self.projects.get(task["project_id"] or -1)
        return {
            "url": url, "id": task["id"], "name": task["name"], "project_id": task["project_id"],
            "project_name": project["name"] if project else None, "owner": USER, "assignee": None,
            "guide_id": None, "bug_tracker": "", "created_date": task["created"], "updated_date": _now(),
            "overlap": 0, "segment_size": self.segment_size or len(task["frames"]), "status": "annotation",
            "labels": {"url": f"{self.base}/api/labels?task_id={task['id']}"},
            "jobs": {"count": len(task["jobs"]), "validation": 0,
                     "completed": sum(j["state"] == "completed" for j in task["jobs"]),
                     "url": f"{self.base}/api/jobs?task_id={task['id']}"},
            "data_chunk_size": 72 if task["frames"] else None, "data_compressed_chunk_type": "imageset",
            "data_original_chunk_type": "imageset", "data_cloud_storage_id": None,
            "size": len(task["frames"]), "image_quality": task["quality"],
            "data": task["id"] if task["frames"] else None,
            "dimension": "2d", "mode": "annotation" if task["frames"] else "", "subset": "",
            "organization": None, "organization_id": None, "target_storage": None, "source_storage": None,
            "assignee_updated_date": None, "validation_mode": None,
        }

    def job_read(self, task: dict, job: dict) -> dict:
        return {
            "url": f"{self.base}/api/jobs/{job['id']}", "id": job["id"], "task_id": task["id"],
            "project_id": task["project_id"], "assignee": None, "guide_id": None, "dimension": "2d",
            "bug_tracker": None, "status": "annotation", "stage": "annotation", "state": job["state"],
            "mode": "annotation", "frame_count": job["stop"] - job["start"] + 1,
            "start_frame": job["start"], "stop_frame": job["stop"], "data_chunk_size": 72,
            "data_compressed_chunk_type": "imageset", "data_original_chunk_type": "imageset",
            "created_date": task["created"], "updated_date": _now(), "type": "annotation",
            "organization": None, "target_storage": None, "source_storage": None,
            "assignee_updated_date": None, "parent_job_id": None, "consensus_replicas": 0,
            "issues": {"url": f"{self.base}/api/issues?job_id={job['id']}", "count": 0},
            "labels": {"url": f"{self.base}/api/labels?job_id={job['id']}"},
        }

    @staticmethod
    def page(results: list[dict]) -> dict:
        return {"count": len(results), "next": None, "previous": None, "results": results}

    def request_read(self, rq: dict) -> dict:
        return {
            "id": rq["id"], "status": rq["status"], "message": rq.get("message", ""),
            "operation": {"type": rq["type"], "target": "task", "project_id": None, "task_id": rq["task"],
                          "job_id": None, "format": rq.get("format"), "function_id": None},
            "progress": 1.0 if rq["status"] == "finished" else 0.0, "created_date": rq["created"],
            "started_date": rq["created"],
            "finished_date": _now() if rq["status"] in ("finished", "failed") else None,
            "expiry_date": None, "owner": {"id": 1, "username": self.user},
            "result_url": rq.get("result_url"), "result_id": rq.get("result_id"),
        }

    # --- background work -------------------------------------------------------------------------

    def enqueue(self, kind: str, task: dict, work: Any, fmt: str | None = None) -> dict:
        rq_id = f"action={kind.split(':')[0]}&target=task&target_id={task['id']}&id={uuid.uuid4()}"
        rq = {"id": rq_id, "type": kind, "task": task["id"], "format": fmt, "created": _now()}
        try:
            rq.update(work() or {})
            rq["status"] = "finished"
        except Reply as failure:
            rq.update(status="failed", message=str(failure.body))
        self.requests[rq_id] = rq
        return {"rq_id": rq_id}

    def make_data(self, task: dict, files: dict[str, bytes], fields: dict) -> None:
        if task["frames"]:
            raise Reply(400, "Adding more data is not supported")
        names = list(files)
        if fields.get("sorting_method") == "predefined":
            order = fields.get("upload_file_order") or []
            if sorted(order) != sorted(names):
                raise Reply(400, "upload_file_order does not match the uploaded files")
            names = list(order)
        elif fields.get("sorting_method", "lexicographical") == "lexicographical":
            names = sorted(names)
        task["frames"] = [{"name": n, "size": Image.open(io.BytesIO(files[n])).size} for n in names]
        task["quality"] = int(fields.get("image_quality", 70))
        step = self.segment_size or len(names)
        task["jobs"] = [
            {"id": next(self.ids), "start": s, "stop": min(s + step, len(names)) - 1, "state": "new"}
            for s in range(0, len(names), step)
        ]

    def import_masks(self, task: dict, archive: bytes, params: dict) -> None:
        """The "Segmentation mask 1.1" import: colours to task labels by name, masks to frames by name."""
        if params.get("format") != FORMAT:
            raise Reply(400, f"Unknown input format '{params.get('format')}'")
        zf = zipfile.ZipFile(io.BytesIO(archive))
        names = zf.namelist()
        if "labelmap.txt" not in names:
            raise Reply(400, "Dataset must contain a file: labelmap.txt")
        colours = {}
        for line in zf.read("labelmap.txt").decode().splitlines():
            if line.strip() and not line.startswith("#"):
                name, rgb = line.split(":")[:2]
                colours[tuple(int(v) for v in rgb.split(","))] = name
        labels = {label["name"] for label in self.task_labels(task)}
        frames = {PurePosixPath(f["name"]).stem: f for f in task["frames"]}
        masks = {}
        for member in names:
            path = PurePosixPath(member)
            if path.parts[0] != "SegmentationClass":
                continue
            if path.stem not in frames:
                raise Reply(400, f"Could not match item id: '{path.stem}' with any task frame")
            rgb = np.asarray(Image.open(io.BytesIO(zf.read(member))).convert("RGB"))
            for colour in {tuple(int(v) for v in c) for c in rgb.reshape(-1, 3)}:
                name = colours.get(colour)
                if name is None:
                    raise Reply(400, f"{member}: colour {colour} is not in labelmap.txt")
                if name != "background" and name not in labels:
                    raise Reply(400, f"Label '{name}' is not registered for this task")
            masks[path.stem] = rgb
        task["masks"] = masks
        task["mask_to_poly"] = params.get("conv_mask_to_poly")

    def export_masks(self, task: dict) -> bytes:
        """The "Segmentation mask 1.1" export without images: every frame's mask, label colours."""
        out = io.BytesIO()
        labels = self.task_labels(task)
        with zipfile.ZipFile(out, "w") as zf:
            if "background" not in [label["name"] for label in labels]:
                labels = [{"name": "background", "color": "#000000"}, *labels]
            zf.writestr("labelmap.txt", "# label:color_rgb:parts:actions\n" + "".join(
                "{}:{},{},{}::\n".format(label["name"], *_hex(label["color"])) for label in labels))
            stems = [PurePosixPath(f["name"]).stem for f in task["frames"]]
            zf.writestr("ImageSets/Segmentation/default.txt", "".join(f"{s}\n" for s in stems))
            for frame, stem in zip(task["frames"], stems):
                w, h = frame["size"]
                rgb = task["masks"].get(stem, np.zeros((h, w, 3), np.uint8))
                buf = io.BytesIO()
                Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(buf, "PNG")
                zf.writestr(f"SegmentationClass/{stem}.png", buf.getvalue())
                zf.writestr(f"SegmentationObject/{stem}.png", buf.getvalue())
        return out.getvalue()


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """Files (file name without folders -> bytes) and plain fields of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    files: dict[str, bytes] = {}
    fields: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        data = part.get_payload(decode=True) or b""
        if filename is not None:
            files[PurePosixPath(filename.replace("\\", "/")).name] = data
        else:
            fields.setdefault(name, []).append(data.decode())
    return files, fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        cvat: FakeCvat = self.server.cvat
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        try:
            with cvat.lock:
                cvat.calls.append((method, split.path))
                route = Router(cvat, self, method, split.path, query, body)
                route.dispatch()
        except Reply as reply:
            self._send(reply.status, reply.body, reply.headers)

    def _send(self, status: int, body: Any, headers: dict[str, Any]) -> None:
        if isinstance(body, bytes):
            data, kind = body, headers.pop("Content-Type", "application/zip")
        elif body is None:
            data, kind = b"", "application/vnd.cvat+json"
        else:
            data = json.dumps(body if not isinstance(body, str) else {"detail": body}).encode()
            kind = "application/vnd.cvat+json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            for one in value if isinstance(value, list) else [value]:
                self.send_header(key, one)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class Router:
    """One request: authenticate, then find its route."""

    def __init__(self, cvat: FakeCvat, handler: Handler, method: str, path: str, query: dict, body: bytes):
        self.cvat, self.h, self.method, self.path = cvat, handler, method, path
        self.query, self.body = query, body

    def json(self) -> dict:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            raise Reply(400, "JSON parse error") from None

    def authenticate(self) -> None:
        header = self.h.headers.get("Authorization", "")
        jar = self.h.headers.get("Cookie", "").split(";")
        cookies = dict(c.strip().split("=", 1) for c in jar if "=" in c)
        if header:
            self.cvat.auth_seen.add(header)
            if header != f"Bearer {self.cvat.token}":
                raise Reply(401, "Invalid token.")
            return
        sid = cookies.get("sessionid")
        if sid not in self.cvat.sessions:
            raise Reply(401, "Authentication credentials were not provided.")
        safe = self.method in ("GET", "HEAD")
        if not safe and self.h.headers.get("X-CSRFToken") != cookies.get("csrftoken"):
            raise Reply(403, "CSRF Failed: CSRF token missing.")

    def task(self, tid: str) -> dict:
        task = self.cvat.tasks.get(int(tid))
        if task is None:
            raise Reply(404, "Not found.")
        return task

    def dispatch(self) -> None:
        p, m = self.path, self.method
        if (m, p) == ("GET", "/api/server/about"):
            raise Reply(200, {"name": "Computer Vision Annotation Tool", "description": "",
                              "version": VERSION, "logo_url": "", "subtitle": ""})
        if (m, p) == ("POST", "/api/auth/login"):
            return self.login()
        self.authenticate()
        if (m, p) == ("GET", "/api/users/self"):
            raise Reply(200, {**USER, "username": self.cvat.user, "groups": ["user"], "is_active": True})
        if (m, p) == ("POST", "/api/tasks"):
            return self.create_task()
        if (m, p) == ("GET", "/api/labels"):
            return self.labels()
        if (m, p) == ("GET", "/api/jobs"):
            task = self.task(self.query.get("task_id", "0"))
            raise Reply(200, self.cvat.page([self.cvat.job_read(task, j) for j in task["jobs"]]))
        if match := re.fullmatch(r"/api/requests/(.+)", p):
            rq = self.cvat.requests.get(unquote(match[1]))
            raise Reply(200, self.cvat.request_read(rq)) if rq else Reply(404, "Not found.")
        if match := re.fullmatch(r"/api/projects/(\d+)", p):
            return self.project(int(match[1]))
        if not (match := re.fullmatch(r"/api/tasks/(\d+)(/.*)?", p)):
            raise Reply(404, "Not found.")
        task, rest = self.task(match[1]), (match[2] or "")
        if (m, rest) == ("GET", ""):
            raise Reply(200, self.cvat.task_read(task))
        if (m, rest) == ("GET", "/data/meta"):
            return self.meta(task)
        if rest == "/data/":
            return self.upload(task, "data")
        if rest == "/annotations/":
            return self.upload(task, "annotations")
        if upload := re.fullmatch(r"/(data|annotations)/([0-9a-f-]+)", rest):
            return self.tus_chunk(task, upload[2])
        if (m, rest) == ("POST", "/dataset/export"):
            return self.export(task)
        if (m, rest) == ("GET", "/dataset/download"):
            rq = self.cvat.requests.get(self.query.get("rq_id", ""))
            if not rq or rq["status"] != "finished":
                raise Reply(404, "Not found.")
            disposition = f'attachment; filename="task_{task["id"]}.zip"'
            raise Reply(200, rq["file"], {"Content-Disposition": disposition})
        raise Reply(405, f'Method "{m}" not allowed.')

    def login(self) -> None:
        body = self.json()
        if (body.get("username"), body.get("password")) != (self.cvat.user, self.cvat.password):
            raise Reply(400, {"non_field_errors": ["Unable to log in with provided credentials."]})
        sid, csrf = uuid.uuid4().hex, uuid.uuid4().hex
        self.cvat.sessions[sid] = csrf
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=14)
        expires = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
        cookies = [  # Django's two cookies, in the order its middleware sets them
            f"csrftoken={csrf}; expires={expires}; Max-Age=1209600; Path=/; SameSite=Lax",
            f"sessionid={sid}; expires={expires}; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax",
        ]
        raise Reply(200, {"key": uuid.uuid4().hex}, {"Set-Cookie": cookies})

    def create_task(self) -> None:
        spec = self.json()
        if not 1 <= len(spec.get("name", "")) <= 256:
            raise Reply(400, {"name": ["This field is required."]})
        project = spec.get("project_id")
        if project is not None and project not in self.cvat.projects:
            raise Reply(400, {"project_id": [f"The specified project #{project} does not exist."]})
        if project is None and not spec.get("labels"):
            raise Reply(400, {"label_set": ["Label set or project_id must be present"]})
        tid = self.cvat.add_task(spec["name"], [] if project else spec["labels"])
        self.cvat.tasks[tid]["project_id"] = project
        raise Reply(201, self.cvat.task_read(self.cvat.tasks[tid]))

    def labels(self) -> None:
        if "project_id" in self.query:
            owner = self.cvat.projects.get(int(self.query["project_id"]))
            raise Reply(200, self.cvat.page(owner["labels"] if owner else []))
        task = self.cvat.tasks.get(int(self.query.get("task_id", 0)))
        raise Reply(200, self.cvat.page(self.cvat.task_labels(task) if task else []))

    def project(self, pid: int) -> None:
        project = self.cvat.projects.get(pid)
        if project is None:
            raise Reply(404, "Not found.")
        raise Reply(200, {
            "url": f"{self.cvat.base}/api/projects/{pid}", "id": pid, "name": project["name"], "owner": USER,
            "assignee": None, "guide_id": None, "bug_tracker": "", "task_subsets": [],
            "created_date": _now(), "updated_date": _now(), "status": "annotation", "dimension": None,
            "organization": None, "organization_id": None, "target_storage": None, "source_storage": None,
            "assignee_updated_date": None,
            "tasks": {"count": 0, "url": f"{self.cvat.base}/api/tasks?project_id={pid}"},
            "labels": {"url": f"{self.cvat.base}/api/labels?project_id={pid}"},
        })

    def meta(self, task: dict) -> None:
        frames = [{"name": f["name"], "width": f["size"][0], "height": f["size"][1], "related_files": 0,
                   "has_related_context": False} for f in task["frames"]]
        raise Reply(200, {
            "chunks_updated_date": task["created"], "chunk_size": 72, "size": len(frames),
            "image_quality": task["quality"], "start_frame": 0, "stop_frame": max(len(frames) - 1, 0),
            "frame_filter": "", "frames": frames, "deleted_frames": [], "included_frames": None,
            "chapters": None, "storage": "db", "cloud_storage_id": None,
        })

    def upload(self, task: dict, kind: str) -> None:
        """The chunked upload on ``/data/`` and ``/annotations/``: start, files or TUS, finish."""
        headers = self.h.headers
        state = task.setdefault("upload", {})
        if self.method != "POST":
            raise Reply(405, f'Method "{self.method}" not allowed.')
        if "Upload-Start" in headers:
            task["upload"] = {"kind": kind, "files": {}}
            raise Reply(202)
        if "Tus-Resumable" in headers and "Upload-Length" in headers:
            meta = dict(item.split(" ", 1) for item in headers.get("Upload-Metadata", "").split(",") if item)
            name = PurePosixPath(base64.b64decode(meta.get("filename", "")).decode()).name
            file_id = str(uuid.uuid4())
            length = int(headers["Upload-Length"])
            self.cvat.uploads[file_id] = {"task": task["id"], "name": name, "length": length, "data": b""}
            raise Reply(201, None, {"Location": f"{self.cvat.base}/api/tasks/{task['id']}/{kind}/{file_id}",
                                    "Upload-Filename": name, "Tus-Resumable": "1.0.0"})
        if state.get("kind") != kind:
            raise Reply(400, "the upload was not started (Upload-Start)")
        if "Upload-Multiple" in headers:
            files, _ = _multipart(headers["Content-Type"], self.body)
            state["files"].update(files)
            raise Reply(200)
        if "Upload-Finish" in headers:
            task.pop("upload")
            return self.finish(task, kind, state)
        raise Reply(400, "expected one of the Upload-Start, Upload-Multiple, Upload-Finish headers or TUS")

    def tus_chunk(self, task: dict, file_id: str) -> None:
        upload = self.cvat.uploads.get(file_id)
        if upload is None:
            raise Reply(404, "Not found.")
        if self.method == "HEAD":
            raise Reply(200, None, {"Upload-Offset": str(len(upload["data"])), "Tus-Resumable": "1.0.0"})
        if self.h.headers.get("Content-Type") != "application/offset+octet-stream":
            raise Reply(415, "Unsupported media type")
        if int(self.h.headers.get("Upload-Offset", -1)) != len(upload["data"]):
            raise Reply(409, "Upload-Offset does not match")
        upload["data"] += self.body
        state = task.get("upload", {})
        if len(upload["data"]) == upload["length"] and state:
            state["files"][upload["name"]] = upload["data"]
        raise Reply(204, None, {"Upload-Offset": str(len(upload["data"])), "Tus-Resumable": "1.0.0"})

    def finish(self, task: dict, kind: str, state: dict) -> None:
        if kind == "data":
            fields = self.json()
            files = state["files"]
            reply = self.cvat.enqueue("create:task", task, lambda: self.cvat.make_data(task, files, fields))
        else:
            name = self.query.get("filename", "")
            if name not in state["files"]:
                raise Reply(400, f"No such file were uploaded: {name}")
            archive = state["files"][name]
            reply = self.cvat.enqueue("import:annotations", task,
                                      lambda: self.cvat.import_masks(task, archive, self.query),
                                      self.query.get("format"))
        raise Reply(202, reply)

    def export(self, task: dict) -> None:
        fmt = self.query.get("format")
        if fmt != FORMAT:
            raise Reply(400, f"Unknown format specified for the request: '{fmt}'")

        def work() -> dict:
            return {"file": self.cvat.export_masks(task), "result_id": task["id"]}

        reply = self.cvat.enqueue("export:annotations", task, work, fmt)
        rq = self.cvat.requests[reply["rq_id"]]
        rq_id = quote(reply["rq_id"], safe="")
        rq["result_url"] = f"{self.cvat.base}/api/tasks/{task['id']}/dataset/download?rq_id={rq_id}"
        raise Reply(202, reply)


@contextmanager
def cvat_server(token: str = "cvat-pat-0123456789", **kw: Any) -> Iterator[FakeCvat]:
    """A stand-in CVAT on 127.0.0.1 and a free port, for the length of the block."""
    cvat = FakeCvat(token, **kw)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.cvat = cvat  # type: ignore[attr-defined]
    cvat.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield cvat
    finally:
        httpd.shutdown()
        httpd.server_close()
