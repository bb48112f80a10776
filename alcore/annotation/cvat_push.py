"""Put a ``cvat`` export into a CVAT task and bring the task's finished masks back.

Push: a new task (named after the run and cycle, with alcore's classes and colours as mask labels,
or inside a CVAT project with its labels) or an existing one gets the export's images, in pick
order, and its pre-annotation bundle through CVAT's "Segmentation mask 1.1" import. The task's
address goes into the export record, so a pull finds it.

Pull: the task's "Segmentation mask 1.1" export, cut down to the frames of jobs marked completed
(pre-annotations in frames nobody finished are not labels), is saved inside the run, where the
ordinary validated import reads it.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path, PurePosixPath

from alcore.annotation.cvat import MASKS, OBJECTS
from alcore.annotation.cvat_api import Cvat, frame_stem
from alcore.annotation.layout import AnnotationDirs
from alcore.annotation.records import ExportRecord, load_exports, now, save_export
from alcore.rundir import RunDir
from alcore.sdk.errors import ConfigError, DataError, StateError

_TASK = re.compile(r"^(?P<host>.+)/tasks/(?P<id>\d+)/?$")
PER_FRAME = (MASKS, OBJECTS, "JPEGImages")


def recorded_task(address: str | None, url: str | None = None) -> int | None:
    """The CVAT task id an export record names (on server ``url`` when given), else None."""
    match = _TASK.match(address or "")
    if match is None or (url is not None and match["host"].rstrip("/") != url.rstrip("/")):
        return None
    return int(match["id"])


def _record(dirs: AnnotationDirs, number: int) -> ExportRecord:
    record = next((r for r in load_exports(dirs) if r.number == number), None)
    if record is None or record.format != "cvat" or not Path(record.to).is_dir():
        raise StateError(f"export {number:03d} of {dirs.run.root} is not a CVAT export folder")
    return record


def _check_labels(have: list[str], classes: list[str], where: str) -> None:
    missing = [c for c in classes if c not in have]
    if missing:
        raise StateError(
            f"{where} lacks the label(s) {', '.join(missing)} of this dataset "
            f"(it has: {', '.join(have) or 'none'}); add them in CVAT or let alcore create the task"
        )


def push_export(
    run_root: Path, number: int, cvat: Cvat, task_id: int | None, project: int | None, title: str
) -> int:
    """Upload a ``cvat`` export into a task (created when ``task_id`` is None); the task's id."""
    run = RunDir(run_root)
    run.open()
    try:
        dirs = AnnotationDirs(run)
        record = _record(dirs, number)
        folder = Path(record.to)
        labels = json.loads((folder / "labels.json").read_text())
        classes = [label["name"] for label in labels]
        images = [folder / "JPEGImages" / f"{i['name']}{Path(i['image']).suffix}" for i in record.items]
        if task_id is None:
            if project is not None:
                _check_labels(cvat.label_names(project=project), classes, f"CVAT project {project}")
            task = cvat.create_task(title, None if project is not None else labels, project)
            record.project = cvat.task_url(task.id)
            save_export(dirs, record)
            cvat.upload_images(task, images)
        else:
            task = cvat.task(task_id)
            _check_labels(cvat.label_names(task), classes, f"CVAT task {task_id}")
            frames = {frame_stem(n) for n in cvat.frame_names(task)}
            if not frames:
                cvat.upload_images(task, images)
            elif missing := [i["name"] for i in record.items if i["name"] not in frames]:
                raise StateError(
                    f"CVAT task {task_id} already has images, but not {missing[0]} "
                    f"({len(missing)} of the export's {len(record.items)} are missing); "
                    "push into a task without images, or let alcore create one"
                )
            record.project = cvat.task_url(task.id)
            save_export(dirs, record)
        bundle = folder / "annotations.zip"
        if bundle.is_file():
            cvat.upload_annotations(task, bundle)
        return int(task.id)
    finally:
        run.unlock()


def find_task(run_root: Path, url: str) -> int:
    """The task of the one open ``cvat`` export pushed to this server."""
    run = RunDir(run_root)
    records = [r for r in load_exports(AnnotationDirs(run)) if r.format == "cvat" and r.is_open]
    pushed = {r.number: recorded_task(r.project, url) for r in records}
    tasks = {n: t for n, t in pushed.items() if t is not None}
    if len(set(tasks.values())) == 1:
        return next(iter(tasks.values()))
    if not tasks:
        raise ConfigError(f"no open export of {run.root} was pushed to CVAT at {url}; give --cvat-task ID")
    listing = ", ".join(f"{n:03d} (task {t})" for n, t in tasks.items())
    raise ConfigError(f"several open exports went to CVAT tasks ({listing}); give --cvat-task ID")


def keep_frames(source: Path, to: Path, frames: set[str] | None) -> int:
    """Copy a Segmentation-mask zip, per-frame files only for ``frames`` (all when None); how many masks."""
    kept = 0
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(to, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            parts = PurePosixPath(info.filename).parts
            if any(p in PER_FRAME for p in parts[:-1]) and info.filename.lower().endswith(".png"):
                if frames is not None and PurePosixPath(info.filename).stem not in frames:
                    continue
                kept += MASKS in parts[:-1]
            zout.writestr(info, zin.read(info))
    return kept


def pull_task(run_root: Path, cvat: Cvat, task_id: int, every_job: bool = False) -> tuple[Path, list[str]]:
    """Save the task's finished masks inside the run (the import's provenance); the path and notes."""
    task = cvat.task(task_id)
    notes = []
    frames = None
    if not every_job:
        frames, total = cvat.finished_frames(task)
        if not frames:
            raise DataError(
                f"CVAT task {task_id} has no completed job yet; mark finished jobs completed in CVAT "
                "(or pass --cvat-jobs all to take every frame, pre-annotations included)"
            )
        if len(frames) < total:
            left = total - len(frames)
            notes.append(f"{left} of {total} frames are in jobs not completed yet; left for later")
    stamp = now().replace(":", "").replace("+0000", "Z")
    pulled = Path(run_root) / "exports" / "pulled"
    pulled.mkdir(parents=True, exist_ok=True)
    path = pulled / f"task-{int(task_id)}-{stamp}.zip"
    raw, part = (pulled / f".{path.stem}.{kind}" for kind in ("download.zip", "part"))
    for leftover in (raw, part):
        leftover.unlink(missing_ok=True)
    try:
        cvat.export_annotations(task, raw)
        if not zipfile.is_zipfile(raw):
            raise StateError(f"CVAT task {task_id}'s export is not a zip archive")
        keep_frames(raw, part, frames)
        os.replace(part, path)
    finally:
        for leftover in (raw, part):
            leftover.unlink(missing_ok=True)
    return path, notes
