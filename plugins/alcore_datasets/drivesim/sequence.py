"""Render one drive (a sequence) into image/label arrays and write it in the Cityscapes layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ..cityscapes import IMAGE_SUFFIX, TRAIN_IDS
from .frame import make_camera, render
from .scene import sample_scene
from .spec import SimSpec

TOWNS = ("alder", "brookvale", "carrowby", "dunmoor", "elmstead", "fernley", "galloway", "harrow")
VAL_TOWNS = ("ivyford", "juniper")


def sequence_name(spec: SimSpec, split: str, q: int) -> tuple[str, int]:
    """The town (Cityscapes 'city' folder) and the sequence number of drive ``q`` of ``split``."""
    towns = TOWNS if split == "train" else VAL_TOWNS
    number = q if split == "train" else spec.sequences + q
    return towns[q % len(towns)], number


def _rng(spec: SimSpec, split: str, q: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([spec.seed, 0 if split == "train" else 1, q]))


def frames_of(spec: SimSpec, split: str, q: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(recorder clock, RGB image, train-id labels) of every frame of one drive, in order."""
    rng = _rng(spec, split, q)
    supersample = 2 if spec.width <= 256 else 1
    size = (spec.width, spec.height)
    if spec.family == "video":
        from .plan import plan_drives

        drive = plan_drives(spec, split)[q]
        duration = max(drive.times[-1], 1.0) + (spec.step if split == "train" else spec.val_step)
        scene = sample_scene(
            rng, spec.width, spec.height, duration, supersample, drive.kind, drive.condition, drive.rare
        )
        cam = make_camera(scene)
        for clock, t in zip(drive.clock, drive.times):
            img, lab = render(scene, cam, t, rng, size)
            yield clock, img, lab
        return
    frames, step = (spec.frames, spec.step) if split == "train" else (spec.val_frames, spec.val_step)
    scene = sample_scene(rng, spec.width, spec.height, frames * step, supersample)
    cam = make_camera(scene)
    for k in range(frames):
        img, lab = render(scene, cam, k * step, rng, size)
        yield k * step, img, lab


def frame_arrays(spec: SimSpec, split: str, q: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The image and labels of frame ``k`` of drive ``q`` (renders the frames before it too)."""
    for i, (_, img, lab) in enumerate(frames_of(spec, split, q)):
        if i == k:
            return img, lab
    raise IndexError(f"drive {q} of {split} has fewer than {k + 1} frames")


def write_sequence(spec: SimSpec, split: str, q: int, dest: Path) -> int:
    """Render and write one sequence; returns the number of frames written."""
    city, number = sequence_name(spec, split, q)
    img_dir = dest / "leftImg8bit" / split / city
    gt_dir = dest / "gtFine" / split / city
    img_dir.mkdir(parents=True, exist_ok=True)
    gt_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    for clock, img, lab in frames_of(spec, split, q):
        stem = f"{city}_{number:06d}_{clock:06d}"
        cv2.imwrite(str(img_dir / f"{stem}{IMAGE_SUFFIX}"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(gt_dir / f"{stem}{TRAIN_IDS}"), lab)
        n += 1
    return n
