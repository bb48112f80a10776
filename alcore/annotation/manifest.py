"""The plain manifest export: a CSV and a JSON list of the batch (paths, ranks, scores, groups).

For in-house tools and scripts. Pre-annotations are copied as class-id PNGs into
``pre-annotations/``; labels come back as ``<name>.png`` class-id PNGs (``--format png``).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from alcore.annotation.batch import Batch
from alcore.sdk.dataset import DatasetInfo

OPTIONS: dict[str, str] = {}


def rows(batch: Batch) -> list[dict]:
    """One flat record per sample: id, file name, image path, group, frame, rank, scores."""
    out = []
    for item in batch.items:
        row = {
            "id": item.id,
            "name": item.name,
            "image": item.image,
            "group": item.group,
            "frame": item.frame,
            "rank": item.rank,
        }
        row.update({f"score_{k}": v for k, v in item.scores.items()})
        row["pre_annotation"] = f"pre-annotations/{item.name}.png" if item.prediction else None
        out.append(row)
    return out


def export(batch: Batch, info: DatasetInfo, to: Path, options: dict[str, str]) -> None:
    """Write manifest.csv, manifest.json, classes.txt and the pre-annotation PNGs into ``to``."""
    records = rows(batch)
    columns = list(dict.fromkeys(k for r in records for k in r))
    with open(to / "manifest.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in records)
    meta = {
        "cycle": batch.cycle,
        "strategy": batch.strategy,
        "classes": info.classes,
        "ignore_index": info.ignore_index,
        "items": records,
    }
    (to / "manifest.json").write_text(json.dumps(meta, indent=2) + "\n")
    (to / "classes.txt").write_text("".join(f"{i} {c}\n" for i, c in enumerate(info.classes)))
    for item in batch.items:
        if item.prediction:
            target = to / "pre-annotations" / f"{item.name}.png"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(item.prediction, target)
