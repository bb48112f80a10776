"""Label Studio: import tasks with brush pre-annotations out, the JSON export with brush RLE back in.

The export holds ``tasks.json`` (one task per image: ``data.image`` is a URL, ``data.alcore_id`` the
sample id, ``predictions`` one ``brushlabels`` result per class in Label Studio's RLE),
``labeling_config.xml`` (an ``Image`` plus ``BrushLabels`` with the dataset's classes and colours)
and ``images/``. With the default ``url_prefix`` Label Studio serves the images from local
storage when ``LOCAL_FILES_DOCUMENT_ROOT`` is the export folder.

On import each task's newest non-cancelled annotation is read; its brush layers are painted in
order (a later layer wins), and pixels no brush covers become the ignore index.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image

from alcore.annotation import rle
from alcore.annotation.batch import Batch, Incoming
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import DataError

OPTIONS = {"url_prefix": "prefix of image URLs in tasks.json (default /data/local-files/?d=)"}
FROM_NAME, TO_NAME = "tag", "image"
DEFAULT_PREFIX = "/data/local-files/?d="


def labeling_config(info: DatasetInfo) -> str:
    """The project's labeling interface: the image and one brush label per class."""
    labels = ""
    for i, c in enumerate(info.classes):
        colour = "#{:02x}{:02x}{:02x}".format(*info.palette[i])
        labels += f"    <Label value={quoteattr(c)} background={quoteattr(colour)}/>\n"
    return (
        f'<View>\n  <Image name="{TO_NAME}" value="$image" zoom="true"/>\n'
        f'  <BrushLabels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}  </BrushLabels>\n</View>\n'
    )


def brush_results(classmap: np.ndarray, info: DatasetInfo, origin: str) -> list[dict]:
    """One ``brushlabels`` result per class present in a class map."""
    height, width = classmap.shape
    out = []
    for value in np.unique(classmap):
        if value >= info.num_classes:
            continue
        out.append(
            {
                "id": f"c{int(value)}",
                "type": "brushlabels",
                "origin": origin,
                "from_name": FROM_NAME,
                "to_name": TO_NAME,
                "image_rotation": 0,
                "original_width": int(width),
                "original_height": int(height),
                "value": {
                    "format": "rle",
                    "rle": rle.encode_mask(classmap == value),
                    "brushlabels": [info.classes[int(value)]],
                },
            }
        )
    return out


def export(batch: Batch, info: DatasetInfo, to: Path, options: dict[str, str]) -> None:
    """Write tasks.json, labeling_config.xml and images/ into ``to``."""
    prefix = options.get("url_prefix", DEFAULT_PREFIX)
    (to / "images").mkdir()
    tasks = []
    for item in batch.items:
        file = f"{item.name}{Path(item.image).suffix}"
        shutil.copyfile(item.image, to / "images" / file)
        task: dict = {
            "data": {
                "image": f"{prefix}images/{file}",
                "alcore_id": item.id,
                "group": item.group,
                "frame": item.frame,
                "rank": item.rank,
            }
        }
        if item.prediction:
            prediction = {
                "model_version": f"alcore-cycle-{batch.cycle:03d}",
                "result": brush_results(np.asarray(Image.open(item.prediction)), info, "prediction"),
            }
            if item.scores:
                prediction["score"] = float(next(iter(item.scores.values())))
            task["predictions"] = [prediction]
        tasks.append(task)
    (to / "tasks.json").write_text(json.dumps(tasks) + "\n")
    (to / "labeling_config.xml").write_text(labeling_config(info))


def _key(task: dict, where: str) -> str:
    data = task.get("data") or {}
    if data.get("alcore_id"):
        return str(data["alcore_id"])
    url = str(data.get("image") or "")
    if not url:
        raise DataError(f"{where}: task has neither data.alcore_id nor data.image")
    return Path(url.split("?d=")[-1].rsplit("/", 1)[-1]).stem


def _classmap(results: list[dict], info: DatasetInfo, where: str) -> np.ndarray | None:
    """Paint a task's brush layers into one class map (None when it has no brush result)."""
    out = None
    for r in results:
        kind = str(r.get("type", "")).lower()
        if kind != "brushlabels":
            if kind.endswith("labels"):
                raise DataError(f"{where}: result type '{r.get('type')}' is not supported; use BrushLabels")
            continue
        value = r.get("value", r)
        if value.get("format", "rle") != "rle" or "rle" not in value:
            raise DataError(f"{where}: brush result without RLE data")
        names = value.get("brushlabels") or []
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


def read(path: Path, info: DatasetInfo) -> list[Incoming]:
    """Class maps of every annotated task of a Label Studio JSON export, keyed by sample id."""
    path = Path(path)
    try:
        tasks = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable Label Studio JSON export ({exc})") from None
    tasks = [tasks] if isinstance(tasks, dict) else tasks
    if not isinstance(tasks, list):
        raise DataError(f"{path}: expected a list of tasks")
    out = []
    for n, task in enumerate(tasks):
        where = f"{path}#task {task.get('id', n)}"
        done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not done:
            continue
        classmap = _classmap(done[-1].get("result") or [], info, where)
        if classmap is not None:
            out.append(Incoming(_key(task, where), classmap, where))
    return out
