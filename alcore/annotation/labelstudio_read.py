"""Reading Label Studio's exports: the JSON and JSON_MIN exports with brush RLE back into class maps.

Each task's finished (not cancelled) annotation is read; its brush layers are painted in order (a
later layer wins) and pixels no brush covers become the ignore index. When a task has several
finished annotations the one marked ground truth is taken, else the newest (``updated_at``), and
the import says so. A task whose every annotation was cancelled (skipped) comes back without a
label, so the import releases it to the pool. Label Studio's other export types are named in the
error, with the export to choose instead.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from alcore.annotation import rle
from alcore.annotation.batch import Incoming
from alcore.sdk.atomic import max_json_bytes
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import DataError

#: what to tell a user who hands in one of Label Studio's other export types
CHOOSE = "alcore reads Label Studio's JSON or JSON_MIN export (Export > JSON)"


def sniff(path: Path) -> str | None:
    """The name of a Label Studio export type alcore does not read, or None for JSON text."""
    if path.is_dir():
        names = [p.name for p in path.rglob("*") if p.is_file()]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n.rsplit("/", 1)[-1] for n in zf.namelist() if not n.endswith("/")]
    else:
        with open(path, "rb") as fh:
            head = fh.read(512)
        if head.startswith(b"\x89PNG"):
            return "BRUSH_TO_PNG (a PNG mask)"
        if head.startswith(b"\x93NUMPY"):
            return "BRUSH_TO_NUMPY (a .npy mask)"
        try:
            text = head.decode("utf-8").lstrip("\ufeff").lstrip()
        except UnicodeDecodeError:
            return "binary (not a JSON export)"
        if text.startswith("<"):
            return "VOC (XML)"
        if text and text[0] not in "[{":
            return "TSV" if "\t" in text.splitlines()[0] else "CSV or CONLL2003"
        return None
    lower = [n.lower() for n in names]
    if lower and all(n.endswith(".png") for n in lower):
        return "BRUSH_TO_PNG"
    if any(n.endswith(".npy") for n in lower):
        return "BRUSH_TO_NUMPY"
    if "classes.txt" in lower or any(n.endswith(".txt") for n in lower):
        return "YOLO"
    if any(n.endswith(".xml") for n in lower):
        return "VOC"
    if "result.json" in lower:
        return "COCO"
    return "a folder or archive"


def load_tasks(path: Path) -> list[dict]:
    """The tasks of a JSON or JSON_MIN export; any other export type is named in the error."""
    if not path.exists():
        raise DataError(f"{path} does not exist")
    kind = sniff(path)
    if kind is not None:
        raise DataError(f"{path}: this looks like Label Studio's {kind} export; {CHOOSE}")
    size = path.stat().st_size
    if size > max_json_bytes():
        raise DataError(f"{path} is {size} bytes, over the {max_json_bytes()}-byte limit for a JSON "
                        "export (ALCORE_MAX_JSON_MB)")
    try:
        with open(path, encoding="utf-8") as fh:
            tasks = json.load(fh)
    except RecursionError:
        raise DataError(f"{path}: JSON nested too deeply to be a Label Studio export") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable Label Studio JSON export ({exc})") from None
    if isinstance(tasks, dict) and {"images", "annotations", "categories"} <= set(tasks):
        raise DataError(f"{path}: this looks like Label Studio's COCO export; {CHOOSE}")
    tasks = [tasks] if isinstance(tasks, dict) else tasks
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise DataError(f"{path}: expected a list of tasks")
    return [t if "annotations" in t or "data" in t else from_min(t) for t in tasks]


def from_min(row: dict) -> dict:
    """A JSON_MIN row (one finished annotation, results flattened by control name) as a task."""
    results = []
    for name, values in row.items():
        if not isinstance(values, list):
            continue
        for v in values:
            if isinstance(v, dict) and "rle" in v:
                results.append(
                    {
                        "type": "brushlabels",
                        "from_name": name,
                        "original_width": v.get("original_width"),
                        "original_height": v.get("original_height"),
                        "value": v,
                    }
                )
    data = {k: v for k, v in row.items() if not isinstance(v, list)}
    annotation = {"id": row.get("annotation_id"), "result": results, "updated_at": row.get("updated_at")}
    return {"id": row.get("id"), "data": data, "annotations": [annotation] if results else []}


def _kind(value: object) -> str:
    """How an error describes a JSON value of the wrong shape."""
    if isinstance(value, list):
        inner = {type(v).__name__ for v in value if not isinstance(v, dict)}
        return f"a list holding {', '.join(sorted(inner))}" if inner else "a list"
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number",
            dict: "an object"}.get(type(value), type(value).__name__)


def objects(task: dict, key: str, where: str) -> list[dict]:
    """``task[key]`` as a list of JSON objects ([] when absent); any other shape is an error."""
    value = task.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DataError(f"{where}: '{key}' must be a list of objects, got {_kind(value)}")
    return value


def task_key(task: dict, where: str) -> str:
    """The sample a task stands for: ``data.alcore_id``, else the stem of its image URL."""
    data = task.get("data") or {}
    if not isinstance(data, dict):
        raise DataError(f"{where}: 'data' must be an object, got {_kind(data)}")
    if data.get("alcore_id"):
        return str(data["alcore_id"])
    url = str(data.get("image") or "")
    if not url:
        raise DataError(f"{where}: task has neither data.alcore_id nor data.image")
    url = url.split("?d=")[-1] if "?d=" in url else url.split("?")[0]
    return Path(url.rsplit("/", 1)[-1]).stem


def classmap(results: list[dict], info: DatasetInfo, where: str) -> np.ndarray | None:
    """Paint a task's brush layers into one class map (None when it has no brush result)."""
    out = None
    for r in results:
        kind = str(r.get("type", "")).lower()
        if kind != "brushlabels":
            if kind.endswith("labels"):
                raise DataError(f"{where}: result type '{r.get('type')}' is not supported; use BrushLabels")
            continue
        value = r.get("value", r)
        if not isinstance(value, dict):
            raise DataError(f"{where}: a brush result's 'value' must be an object, got {_kind(value)}")
        if value.get("format", "rle") != "rle" or "rle" not in value:
            raise DataError(f"{where}: brush result without RLE data")
        names = value.get("brushlabels") or []
        if not isinstance(names, list):
            raise DataError(f"{where}: 'brushlabels' must be a list of class names, got {_kind(names)}")
        if len(names) != 1 or names[0] not in info.classes:
            raise DataError(
                f"{where}: brush label {names} is not a class of this dataset "
                f"(classes: {', '.join(info.classes)})"
            )
        try:
            height, width = int(r["original_height"]), int(r["original_width"])
            mask = rle.decode_mask(value["rle"], height, width)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{where}: unreadable brush RLE ({exc})") from None
        if out is None:
            out = np.full((height, width), info.ignore_index, dtype=np.uint8)
        elif out.shape != mask.shape:
            raise DataError(f"{where}: brush layers of different sizes")
        out[mask] = info.classes.index(names[0])
    return out


