"""The 19-class Cityscapes train-id convention shared by every built-in reader."""

from __future__ import annotations

import numpy as np

from alcore.sdk.dataset import DatasetInfo

IGNORE = 255

CITYSCAPES_CLASSES: list[str] = [
    "road",
    "sidewalk",
    "building",
    "wall",
    "fence",
    "pole",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "train",
    "motorcycle",
    "bicycle",
]

CITYSCAPES_PALETTE: list[tuple[int, int, int]] = [
    (128, 64, 128),
    (244, 35, 232),
    (70, 70, 70),
    (102, 102, 156),
    (190, 153, 153),
    (153, 153, 153),
    (250, 170, 30),
    (220, 220, 0),
    (107, 142, 35),
    (152, 251, 152),
    (70, 130, 180),
    (220, 20, 60),
    (255, 0, 0),
    (0, 0, 142),
    (0, 0, 70),
    (0, 60, 100),
    (0, 80, 100),
    (0, 0, 230),
    (119, 11, 32),
]

TRAIN_ID = {name: i for i, name in enumerate(CITYSCAPES_CLASSES)}

#: Cityscapes label id -> train id (labels not used for training map to ignore)
LABEL_ID_TO_TRAIN_ID: dict[int, int] = {
    7: 0,
    8: 1,
    11: 2,
    12: 3,
    13: 4,
    17: 5,
    19: 6,
    20: 7,
    21: 8,
    22: 9,
    23: 10,
    24: 11,
    25: 12,
    26: 13,
    27: 14,
    28: 15,
    31: 16,
    32: 17,
    33: 18,
}


def label_id_lut() -> np.ndarray:
    """A 256-entry lookup table turning Cityscapes label ids into train ids."""
    lut = np.full(256, IGNORE, dtype=np.uint8)
    for label_id, train_id in LABEL_ID_TO_TRAIN_ID.items():
        lut[label_id] = train_id
    return lut


def cityscapes_info(**meta: object) -> DatasetInfo:
    """DatasetInfo for the 19 Cityscapes train-id classes with the standard palette."""
    return DatasetInfo(
        classes=list(CITYSCAPES_CLASSES),
        palette=list(CITYSCAPES_PALETTE),
        ignore_index=IGNORE,
        meta=dict(meta),
    )
