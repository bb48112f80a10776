"""Annotations received from Label Studio, one durable file each, kept until the run takes them in.

::

    RUN_DIR/serve/annotations/<annotation id>.json   the newest version of one annotation
    RUN_DIR/serve/folded.json                        what the last fold into the run used

A file is written atomically (fsynced, renamed, directory fsynced) before the webhook answers, so an
acknowledged annotation survives a kill at any moment; a deletion removes the file the same way.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from alcore.annotation.labelstudio_read import choose, classmap
from alcore.annotation.masks import check_label, image_size
from alcore.annotation.records import now
from alcore.sdk.atomic import fsync_dir, read_json, write_json
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import DataError


def folder(run_root: Path) -> Path:
    """Where a run keeps the annotations Label Studio sent."""
    return Path(run_root) / "serve" / "annotations"


def record_path(run_root: Path, annotation_id: int) -> Path:
    """The file of one annotation, named by Label Studio's annotation id."""
    return folder(run_root) / f"{int(annotation_id)}.json"


def checked_label(result: list, info: DatasetInfo, image: Path, where: str) -> np.ndarray | None:
    """The class map an annotation's brushes paint, checked against the image (None: no brush)."""
    if not isinstance(result, list):
        raise DataError(f"{where}: annotation.result must be a list")
    label = classmap(result, info, where)
    if label is not None:
        check_label(label, image_size(image), info.num_classes, info.ignore_index, where)
    return label


def store(run_root: Path, record: dict) -> bool:
    """Durably keep one annotation; False when a newer version of it is already kept."""
    path = record_path(run_root, record["annotation"])
    if path.is_file():
        old = read_json(path)
        if str(old.get("updated_at") or "") > str(record.get("updated_at") or ""):
            return False
    write_json(path, {**record, "received": now()})
    return True


def delete(run_root: Path, annotation_id: int) -> bool:
    """Durably forget one annotation; False when it was not kept."""
    path = record_path(run_root, annotation_id)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True


def load(run_root: Path) -> list[dict]:
    """Every kept annotation (half-written temporary files are never read)."""
    where = folder(run_root)
    if not where.is_dir():
        return []
    return [read_json(p) for p in sorted(where.glob("[0-9]*.json"), key=lambda p: int(p.stem))]


def by_sample(records: list[dict]) -> dict[str, tuple[dict | None, str]]:
    """Per sample: the annotation taken (None when every one was a skip) and a note on the choice."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        groups[r["sample"]].append(r)
    out: dict[str, tuple[dict | None, str]] = {}
    for sid, group in groups.items():
        done = [r for r in group if not r.get("was_cancelled")]
        if not done:
            out[sid] = (None, "")
            continue
        taken, note = choose(
            [{**r, "id": r["annotation"]} for r in done], f"sample '{sid}' (task {done[0]['task']})"
        )
        out[sid] = (next(r for r in done if r["annotation"] == taken["id"]), note)
    return out


def folded(run_root: Path) -> dict[str, str]:
    """``sample -> version`` of what the last fold wrote into the run."""
    path = Path(run_root) / "serve" / "folded.json"
    return read_json(path) if path.is_file() else {}


def version(record: dict) -> str:
    """What identifies one version of one annotation."""
    return f"{record['annotation']}@{record.get('updated_at') or record.get('received')}"


def unfolded(run_root: Path) -> int:
    """How many samples have a finished annotation the run has not taken in yet."""
    done = folded(run_root)
    return sum(
        1
        for sid, (r, _) in by_sample(load(run_root)).items()
        if r is not None and done.get(sid) != version(r)
    )
