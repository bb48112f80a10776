"""One real semi-supervised training cycle of a small MMSeg model through MMEngine."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from alcore.plugins import get_registry
from alcore.sdk.dataset import DatasetInfo, Sample

CLASSES = ["background", "square", "disc"]


def write_scene(root: Path, i: int, rng: np.random.Generator) -> Sample:
    """A 32×64 image with a square and a disc of fixed colours, and its label map."""
    h, w = 32, 64
    image = np.full((h, w, 3), 40, np.uint8)
    label = np.zeros((h, w), np.uint8)
    x, y = int(rng.integers(0, w - 12)), int(rng.integers(0, h - 12))
    image[y : y + 10, x : x + 10] = (200, 40, 40)
    label[y : y + 10, x : x + 10] = 1
    cx, cy = int(rng.integers(8, w - 8)), int(rng.integers(8, h - 8))
    disc = (np.arange(w)[None] - cx) ** 2 + (np.arange(h)[:, None] - cy) ** 2 <= 36
    image[disc] = (40, 200, 40)
    label[disc] = 2
    root.mkdir(parents=True, exist_ok=True)
    img_path, lbl_path = root / f"img{i}.png", root / f"lbl{i}.png"
    cv2.imwrite(str(img_path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(lbl_path), label)
    return Sample(id=f"s{i}", image=img_path, label=lbl_path, group=f"g{i // 3}", frame=i % 3)


@pytest.fixture()
def tiny_pool(tmp_path: Path) -> list[Sample]:
    rng = np.random.default_rng(0)
    return [write_scene(tmp_path / "data", i, rng) for i in range(8)]


def test_fixmatch_cycle_trains_reports_and_saves(tiny_pool: list[Sample], tmp_path: Path) -> None:
    registry = get_registry()
    ssl = registry.get("ssl", "fixmatch").build({"threshold": "0", "ratio": "1"})
    info = DatasetInfo(classes=CLASSES, palette=[(0, 0, 0), (255, 0, 0), (0, 255, 0)])
    model = registry.get("model", "mmseg").build(
        {"width": 8, "iters": 4, "batch_size": 2, "warm_start": True},
        info=info,
        quantities={},
        seed=0,
    )
    labeled, unlabeled = tiny_pool[:3], tiny_pool[3:]
    ckpt = model.train(labeled, unlabeled, 0, tmp_path / "c0", ssl=ssl)

    stats = model.last_train_stats
    assert stats["ssl"] == "fixmatch" and stats["ssl_steps"] == 4
    assert stats["ssl_confident_fraction"] == 1.0 and stats["ssl_active_fraction"] > 0.5
    assert 0.0 <= stats["ssl_pseudo_label_acc"] <= 1.0
    assert stats["loss_ssl"] > 0.0
    json.dumps(stats)
    assert type(model.segmentor).__name__ == "EncoderDecoder"

    trained = {k: v.clone() for k, v in model.segmentor.state_dict().items()}
    model.load(ckpt)
    for k, v in model.segmentor.state_dict().items():
        assert torch.equal(v, trained[k]), k
    assert model.evaluate(tiny_pool[:2])["mIoU"] >= 0.0

    # a production pool has no labels for its unlabeled part: no accuracy, training unchanged
    unlabeled = [dataclasses.replace(s, label=None) for s in tiny_pool[4:]]
    model.train(tiny_pool[:4], unlabeled, 1, tmp_path / "c1", ssl=ssl)
    stats = model.last_train_stats
    assert stats["ssl_steps"] == 4 and "ssl_pseudo_label_acc" not in stats


def test_ema_update_moves_the_teacher_towards_the_student() -> None:
    from alcore_mmseg.model import _prepare_stack

    _prepare_stack()
    from alcore_mmseg.ssl_model import ema_update

    teacher, student = torch.nn.BatchNorm2d(2), torch.nn.BatchNorm2d(2)
    with torch.no_grad():
        student.weight.fill_(3.0)
        student.running_mean.fill_(1.0)
    student.num_batches_tracked.fill_(5)
    ema_update(teacher, student, 0.9)
    assert torch.allclose(teacher.weight, torch.full((2,), 0.9 + 0.3))
    assert torch.allclose(teacher.running_mean, torch.full((2,), 0.1))
    assert int(teacher.num_batches_tracked) == 5
