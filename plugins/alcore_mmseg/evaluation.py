"""Evaluation and prediction over samples: MMSeg's IoU metric and whole-image predictions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from alcore.dataset import DatasetInfo, Sample
from alcore.model import Progress
from alcore_mmseg import data, distributed
from alcore_mmseg.stack import scope


def eval_loader(
    samples: Sequence[Sample], info: DatasetInfo, batch_size: int, workers: int, with_labels: bool
) -> Iterable[dict]:
    """An ordered single pass over ``samples``; under a launcher every rank reads all of its samples."""
    from mmengine.runner import Runner

    dataset = data.dataset_cfg(samples, info, train=False, with_labels=with_labels)
    cfg = data.loader_cfg(dataset, batch_size, workers, False, None)
    if distributed.launched():
        # every rank needs all of its samples: a DefaultSampler would shard them (and sync seeds)
        from mmengine.dataset import pseudo_collate
        from mmseg.registry import DATASETS

        with scope():
            dataset = DATASETS.build(cfg["dataset"])
        return torch.utils.data.DataLoader(
            dataset, batch_size, shuffle=False, num_workers=workers, collate_fn=pseudo_collate
        )
    with scope():
        return Runner.build_dataloader(cfg)


@torch.no_grad()
def evaluate(
    segmentor: torch.nn.Module,
    batches: Iterable[dict],
    info: DatasetInfo,
    total: int,
    progress: Progress | None = None,
) -> dict:
    """mIoU, per-class IoU and pixel accuracy (percent) with MMSeg's own IoU metric."""
    from mmseg.evaluation import IoUMetric

    n = info.num_classes
    totals = [torch.zeros(n, dtype=torch.float64) for _ in range(4)]
    done = 0
    for batch in batches:
        for out in segmentor.test_step(batch):
            pred = out.pred_sem_seg.data.squeeze(0).cpu()
            gt = out.gt_sem_seg.data.squeeze(0).cpu()
            areas = IoUMetric.intersect_and_union(pred, gt, n, info.ignore_index)
            for acc, area in zip(totals, areas):
                acc += area.double()
        done += len(batch["inputs"])
        if progress:
            progress(done, total)
    return summarise(*totals, classes=info.classes)


def summarise(
    intersect: torch.Tensor,
    union: torch.Tensor,
    pred_area: torch.Tensor,
    label_area: torch.Tensor,
    classes: Sequence[str],
) -> dict:
    """The metrics dict from accumulated areas; classes absent from the labels get ``None``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = (intersect / union).numpy()
    present = label_area.numpy() > 0
    per_class = {
        c: (round(float(v) * 100, 2) if present[i] else None) for i, (c, v) in enumerate(zip(classes, iou))
    }
    miou = float(np.nanmean(iou[present])) * 100 if present.any() else 0.0
    acc = float(intersect.sum() / label_area.sum()) * 100 if label_area.sum() > 0 else 0.0
    return {"mIoU": round(miou, 2), "aAcc": round(acc, 2), "per_class_iou": per_class}


@torch.no_grad()
def predict(segmentor: torch.nn.Module, batches: Iterable[dict]) -> list[np.ndarray]:
    """Predicted class index per pixel for each sample (at the image's own size)."""
    preds: list[np.ndarray] = []
    for batch in batches:
        for out in segmentor.test_step(batch):
            preds.append(out.pred_sem_seg.data.squeeze(0).cpu().numpy().astype(np.uint8))
    return preds
