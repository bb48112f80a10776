"""The few CVAT calls alcore needs, through cvat-sdk: tasks, their images, labels, jobs and annotations.

cvat-sdk (the ``alcore[cvat]`` extra) speaks CVAT's upload protocols (the chunked "Upload-Start /
Upload-Multiple / Upload-Finish" image upload and the TUS annotation upload) and its background
requests, which a small HTTP client would have to copy. Every SDK failure becomes one line: a
server that cannot be reached (or fails with a 5xx) is an ``EnvironmentFailure`` (exit 3), a
refused credential or a request CVAT rejects a ``StateError`` naming the call and CVAT's answer.
The token or password lives only in the client's memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from alcore.sdk.errors import ConfigError, EnvironmentFailure, StateError

FORMAT = "Segmentation mask 1.1"
INSTALL = "pip install 'alcore[cvat]'"
#: job states whose frames count as finished
DONE = ("completed",)


def _quiet_logger() -> logging.Logger:
    """The SDK's logger: its progress lines and warnings stay out of alcore's output."""
    log = logging.getLogger("alcore.cvat")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


def _one_line(text: Any, limit: int = 300) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text or "").split())[:limit]


def parse_credentials(token: str | None, credentials: str | None) -> tuple[str, str] | str:
    """The access token, or ``(user, password)`` from ``USER:PASSWORD``; exactly one must be given."""
    if token and credentials:
        raise ConfigError("give either --cvat-token or --cvat-credentials, not both")
    if token:
        return token
    if not credentials:
        raise ConfigError(
            "CVAT needs --cvat-token (a personal access token: Profile > Security) "
            "or --cvat-credentials USER:PASSWORD"
        )
    user, sep, password = credentials.partition(":")
    if not (user and sep and password):
        raise ConfigError("--cvat-credentials must be USER:PASSWORD")
    return user, password


def check_url(url: str) -> str:
    """The server URL without a trailing slash, refused unless it is http(s)."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"CVAT URL {url!r} must start with http:// or https://")
    return url.rstrip("/")


def frame_stem(name: str) -> str:
    """The key a frame's masks carry in a Segmentation-mask export: its file name, no extension."""
    return PurePosixPath(name).stem


