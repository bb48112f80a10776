"""The few Label Studio REST calls alcore needs: projects, task import, JSON export, ML backends, webhooks.

A small client over ``httpx`` rather than label-studio-sdk: the SDK pulls pandas, OpenCV, NLTK and a
code generator into every install for these eight calls. Errors become one-line ``StateError``s
naming the URL and Label Studio's answer.
"""

from __future__ import annotations

from typing import Any

import httpx

from alcore.errors import ConfigError, StateError


class LabelStudio:
    """A Label Studio server at ``url``, used with an access token (legacy token or personal JWT)."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"Label Studio URL {url!r} must start with http:// or https://")
        if not token:
            raise ConfigError("a Label Studio access token is needed (Account & Settings > Access Token)")
        self.url = url.rstrip("/")
        scheme = "Bearer" if token.count(".") == 2 else "Token"
        self._http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"{scheme} {token}"}, timeout=timeout
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the decoded JSON answer, or a one-line error."""
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise StateError(f"Label Studio at {self.url} did not answer {method} {path}: {exc}") from None
        if resp.status_code >= 400:
            text = " ".join(resp.text.split())[:300]
            raise StateError(f"Label Studio {method} {self.url}{path} answered {resp.status_code}: {text}")
        return resp.json() if resp.content else None

    def project(self, project: int) -> dict:
        return self.call("GET", f"/api/projects/{int(project)}")

    def create_project(self, title: str, label_config: str) -> dict:
        return self.call("POST", "/api/projects", json={"title": title, "label_config": label_config})

    def set_label_config(self, project: int, label_config: str) -> dict:
        return self.call("PATCH", f"/api/projects/{int(project)}", json={"label_config": label_config})

    def import_tasks(self, project: int, tasks: list[dict]) -> int:
        """Create tasks (with their predictions) in a project; the number Label Studio created."""
        answer = self.call("POST", f"/api/projects/{int(project)}/import", json=tasks)
        return int((answer or {}).get("task_count", len(tasks)))

    def export_json(self, project: int) -> list[dict]:
        """Every task of a project with its annotations, as the JSON export holds them."""
        params = {"exportType": "JSON", "download_all_tasks": "true"}
        return self.call("GET", f"/api/projects/{int(project)}/export", params=params)

    def task(self, task: int) -> dict:
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
        return self.call("POST", f"/api/ml/{int(backend)}/train")

    def authorize_webhooks(self, project: int, url_prefix: str, headers: dict[str, str]) -> int:
        """Add ``headers`` to the project's webhooks that call ``url_prefix``; how many were changed."""
        hooks = self.call("GET", "/api/webhooks", params={"project": int(project)}) or []
        changed = 0
        for hook in hooks:
            if str(hook.get("url", "")).startswith(url_prefix) and hook.get("headers") != headers:
                self.call("PATCH", f"/api/webhooks/{hook['id']}", json={"headers": headers})
                changed += 1
        return changed
