"""Shared fixtures: a tiny on-disk segmentation dataset and a registry that knows it."""

from __future__ import annotations

import os

# Tests start many short torch processes next to the pytest process itself; one intra-op thread
# each keeps two cores from being oversubscribed (and results independent of the thread count).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import atexit
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if "ALCORE_KEY_FILE" not in os.environ:  # the key proving which checkpoints alcore wrote: the tests' own
    _KEYS = tempfile.mkdtemp(prefix="alcore-key-")
    atexit.register(shutil.rmtree, _KEYS, True)
    os.environ["ALCORE_KEY_FILE"] = str(Path(_KEYS) / "checkpoint.key")

import cv2
import numpy as np
import pytest

from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.hookspecs import hookimpl

ROOT = Path(__file__).resolve().parents[1]


def write_toy_split(root: Path, split: str, groups: int, frames: int, seed: int,
                    size: tuple[int, int] = (64, 32)) -> list[Sample]:
    """Small sequences of images with a ground band and a moving object, with label PNGs."""
    rng = np.random.default_rng(seed)
    w, h = size
    out = []
    for g in range(groups):
        colours = rng.integers(0, 255, (3, 3))
        for f in range(frames):
            label = np.zeros((h, w), np.uint8)
            label[h // 2:, :] = 1
            x = (f * 3 + g * 7) % (w - w // 4)
            label[h // 4: 3 * h // 4, x: x + w // 4] = 2
            image = (colours[label] + rng.integers(0, 25, (h, w, 3))).clip(0, 255).astype(np.uint8)
            img_path = root / split / f"seq{g}_{f:03d}.png"
            lab_path = root / split / f"seq{g}_{f:03d}_label.png"
            img_path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(img_path), image)
            cv2.imwrite(str(lab_path), label)
            out.append(Sample(f"{split}-seq{g}-{f:03d}", img_path, lab_path, f"seq{g}", f))
    return out


class ToyDataset:
    info = DatasetInfo(["background", "ground", "object"], [(0, 0, 0), (128, 64, 128), (0, 0, 142)])

    def __init__(self, root: str, groups: int = 4, frames: int = 6) -> None:
        self._pool = write_toy_split(Path(root), "train", groups, frames, 0)
        self._val = write_toy_split(Path(root), "val", 2, 3, 1)

    def pool(self) -> list[Sample]:
        return self._pool

    def val(self) -> list[Sample]:
        return self._val


class ToyPlugin:
    @staticmethod
    @hookimpl
    def register_datasets(register):
        register("toy", ToyDataset, help="tiny test dataset")


@pytest.fixture
def toy_registry():
    from alcore.plugins import build_registry

    return build_registry(extra_plugins=[("toy", ToyPlugin)])


@pytest.fixture
def toy_dataset(tmp_path) -> ToyDataset:
    return ToyDataset(str(tmp_path / "toy"))


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: int = 900) -> subprocess.CompletedProcess:
    """Run the installed ``alcore`` command in a fresh process, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "alcore.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
