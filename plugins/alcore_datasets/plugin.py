"""Entry point of the built-in datasets plugin: drivesim, cityscapes, a2d2, camvid and folder."""

from __future__ import annotations

from typing import Any

from alcore.sdk.hookspecs import hookimpl
from alcore.sdk.params import Param

_ROOT = Param("root", str, None, "dataset root folder")
_CACHE = Param("cache", str, None, "cache folder for converted labels and validation stamps")
_VALIDATE = Param("validate", bool, True, "decode every file once and check labels (memoised)")


def _drivesim(**options: Any):
    from .drivesim import open_drivesim

    return open_drivesim(**options)


def _cityscapes(root: str | None = None, **options: Any):
    from .cityscapes import open_cityscapes

    return open_cityscapes(_required(root, "cityscapes"), **options)


def _a2d2(root: str | None = None, **options: Any):
    from .a2d2 import open_a2d2

    return open_a2d2(_required(root, "a2d2"), **options)


def _camvid(root: str | None = None, **options: Any):
    from .camvid import open_camvid

    return open_camvid(_required(root, "camvid"), **options)


def _folder(root: str | None = None, **options: Any):
    from .folder import open_folder

    return open_folder(_required(root, "folder"), **options)


def _required(root: str | None, name: str) -> str:
    if not root:
        from alcore.sdk.errors import ConfigError

        raise ConfigError(f"dataset '{name}' needs a root folder", hint=f"pass root=/path/to/{name}")
    return root


@hookimpl
def register_datasets(register: Any) -> None:
    """Register the built-in dataset readers and the procedural driving-video generator."""
    register(
        "drivesim",
        _drivesim,
        help="procedural driving video with dense Cityscapes-style labels (generated once, cached)",
        params=[
            Param("preset", str, "default", "default, diverse, redundant or large"),
            Param("root", str, None, "where to write/read it (default $ALCORE_DATA/drivesim/...)"),
            Param("seed", int, 0, "seed of the whole dataset", low=0, high=2147483647),
            Param("width", int, None, "image width (preset's if unset)", low=8, high=16384),
            Param("height", int, None, "image height (preset's if unset)", low=8, high=16384),
            Param("sequences", int, None, "pool sequences (drives)", low=1, high=1000000),
            Param("frames", int, None, "frames per pool sequence", low=1, high=1000000),
            Param("step", int, None, "simulated frames between saved pool frames", low=1, high=1000000),
            Param("val_sequences", int, None, "held-out validation sequences", low=1, high=1000000),
            Param("val_frames", int, None, "frames per validation sequence", low=1, high=1000000),
            Param("val_step", int, None, "simulated frames between saved validation frames",
                  low=1, high=1000000),
            _VALIDATE,
            Param("workers", int, 0, "generation processes (0: automatic)", low=0, high=1024),
        ],
    )
    register(
        "cityscapes",
        _cityscapes,
        help="Cityscapes layout: leftImg8bit/ + gtFine/ labelTrainIds (labelIds converted once)",
        params=[
            _ROOT,
            Param("pool_split", str, "train", "split used as the pool"),
            Param("val_split", str, "val", "split used for validation"),
            _CACHE,
            _VALIDATE,
        ],
    )
    register(
        "a2d2",
        _a2d2,
        help="A2D2 semantic segmentation: colour labels mapped to 19 Cityscapes or the study's 19 classes",
        params=[
            _ROOT,
            Param("camera", str, "front_center", "camera name(s), comma-separated, or 'all'"),
            Param("labels", str, "cityscapes", "label scheme: 'cityscapes' or 'study' (the study's classes)"),
            Param("val_drives", str, None, "comma-separated drives held out for validation"),
            Param("val_fraction", float, 0.2, "share of drives held out when val_drives is unset",
                  low=0.0, high=0.9),
            _CACHE,
            _VALIDATE,
        ],
    )
    register(
        "camvid",
        _camvid,
        help="CamVid: colour labels (*_L.png) mapped to the 19 Cityscapes classes",
        params=[
            _ROOT,
            Param("val_groups", str, "Seq05VD", "sequences held out when the layout has no val/"),
            _CACHE,
            _VALIDATE,
        ],
    )
    register(
        "folder",
        _folder,
        help="generic folder: images/ and labels/ (same stem), optional groups.csv, classes.txt",
        params=[
            _ROOT,
            Param("classes", str, None, "comma-separated class names (else classes.txt)"),
            Param(
                "colours",
                str,
                None,
                "comma-separated class colours (#rrggbb) in class order; classes.txt lines may "
                "also end with one (default: Cityscapes colours by position)",
            ),
            Param("ignore_index", int, 255, "label value meaning 'not labeled'", low=0, high=65535),
            Param("val_fraction", float, 0.2, "share of labeled groups held out without val/", low=0.0,
                  high=0.9),
            _CACHE,
            _VALIDATE,
        ],
    )
