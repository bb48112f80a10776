"""Tiny image writers shared by the dataset tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_rgb(path: Path, rgb: np.ndarray) -> Path:
    """Write an RGB uint8 array as PNG, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2BGR))
    return path


def write_ids(path: Path, ids: np.ndarray) -> Path:
    """Write a single-channel uint8 id map as PNG, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), ids.astype(np.uint8))
    return path


def noise_image(seed: int, w: int = 16, h: int = 8) -> np.ndarray:
    """A small random RGB image."""
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
