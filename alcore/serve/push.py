"""Put a batch's tasks, with their pre-annotations, into a Label Studio project and record the export."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from alcore.annotation import labelstudio
from alcore.annotation.batch import read_info
from alcore.annotation.exports import load_batch
from alcore.annotation.layout import AnnotationDirs
from alcore.annotation.records import ExportRecord, load_exports, now, save_export
from alcore.pool import PoolState
from alcore.rundir import RunDir
from alcore.sdk.atomic import write_json
from alcore.sdk.errors import StateError
from alcore.serve.lsclient import LabelStudio


def project_url(ls: LabelStudio, project: int) -> str:
    """The address of a project, as export records name it."""
    return f"{ls.url}/projects/{int(project)}"


def same_project(recorded: str | None, project: int) -> bool:
    """Whether an export record went to ``project`` (the host may be spelled differently)."""
    return bool(recorded) and recorded.rstrip("/").endswith(f"/projects/{int(project)}")


def push_batch(
    run_root: Path, ls: LabelStudio, project: int, cycle: int | None = None
) -> ExportRecord | None:
    """Import the batch's samples the project lacks as tasks, images uploaded; None when none is left."""
    run = RunDir(run_root)
    run.open()
    try:
        dirs = AnnotationDirs(run)
        batch = load_batch(dirs, cycle)
        labeled = set(PoolState.load(run.state).labeled_ids)
        records = load_exports(dirs)
        target = project_url(ls, project)
        sent = {i for r in records if same_project(r.project, project) for i in r.ids}
        items = [i for i in batch.items if i.id not in labeled and i.id not in sent]
        if not items:
            return None
        info = read_info(run.root)
        files = {item.id: f"{item.name}{Path(item.image).suffix}" for item in items}
        urls = ls.upload_images(project, {files[item.id]: Path(item.image) for item in items})
        tasks = []
        for item in items:
            pred = str(run.root / item.prediction) if item.prediction else None
            resolved = dataclasses.replace(item, prediction=pred)
            tasks.append(labelstudio.task(batch, resolved, info, urls[files[item.id]]))
        ls.import_tasks(project, tasks)
        record = ExportRecord(
            number=records[-1].number + 1 if records else 1,
            cycle=batch.cycle,
            strategy=batch.strategy,
            format="labelstudio",
            to=target,
            created=now(),
            items=[{"id": i.id, "name": i.name, "image": i.image} for i in items],
            project=target,
        )
        save_export(dirs, record)
        return record
    finally:
        run.unlock()


def push_export(run_root: Path, number: int, ls: LabelStudio, project: int | None, title: str) -> int:
    """Upload a ``labelstudio`` export's tasks into a project (created when ``project`` is None)."""
    run = RunDir(run_root)
    run.open()
    try:
        dirs = AnnotationDirs(run)
        record = next((r for r in load_exports(dirs) if r.number == number), None)
        if record is None or record.format != "labelstudio" or not Path(record.to).is_dir():
            raise StateError(f"export {number:03d} of {run.root} is not a Label Studio export folder")
        config = (Path(record.to) / "labeling_config.xml").read_text()
        if project is None:
            project = int(ls.create_project(title, config)["id"])
        else:
            ls.set_label_config(project, config)
        tasks = json.loads((Path(record.to) / "tasks.json").read_text())
        folder = Path(record.to) / "images"
        if folder.is_dir():
            urls = ls.upload_images(project, {p.name: p for p in sorted(folder.iterdir())})
            for task in tasks:
                name = str(task["data"]["image"]).rsplit("/", 1)[-1]
                task["data"]["image"] = urls.get(name, task["data"]["image"])
        ls.import_tasks(project, tasks)
        record.project = project_url(ls, project)
        save_export(dirs, record)
        return project
    finally:
        run.unlock()


def pull_export(run_root: Path, ls: LabelStudio, project: int) -> Path:
    """Save a project's JSON export inside the run (the import's provenance) and return its path."""
    tasks = ls.export_json(project)
    stamp = now().replace(":", "").replace("+0000", "Z")
    path = Path(run_root) / "exports" / "pulled" / f"project-{int(project)}-{stamp}.json"
    write_json(path, tasks)
    return path
