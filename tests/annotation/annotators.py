"""What the annotation tests share: an unlabeled folder dataset and annotators that answer in each
tool's own export format (label PNGs, CVAT "Segmentation mask 1.1", Label Studio JSON with brush RLE).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

CLASSES = ["background", "ground", "object"]
#: the folder dataset's palette for three classes (the first Cityscapes colours)
COLOURS = {0: (128, 64, 128), 1: (244, 35, 232), 2: (70, 70, 70)}
SIZE = (64, 32)
TINY = ["--model-opt", "iters=5", "--model-opt", "width=8", "--model-opt", "batch_size=2"]


def make_pool(root: Path, truth: Path, groups: int = 3, frames: int = 5) -> list[str]:
    """An images-only folder dataset (a few short 'videos'), with the 3-class truth kept aside."""
    rng = np.random.default_rng(0)
    w, h = SIZE
    (root / "images").mkdir(parents=True)
    truth.mkdir(parents=True)
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    rows, ids = ["id,group,frame"], []
    for g in range(groups):
        colours = rng.integers(0, 255, (3, 3))
        for f in range(frames):
            label = np.zeros((h, w), np.uint8)
            label[h // 2 :] = 1
            x = (f * 5 + g * 9) % (w - 16)
            label[8:24, x : x + 16] = 2
            image = (colours[label] + rng.integers(0, 25, (h, w, 3))).clip(0, 255).astype(np.uint8)
            sid = f"seq{g}_{f:03d}"
            cv2.imwrite(str(root / "images" / f"{sid}.png"), image)
            cv2.imwrite(str(truth / f"{sid}.png"), label)
            rows.append(f"{sid},seq{g},{f}")
            ids.append(sid)
    (root / "groups.csv").write_text("\n".join(rows) + "\n")
    return ids


def truth_of(truth: Path, sid: str) -> np.ndarray:
    return cv2.imread(str(truth / f"{sid}.png"), cv2.IMREAD_UNCHANGED)


def colour_mask(label: np.ndarray, colours: dict[int, tuple[int, int, int]] = COLOURS) -> np.ndarray:
    rgb = np.zeros(label.shape + (3,), np.uint8)
    for k, c in colours.items():
        rgb[label == k] = c
    return rgb


def png_bytes(rgb_or_ids: np.ndarray) -> bytes:
    array = rgb_or_ids[..., ::-1] if rgb_or_ids.ndim == 3 else rgb_or_ids
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array))
    assert ok
    return buf.tobytes()


def answer_png(out: Path, labels: dict[str, np.ndarray]) -> Path:
    """Label PNGs in the dataset's convention: ``<name>.png`` of class ids."""
    out.mkdir(parents=True)
    for name, label in labels.items():
        (out / f"{name}.png").write_bytes(png_bytes(label))
    return out


def answer_cvat(out: Path, masks: dict[str, np.ndarray], labelmap: str | None = None) -> Path:
    """A CVAT "Segmentation mask 1.1" export zip: labelmap, image set, class and object masks."""
    if labelmap is None:
        labelmap = "# label:color_rgb:parts:actions\n" + "".join(
            f"{n}:{c[0]},{c[1]},{c[2]}::\n" for n, c in zip(CLASSES, COLOURS.values())
        )
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("labelmap.txt", labelmap)
        zf.writestr("ImageSets/Segmentation/default.txt", "".join(f"{n}\n" for n in masks))
        for name, rgb in masks.items():
            zf.writestr(f"SegmentationClass/{name}.png", png_bytes(rgb))
            zf.writestr(f"SegmentationObject/{name}.png", png_bytes(rgb))
    return out


def brush_result(mask: np.ndarray, label: str, n: int) -> dict:
    """One ``brushlabels`` result, its RLE made by Label Studio's own converter package."""
    from label_studio_converter import brush

    h, w = mask.shape
    return {
        "id": f"r{n}",
        "type": "brushlabels",
        "origin": "manual",
        "from_name": "tag",
        "to_name": "image",
        "original_width": w,
        "original_height": h,
        "image_rotation": 0,
        "value": {
            "format": "rle",
            "rle": brush.mask2rle((mask * 255).astype(np.uint8)),
            "brushlabels": [label],
        },
    }


def answer_labelstudio(
    out: Path, tasks: Sequence[dict], labels: dict[str, np.ndarray], names: Sequence[str] = CLASSES
) -> Path:
    """Label Studio's JSON export: the exported tasks, each with one brush annotation per class."""
    exported = []
    for n, task in enumerate(tasks, start=1):
        sid = task["data"]["alcore_id"]
        if sid not in labels:
            continue
        label = labels[sid]
        result = [brush_result(label == k, names[k], k) for k in np.unique(label) if k < len(names)]
        exported.append(
            {
                "id": n,
                "data": task["data"],
                "predictions": [],
                "annotations": [
                    {"id": 100 + n, "was_cancelled": True, "result": []},
                    {"id": 200 + n, "was_cancelled": False, "result": result},
                ],
            }
        )
    out.write_text(json.dumps(exported))
    return out
