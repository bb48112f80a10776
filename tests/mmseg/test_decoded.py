"""Decoded files are kept in memory, but never served stale, shared or past their byte limit."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest


def write_png(path, seed: int, shape=(12, 20, 3)) -> np.ndarray:
    array = np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)
    cv2.imwrite(str(path), array)
    return array


def test_a_file_is_decoded_once_and_each_caller_gets_its_own_copy(tmp_path):
    from alcore_mmseg.decoded import DecodedCache

    expected = write_png(tmp_path / "a.png", 0)
    cache = DecodedCache(limit=2**20)
    first = cache.get(str(tmp_path / "a.png"), "color", "cv2")
    first[:] = 0  # a transform editing its image in place must not change the next read
    second = cache.get(str(tmp_path / "a.png"), "color", "cv2")
    assert np.array_equal(second, expected)
    assert (cache.misses, cache.hits) == (1, 1)


def test_a_changed_file_is_read_again(tmp_path):
    from alcore_mmseg.decoded import DecodedCache

    path = tmp_path / "a.png"
    write_png(path, 0)
    cache = DecodedCache(limit=2**20)
    cache.get(str(path), "color", "cv2")
    stamp = os.stat(path).st_mtime_ns
    changed = write_png(path, 1)
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    assert np.array_equal(cache.get(str(path), "color", "cv2"), changed)
    assert cache.misses == 2


def test_the_least_recently_used_file_leaves_first_and_zero_disables(tmp_path):
    from alcore_mmseg.decoded import DecodedCache

    paths = [str(tmp_path / f"{i}.png") for i in range(3)]
    for i, p in enumerate(paths):
        write_png(p, i)
    one = 12 * 20 * 3
    cache = DecodedCache(limit=2 * one)
    for p in paths:
        cache.get(p, "color", "cv2")
    cache.get(paths[2], "color", "cv2")
    assert cache.hits == 1
    cache.get(paths[0], "color", "cv2")  # pushed out by the third file
    assert (cache.hits, cache.misses) == (1, 4)

    off = DecodedCache(limit=0)
    off.get(paths[0], "color", "cv2")
    off.get(paths[0], "color", "cv2")
    assert (off.hits, off.misses) == (0, 2)


@pytest.mark.parametrize("reduce_zero_label", [False, True])
def test_the_loaders_give_what_mmseg_loaders_give(tmp_path, reduce_zero_label):
    from alcore_mmseg.decoded import ANNOTATION_TYPE, IMAGE_TYPE
    from alcore_mmseg.stack import prepare_stack

    prepare_stack()
    from mmseg.registry import TRANSFORMS

    write_png(tmp_path / "img.png", 3)
    label = np.random.default_rng(4).integers(0, 5, (12, 20), dtype=np.uint8)
    label[0, :4] = 255
    cv2.imwrite(str(tmp_path / "label.png"), label)

    def results() -> dict:
        return dict(
            img_path=str(tmp_path / "img.png"),
            seg_map_path=str(tmp_path / "label.png"),
            reduce_zero_label=reduce_zero_label,
            label_map={1: 3, 3: 1},
            seg_fields=[],
        )

    ours, theirs = results(), results()
    for step in (IMAGE_TYPE, ANNOTATION_TYPE):
        ours = TRANSFORMS.build(dict(type=step))(ours)
    for step in ("LoadImageFromFile", "LoadAnnotations"):
        theirs = TRANSFORMS.build(dict(type=step))(theirs)
    assert np.array_equal(ours["img"], theirs["img"])
    assert np.array_equal(ours["gt_seg_map"], theirs["gt_seg_map"])
    assert ours["gt_seg_map"].dtype == theirs["gt_seg_map"].dtype
    assert ours["img_shape"] == theirs["img_shape"] and ours["seg_fields"] == theirs["seg_fields"]


def test_the_limit_comes_from_the_environment_and_a_bad_value_is_named(monkeypatch):
    from alcore.sdk.errors import ConfigError
    from alcore_mmseg.decoded import DecodedCache

    monkeypatch.setenv("ALCORE_DECODED_CACHE_MB", "1.5")
    assert DecodedCache().limit == int(1.5 * 2**20)
    monkeypatch.setenv("ALCORE_DECODED_CACHE_MB", "lots")
    with pytest.raises(ConfigError, match="ALCORE_DECODED_CACHE_MB must be a number, got 'lots'"):
        DecodedCache()
