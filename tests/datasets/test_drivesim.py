"""The driving simulator: determinism, gradual change, presets, caching and crash safety."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from alcore.plugins import build_registry
from alcore.sdk.dataset import Dataset
from alcore.sdk.errors import ConfigError, DataError
from alcore_datasets.drivesim import (
    MANIFEST,
    PRESETS,
    default_root,
    ensure_generated,
    is_complete,
    open_drivesim,
    resolve_spec,
)

TINY = dict(width=48, height=24, sequences=2, frames=4, step=2, val_sequences=1, val_frames=2)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.png"))
    }


def _image(sample) -> np.ndarray:
    return cv2.imread(str(sample.image)).astype(np.float32)


@pytest.fixture(scope="module")
def default_sim(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sim") / "default"
    reg = build_registry()
    return reg.get("dataset", "drivesim").build({"preset": "default", "root": str(root)})


def test_default_preset_through_registry(default_sim) -> None:
    ds = default_sim
    assert isinstance(ds, Dataset)
    spec = PRESETS["default"]
    assert len(ds.pool()) == spec.sequences * spec.frames == 240
    assert len(ds.val()) == spec.val_sequences * spec.val_frames == 48
    pool_groups = {s.group for s in ds.pool()}
    val_groups = {s.group for s in ds.val()}
    assert len(pool_groups) == 10 and len(val_groups) == 6
    assert not pool_groups & val_groups
    ids = [s.id for s in [*ds.pool(), *ds.val()]]
    assert len(set(ids)) == len(ids)
    first = ds.pool()[0]
    assert first.image.name == f"{first.id}_leftImg8bit.png"
    assert first.label.name == f"{first.id}_gtFine_labelTrainIds.png"
    assert first.image.parts[-3:-1] == ("train", first.id.split("_")[0])
    frames = [s.frame for s in ds.pool() if s.group == first.group]
    assert frames == sorted(frames) and len(frames) == 24
    assert cv2.imread(str(first.image)).shape == (64, 128, 3)
    assert ds.info.num_classes == 19 and ds.info.palette[0] == (128, 64, 128)


def test_default_preset_covers_most_classes(default_sim) -> None:
    seen: set[int] = set()
    for s in [*default_sim.pool(), *default_sim.val()]:
        seen |= set(np.unique(cv2.imread(str(s.label), cv2.IMREAD_UNCHANGED)).tolist())
    assert seen <= set(range(19))
    assert len(seen) >= 15, sorted(seen)
    assert {0, 1, 2, 5, 8, 10, 11, 13} <= seen


def test_reuse_is_cheap_and_does_not_rewrite(default_sim) -> None:
    root = default_sim.root
    before = (root / MANIFEST).stat().st_mtime_ns
    again = open_drivesim("default", root=str(root))
    assert (root / MANIFEST).stat().st_mtime_ns == before
    assert [s.id for s in again.pool()] == [s.id for s in default_sim.pool()]


def test_same_seed_identical_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = open_drivesim(root=str(tmp_path / "a"), seed=3, **TINY).root
    b = open_drivesim(root=str(tmp_path / "b"), seed=3, **TINY).root
    c = open_drivesim(root=str(tmp_path / "c"), seed=4, **TINY).root
    assert _digest(a) == _digest(b)
    assert len(_digest(a)) == 2 * (2 * 4 + 1 * 2)
    assert _digest(a) != _digest(c)


def test_consecutive_frames_closer_than_other_sequences(tmp_path: Path) -> None:
    ds = open_drivesim(
        root=str(tmp_path / "r"),
        width=64,
        height=32,
        sequences=4,
        frames=3,
        step=1,
        val_sequences=1,
        val_frames=1,
    )
    by_group: dict[str, list] = {}
    for s in ds.pool():
        by_group.setdefault(s.group, []).append(s)
    groups = list(by_group.values())
    within = [np.abs(_image(g[k]) - _image(g[k + 1])).mean() for g in groups for k in range(2)]
    across = [
        np.abs(_image(groups[i][0]) - _image(groups[j][0])).mean() for i in range(4) for j in range(i + 1, 4)
    ]
    assert max(within) < min(across)
    assert np.mean(within) * 2 < np.mean(across)


def test_presets_pool_sizes() -> None:
    assert PRESETS["diverse"].pool_size == PRESETS["redundant"].pool_size
    assert PRESETS["diverse"].sequences > 10 * PRESETS["redundant"].sequences
    assert PRESETS["diverse"].frames <= 2
    assert PRESETS["large"].width == 512 and PRESETS["large"].pool_size >= 2000
    assert resolve_spec("large", frames=3).pool_size == 3 * PRESETS["large"].sequences


@pytest.mark.parametrize("preset", ["diverse", "redundant"])
def test_diverse_and_redundant_generate_equal_pools(small_presets, preset: str) -> None:
    ds = small_presets[preset]
    assert len(ds.pool()) == PRESETS[preset].pool_size
    assert len({s.group for s in ds.pool()}) == PRESETS[preset].sequences


def test_default_root_under_data_home(_data_home: Path) -> None:
    spec = resolve_spec("redundant", seed=1)
    root = default_root(spec)
    assert root.parent == _data_home / "drivesim"
    assert root.name.startswith("redundant-")
    assert default_root(resolve_spec("redundant", seed=2)) != root


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        resolve_spec("huge")
    with pytest.raises(ConfigError, match="frames must be at least 1"):
        resolve_spec(frames=0)


def test_leftover_temp_dir_is_never_used(tmp_path: Path) -> None:
    root = tmp_path / "sim"
    dead = tmp_path / ".sim.tmp-999999999-deadbeef"
    (dead / "leftImg8bit" / "train" / "junk").mkdir(parents=True)
    (dead / MANIFEST).write_text("{}")
    alive = tmp_path / f".sim.tmp-{os.getpid()}-cafef00d"
    alive.mkdir()
    ds = open_drivesim(root=str(root), **TINY)
    assert ds.root == root and is_complete(root, resolve_spec(**TINY))
    assert not (root / "leftImg8bit" / "train" / "junk").exists()
    assert len(ds.pool()) == 8
    assert not dead.exists(), "a dead generator's temp dir is cleaned up"
    assert alive.exists(), "a live generator's temp dir is left alone"


def test_partial_root_without_manifest_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "sim"
    (root / "leftImg8bit").mkdir(parents=True)
    with pytest.raises(DataError, match="not a drivesim dataset"):
        open_drivesim(root=str(root), **TINY)


def test_root_with_other_parameters_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "sim"
    open_drivesim(root=str(root), **TINY)
    with pytest.raises(DataError, match="other parameters"):
        open_drivesim(root=str(root), seed=9, **TINY)


def test_empty_existing_root_is_filled(tmp_path: Path) -> None:
    assert len(open_drivesim(root=str(tmp_path), **TINY).pool()) == 8


def test_concurrent_generation(tmp_path: Path) -> None:
    root = tmp_path / "race"
    code = (
        "import sys; from alcore_datasets.drivesim import open_drivesim; "
        f"ds = open_drivesim(root=sys.argv[1], **{TINY!r}); print(len(ds.pool()))"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [o[0].strip() for o in outs] == ["8", "8"]
    assert is_complete(root, resolve_spec(**TINY))
    assert not list(tmp_path.glob(".race.tmp-*"))


def test_small_generation_is_quiet(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    ensure_generated(resolve_spec(**TINY), tmp_path / "q")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
