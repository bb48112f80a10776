"""Label Studio: import tasks with brush pre-annotations out, the JSON export with brush RLE back in.

The export holds ``tasks.json`` (one task per image: ``data.image`` is a URL, ``data.alcore_id`` the
sample id, ``predictions`` one ``brushlabels`` result per class in Label Studio's RLE),
``labeling_config.xml`` (an ``Image`` plus ``BrushLabels`` with the dataset's classes and colours)
and ``images/``. Image URLs name the export folder (``?d=<folder>/images/<file>``), so one Label
Studio whose ``LOCAL_FILES_DOCUMENT_ROOT`` is the folder's parent serves every export made there;
``image_url`` replaces the prefix (e.g. an ``alcore serve`` address).

A prediction's ``score`` is in [0, 1] and grows with the pick rank: Label Studio's uncertainty
sampling serves low scores first, so the batch's most informative sample comes first.
Reading the export (``read`` in ``labelstudio_read``) lives beside it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image

from alcore.annotation import rle
from alcore.annotation.batch import Batch, BatchItem
from alcore.sdk.dataset import DatasetInfo

OPTIONS = {
    "url_prefix": "prefix of image URLs, before <folder>/images/<file> (default /data/local-files/?d=)",
    "image_url": "base URL of the images instead (tasks get <image_url>/<file>), e.g. alcore serve's",
}
FROM_NAME, TO_NAME = "tag", "image"
DEFAULT_PREFIX = "/data/local-files/?d="


def task_score(rank: int, size: int) -> float:
    """A prediction score in [0, 1] that Label Studio's low-first order turns into pick order."""
    return round((rank + 1) / (size + 1), 6)


def model_version(batch: Batch) -> str:
    """The version Label Studio shows for a batch's predictions: its checkpoint fingerprint."""
    return batch.model or f"alcore-cycle-{batch.cycle:03d}-random"


def prediction(batch: Batch, item: BatchItem, info: DatasetInfo) -> dict | None:
    """One task's pre-annotation (its prediction PNG as brushes), or None when there is none."""
    if not item.prediction:
        return None
    return {
        "model_version": model_version(batch),
        "score": task_score(item.rank, len(batch.items)),
        "result": brush_results(np.asarray(Image.open(item.prediction)), info, "prediction"),
    }


def task(batch: Batch, item: BatchItem, info: DatasetInfo, image: str) -> dict:
    """One Label Studio task: the image URL, the sample's identity and ranks, its prediction."""
    out: dict = {
        "data": {
            "image": image,
            "alcore_id": item.id,
            "cycle": batch.cycle,
            "group": item.group,
            "frame": item.frame,
            "rank": item.rank,
            **{f"score_{k}": v for k, v in item.scores.items()},
        }
    }
    pred = prediction(batch, item, info)
    if pred is not None:
        out["predictions"] = [pred]
    return out


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


def image_urls(batch: Batch, to: Path, options: dict[str, str]) -> dict[str, str]:
    """Each item's image URL in the tasks of an export written to ``to``."""
    files = {item.id: f"{item.name}{Path(item.image).suffix}" for item in batch.items}
    if options.get("image_url"):
        base = options["image_url"].rstrip("/")
        return {i: f"{base}/{f}" for i, f in files.items()}
    prefix = options.get("url_prefix", DEFAULT_PREFIX)
    return {i: f"{prefix}{to.name}/images/{f}" for i, f in files.items()}


def export(batch: Batch, info: DatasetInfo, to: Path, options: dict[str, str]) -> None:
    """Write tasks.json, labeling_config.xml and images/ into ``to``."""
    (to / "images").mkdir()
    urls = image_urls(batch, to, options)
    tasks = []
    for item in batch.items:
        shutil.copyfile(item.image, to / "images" / f"{item.name}{Path(item.image).suffix}")
        tasks.append(task(batch, item, info, urls[item.id]))
    (to / "tasks.json").write_text(json.dumps(tasks) + "\n")
    (to / "labeling_config.xml").write_text(labeling_config(info))


def serving_steps(to: Path) -> list[str]:
    """What a user does once so Label Studio shows an export's images from its folder."""
    return [
        f"start Label Studio with LOCAL_FILES_SERVING_ENABLED=true LOCAL_FILES_DOCUMENT_ROOT={to.parent}",
        f"in the project: Settings > Cloud Storage > Add Source Storage > Local files, path {to / 'images'}"
        " (do not sync it; the tasks already point there)",
        f"import {to / 'tasks.json'} and paste {to / 'labeling_config.xml'} into Labeling Interface",
    ]
