"""MMSeg datasets and dataloaders over alcore samples: the real MMSeg pipeline, our list of files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alcore.sdk.dataset import DatasetInfo, Sample

DATASET_TYPE = "AlcoreSegDataset"
_registered = False


def register_dataset_type() -> None:
    """Register :class:`AlcoreSegDataset` in MMSeg's dataset registry (once per process)."""
    global _registered
    if _registered:
        return
    from mmseg.datasets import BaseSegDataset
    from mmseg.registry import DATASETS

    @DATASETS.register_module(name=DATASET_TYPE, force=True)
    class AlcoreSegDataset(BaseSegDataset):
        """A segmentation dataset whose files are given as a list instead of scanned from folders."""

        def __init__(self, files: Sequence[dict], **kwargs: Any) -> None:
            self._files = list(files)
            super().__init__(data_root="", data_prefix=dict(img_path="", seg_map_path=""), **kwargs)

        def load_data_list(self) -> list[dict]:
            return [
                dict(
                    img_path=f["img_path"],
                    seg_map_path=f.get("seg_map_path"),
                    alcore_id=f["id"],
                    label_map=self.label_map,
                    reduce_zero_label=False,
                    seg_fields=[],
                )
                for f in self._files
            ]

    _registered = True


def files_of(samples: Sequence[Sample], with_labels: bool) -> list[dict]:
    """The file records an ``AlcoreSegDataset`` reads, in sample order."""
    out = []
    for s in samples:
        rec = {"id": s.id, "img_path": str(s.image)}
        if with_labels:
            rec["seg_map_path"] = str(s.label)
        out.append(rec)
    return out


def pipeline(train: bool, with_labels: bool, augment: Sequence[dict] = ()) -> list[dict]:
    """MMSeg transforms: load image (and label), optional training augmentation, pack."""
    steps: list[dict] = [dict(type="LoadImageFromFile")]
    if with_labels:
        steps.append(dict(type="LoadAnnotations"))
    if train:
        steps.extend(augment)
    steps.append(
        dict(
            type="PackSegInputs",
            meta_keys=(
                "img_path",
                "seg_map_path",
                "ori_shape",
                "img_shape",
                "pad_shape",
                "scale_factor",
                "flip",
                "flip_direction",
                "reduce_zero_label",
                "alcore_id",
            ),
        )
    )
    return steps


def dataset_cfg(
    samples: Sequence[Sample],
    info: DatasetInfo,
    train: bool,
    with_labels: bool,
    augment: Sequence[dict] = (),
) -> dict:
    """A config dict for an ``AlcoreSegDataset`` over ``samples``."""
    return dict(
        type=DATASET_TYPE,
        files=files_of(samples, with_labels),
        metainfo=dict(classes=tuple(info.classes), palette=[list(c) for c in info.palette]),
        ignore_index=info.ignore_index,
        pipeline=pipeline(train, with_labels, augment),
        serialize_data=False,
        test_mode=not train,
    )


def loader_cfg(dataset: dict, batch_size: int, num_workers: int, train: bool, seed: int | None) -> dict:
    """A dataloader config: infinite shuffled sampling to train, ordered single pass otherwise."""
    sampler = (
        dict(type="InfiniteSampler", shuffle=True, seed=seed)
        if train
        else dict(type="DefaultSampler", shuffle=False)
    )
    return dict(
        batch_size=batch_size,
        num_workers=num_workers,
        persistent_workers=False,
        sampler=sampler,
        dataset=dataset,
        collate_fn=dict(type="pseudo_collate"),
    )