def choose(done: list[dict], where: str) -> tuple[dict, str]:
    """The annotation taken among a task's finished ones (ground truth, else newest) and a note."""
    order = sorted(
        range(len(done)),
        key=lambda n: (bool(done[n].get("ground_truth")), str(done[n].get("updated_at") or ""), n),
    )
    taken = done[order[-1]]
    if len(done) == 1:
        return taken, ""
    why = "marked ground truth" if taken.get("ground_truth") else "the newest"
    others = ", ".join(str(done[n].get("id", n)) for n in order[:-1])
    return taken, (
        f"{where}: {len(done)} finished annotations; took annotation {taken.get('id', order[-1])} "
        f"({why}), ignored {others}"
    )


def read(path: Path, info: DatasetInfo) -> list[Incoming]:
    """Class maps of every annotated task of a JSON/JSON_MIN export, keyed by sample id."""
    path = Path(path)
    out = []
    for n, task in enumerate(load_tasks(path)):
        where = f"{path}#task {task.get('id', n)}"
        annotations = objects(task, "annotations", where)
        done = [a for a in annotations if not a.get("was_cancelled")]
        if not done:
            if annotations:
                out.append(Incoming(task_key(task, where), None, where))
            continue
        taken, note = choose(done, where)
        label = classmap(objects(taken, "result", f"{where} annotation {taken.get('id', '?')}"), info, where)
        if label is not None:
            out.append(Incoming(task_key(task, where), label, where, note))
    return out
