"""MMSeg datasets and dataloaders over alcore samples: the real MMSeg pipeline, our list of files."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from alcore.sdk.dataset import DatasetInfo, Sample

DATASET_TYPE = "AlcoreSegDataset"
_registered = False
#: file lists referred to by token from dataset configs (most recent last), see :func:`file_token`
_FILE_LISTS: OrderedDict[str, list[dict]] = OrderedDict()
_KEEP_LISTS = 64
TOKEN_PREFIX = "alcore-files:"


def file_token(files: list[dict]) -> str:
    """A short name for a file list, resolved in this process when the dataset is built.

    MMEngine formats its whole config several times per Runner (logging, dumping, checkpoint
    metadata); with thousands of file records inline that cost grew with the labeled set.
    """
    token = TOKEN_PREFIX + hashlib.sha1(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
    _FILE_LISTS[token] = files
    _FILE_LISTS.move_to_end(token)
    while len(_FILE_LISTS) > _KEEP_LISTS:
        _FILE_LISTS.popitem(last=False)
    return token


def resolve_files(files: Sequence[dict] | str) -> list[dict]:
    """The file list a config names: given inline, or by a token of this process."""
    if isinstance(files, str):
        if files not in _FILE_LISTS:
            raise KeyError(f"{files} names no file list of this process")
        return list(_FILE_LISTS[files])
    return list(files)


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

        def __init__(self, files: Sequence[dict] | str, **kwargs: Any) -> None:
            self._files = resolve_files(files)
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
    """MMSeg transforms: load image (and label) through the decoded-file cache, optional training
    augmentation, pack."""
    from alcore_mmseg.decoded import ANNOTATION_TYPE, IMAGE_TYPE

    steps: list[dict] = [dict(type=IMAGE_TYPE)]
    if with_labels:
        steps.append(dict(type=ANNOTATION_TYPE))
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
    steps: Sequence[dict] | None = None,
) -> dict:
    """A config dict for an ``AlcoreSegDataset`` over ``samples`` (the file list by token; ``steps``:
    a pipeline of its own)."""
    return dict(
        type=DATASET_TYPE,
        files=file_token(files_of(samples, with_labels)),
        metainfo=dict(classes=tuple(info.classes), palette=[list(c) for c in info.palette]),
        ignore_index=info.ignore_index,
        pipeline=list(steps) if steps is not None else pipeline(train, with_labels, augment),
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


def image_size(sample: Sample) -> tuple[int, int]:
    """(width, height) of a sample's image, read from its file."""
    import cv2

    image = cv2.imread(str(sample.image), cv2.IMREAD_UNCHANGED)
    if image is None:
        from alcore.sdk.errors import DataError

        raise DataError(f"unreadable image file {sample.image}")
    return int(image.shape[1]), int(image.shape[0])


def check_labels(samples: Sequence[Sample], info: DatasetInfo, checked: set[str]) -> None:
    """Fail with one line naming the file when a label holds a value outside the dataset's classes.

    Any dataset plugin's labels pass here before MMSeg trains or evaluates on them (a bad value
    would otherwise surface as an index error deep in the loss). ``checked`` remembers the ids
    already read, so each label is read once per run.
    """
    import numpy as np
    from PIL import Image

    from alcore.sdk.errors import DataError

    for s in samples:
        if s.label is None or s.id in checked:
            continue
        try:
            with Image.open(s.label) as img:
                array = np.asarray(img)
        except OSError as exc:
            raise DataError(f"unreadable label file {s.label}: {exc}") from None
        if array.ndim != 2:
            raise DataError(f"label {s.label} is not one channel of class ids")
        values = np.unique(array)
        bad = values[(values >= info.num_classes) & (values != info.ignore_index)]
        if bad.size or (values < 0).any():
            shown = ", ".join(str(int(v)) for v in bad[:5])
            raise DataError(
                f"label {s.label} has values {shown} outside classes 0..{info.num_classes - 1} "
                f"and not the ignore index {info.ignore_index}"
            )
        checked.add(s.id)
