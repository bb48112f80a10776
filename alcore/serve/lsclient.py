"""The few Label Studio REST calls alcore needs: projects, task import, JSON export, ML backends, webhooks.

Images are uploaded into Label Studio itself, so its pages show them from their own origin with no
storage to set up. A small client over ``httpx`` rather than label-studio-sdk: the SDK pulls
pandas, OpenCV, NLTK and a code generator into every install for these few calls. Errors become
one-line ``StateError``s naming the URL and Label Studio's answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from alcore.sdk.errors import ConfigError, StateError


class LabelStudio:
    """A Label Studio server at ``url``, used with an access token (legacy token or personal JWT)."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"Label Studio URL {url!r} must start with http:// or https://")
        if not token:
            raise ConfigError("a Label Studio access token is needed (Account & Settings > Access Token)")
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        self._refresh = token if token.count(".") == 2 else None
        self._http.headers["Authorization"] = self._access() if self._refresh else f"Token {token}"

    def _access(self) -> str:
        """A short-lived access header from a personal access token (a JWT refresh token)."""
        answer = self._http.post("/api/token/refresh", json={"refresh": self._refresh})
        if answer.status_code >= 400:
            raise StateError(
                f"Label Studio at {self.url} refused the personal access token ({answer.status_code})"
            )
        return f"Bearer {answer.json()['access']}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the decoded JSON answer, or a one-line error."""
        try:
            resp = self._http.request(method, path, **kwargs)
            if resp.status_code == 401 and self._refresh:
                self._http.headers["Authorization"] = self._access()
                resp = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise StateError(f"Label Studio at {self.url} did not answer {method} {path}: {exc}") from None
        if resp.status_code >= 400:
            text = " ".join(resp.text.split())[:300]
            raise StateError(f"Label Studio {method} {self.url}{path} answered {resp.status_code}: {text}")
        return resp.json() if resp.content else None

    def project(self, project: int) -> dict:
        """One project's settings."""
        return self.call("GET", f"/api/projects/{int(project)}")

    def create_project(self, title: str, label_config: str) -> dict:
        """A new project with this labeling config."""
        return self.call("POST", "/api/projects", json={"title": title, "label_config": label_config})

    def set_label_config(self, project: int, label_config: str) -> dict:
        """Replace a project's labeling config."""
        return self.call("PATCH", f"/api/projects/{int(project)}", json={"label_config": label_config})

    def import_tasks(self, project: int, tasks: list[dict]) -> int:
        """Create tasks (with their predictions) in a project; the number Label Studio created."""
        answer = self.call("POST", f"/api/projects/{int(project)}/import", json=tasks)
        return int((answer or {}).get("task_count", len(tasks)))

    def upload_images(self, project: int, images: dict[str, Path], chunk: int = 16) -> dict[str, str]:
        """Store image files in Label Studio itself (no tasks yet); ``file name -> task image URL``."""
        urls: dict[str, str] = {}
        names = list(images)
        for start in range(0, len(names), chunk):
            part = names[start : start + chunk]
            handles = [open(images[n], "rb") for n in part]  # noqa: SIM115
            try:
                files = [
                    (f"file{i}", (n, fh, "application/octet-stream"))
                    for i, (n, fh) in enumerate(zip(part, handles))
                ]
                answer = self.call(
                    "POST",
                    f"/api/projects/{int(project)}/import",
                    params={"commit_to_project": "false"},
                    files=files,
                )
            finally:
                for fh in handles:
                    fh.close()
            ids = answer.get("file_upload_ids") or []
            stored = self.call("GET", f"/api/projects/{int(project)}/file-uploads", params={"ids": str(ids)})
            for entry in stored:
                name = next((n for n in part if str(entry["file"]).endswith(f"-{n}")), None)
                if name is not None:
                    urls[name] = f"/data/{entry['file']}"
        missing = [n for n in names if n not in urls]
        if missing:
            raise StateError(f"Label Studio at {self.url} did not keep the uploaded image {missing[0]}")
        return urls

    def export_json(self, project: int) -> list[dict]:
        """Every task of a project with its annotations, as the JSON export holds them."""
        params = {"exportType": "JSON", "download_all_tasks": "true"}
        return self.call("GET", f"/api/projects/{int(project)}/export", params=params)

    def task(self, task: int) -> dict:
        """One task with its annotations and predictions."""
        return self.call("GET", f"/api/tasks/{int(task)}")

    def connect_backend(
        self, project: int, url: str, token: str | None = None, title: str = "alcore"
    ) -> dict:
        """Connect an ML backend (basic auth ``alcore:<token>`` when a token is given)."""
        body: dict[str, Any] = {"project": int(project), "url": url, "title": title, "is_interactive": False}
        if token:
            body.update(auth_method="BASIC_AUTH", basic_auth_user="alcore", basic_auth_pass=token)
        return self.call("POST", "/api/ml", json=body)

    def train(self, backend: int) -> Any:
        """Press Start Training on an ML backend (Label Studio then calls its /webhook)."""
        return self.call("POST", f"/api/ml/{int(backend)}/train")

    def authorize_webhooks(self, project: int, backend_url: str, headers: dict[str, str]) -> int:
        """Add ``headers`` to the project's webhooks that call the backend; how many were changed.

        A webhook is the backend's when it goes to ``backend_url`` or to ``/webhook`` on the same
        port of this machine (Label Studio may know it as localhost while it calls itself 127.0.0.1).
        """
        ours = urlsplit(backend_url)
        hooks = self.call("GET", "/api/webhooks", params={"project": int(project)}) or []
        changed = 0
        for hook in hooks:
            url = str(hook.get("url", ""))
            there = urlsplit(url)
            local = there.hostname in ("localhost", "127.0.0.1", ours.hostname) and there.port == ours.port
            if (url.startswith(backend_url) or (local and there.path.rstrip("/") == "/webhook")) and hook.get(
                "headers"
            ) != headers:
                self.call("PATCH", f"/api/webhooks/{hook['id']}", json={"headers": headers})
                changed += 1
        return changed