class Cvat:
    """A CVAT server at ``url``, logged in with a personal access token or a user and password."""

    def __init__(self, url: str, auth: tuple[str, str] | str, status_check_period: float = 1.0) -> None:
        self.url = check_url(url)
        try:
            from cvat_sdk.core.client import AccessTokenCredentials, Client, Config, PasswordCredentials
        except ImportError:
            raise ConfigError(f"pushing to or pulling from CVAT needs cvat-sdk ({INSTALL})") from None
        config = Config(status_check_period=status_check_period, allow_unsupported_server=True)
        with self._call("connect"):
            self._client = Client(self.url, logger=_quiet_logger(), config=config, check_server_version=False)
            self.server_version = str(self._client.get_server_version())
        creds = AccessTokenCredentials(auth) if isinstance(auth, str) else PasswordCredentials(*auth)
        with self._call("log in"):
            self._client.login(creds)
            self._client.api_client.users_api.retrieve_self()

    def version_note(self) -> str | None:
        """A warning when the server's major.minor version is not the SDK's (CVAT's support rule)."""
        from cvat_sdk.version import VERSION

        if self.server_version.split(".")[:2] == VERSION.split(".")[:2]:
            return None
        return (
            f"CVAT server {self.server_version} with cvat-sdk {VERSION}: CVAT supports only the same "
            f"major.minor version (pip install 'cvat-sdk~={'.'.join(self.server_version.split('.')[:2])}.0')"
        )

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        """Turn the SDK's and urllib3's exceptions into one-line alcore errors."""
        import urllib3
        from cvat_sdk.api_client.exceptions import ApiException, OpenApiException
        from cvat_sdk.core.exceptions import BackgroundRequestException, CvatSdkException

        try:
            yield
        except ApiException as exc:
            status = exc.status or 0
            answer = _one_line(exc.body) or _one_line(exc.reason)
            line = f"CVAT at {self.url} answered {status} to {what}: {answer}"
            if status in (401, 403):
                raise StateError(
                    f"CVAT at {self.url} refused the credentials ({status}) to {what}: {answer}"
                ) from None
            if status == 0 or status >= 500:
                raise EnvironmentFailure(line) from None
            raise StateError(line) from None
        except BackgroundRequestException as exc:
            raise StateError(f"CVAT at {self.url} could not {what}: {_one_line(exc)}") from None
        except urllib3.exceptions.HTTPError as exc:
            raise EnvironmentFailure(
                f"CVAT at {self.url} did not answer ({what}): {_one_line(exc)}"
            ) from None
        except (OpenApiException, CvatSdkException, AssertionError) as exc:
            raise StateError(
                f"CVAT at {self.url} gave an answer cvat-sdk cannot read ({what}): "
                f"{type(exc).__name__}: {_one_line(exc)}"
            ) from None

    def task_url(self, task_id: int) -> str:
        """The address of a task, as export records name it."""
        return f"{self.url}/tasks/{int(task_id)}"

    def task(self, task_id: int) -> Any:
        """One task (a cvat-sdk ``Task`` proxy)."""
        with self._call(f"GET task {task_id}"):
            return self._client.tasks.retrieve(int(task_id))

    def label_names(self, task: Any = None, project: int | None = None) -> list[str]:
        """The label names of a task, or of a project."""
        owner = f"project {project}" if task is None else f"task {task.id}"
        with self._call(f"list the labels of {owner}"):
            if task is not None:
                return [label.name for label in task.get_labels()]
            return [label.name for label in self._client.projects.retrieve(int(project)).get_labels()]

    def create_task(self, name: str, labels: list[dict] | None, project: int | None) -> Any:
        """A new task, with its own ``labels`` or inside ``project`` (then it has the project's labels)."""
        spec: dict[str, Any] = {"name": name}
        if project is not None:
            spec["project_id"] = int(project)
        else:
            spec["labels"] = labels
        with self._call("create a task"):
            return self._client.tasks.create(spec)

    def upload_images(self, task: Any, images: list[Path]) -> None:
        """Give a task its images, as frames in this order."""
        with self._call(f"upload {len(images)} images to task {task.id}"):
            task.upload_data(
                [str(p) for p in images], params={"image_quality": 95, "sorting_method": "predefined"}
            )

    def frame_names(self, task: Any) -> list[str]:
        """The file names of a task's frames, in frame order (empty before it has data)."""
        if not getattr(task, "size", 0):
            return []
        with self._call(f"read the frames of task {task.id}"):
            return [frame.name for frame in task.get_meta().frames or []]

    def upload_annotations(self, task: Any, bundle: Path) -> None:
        """Import a Segmentation-mask bundle into a task; masks stay masks (not polygons)."""
        with self._call(f"import {bundle.name} into task {task.id} as '{FORMAT}'"):
            task.import_annotations(FORMAT, bundle, conv_mask_to_poly=False)

    def finished_frames(self, task: Any) -> tuple[set[str], int]:
        """Frame stems of the task's annotation jobs marked completed, and how many frames it has."""
        names = self.frame_names(task)
        with self._call(f"list the jobs of task {task.id}"):
            jobs = task.get_jobs()
        done: set[str] = set()
        for job in jobs:
            if str(getattr(job, "type", "annotation")) != "annotation" or str(job.state) not in DONE:
                continue
            done.update(frame_stem(n) for n in names[job.start_frame : job.stop_frame + 1])
        return done, len(names)

    def export_annotations(self, task: Any, to: Path) -> Path:
        """Download a task's annotations (no images) as a Segmentation-mask zip at ``to``."""
        from cvat_sdk.core.proxies.types import Location

        with self._call(f"export task {task.id} as '{FORMAT}'"):
            task.export_dataset(FORMAT, to, include_images=False, location=Location.LOCAL)
        return to
