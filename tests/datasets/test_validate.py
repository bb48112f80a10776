"""Every validation failure is one DataError naming the file; full checks are memoised."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from dsfixtures import noise_image, write_ids, write_rgb

from alcore.sdk.errors import DataError
from alcore_datasets.folder import open_folder


def _make(root: Path, n: int = 3) -> Path:
    for i in range(n):
        write_rgb(root / "images" / f"im{i}.png", noise_image(i))
        write_ids(root / "labels" / f"im{i}.png", np.full((8, 16), i % 2, np.uint8))
    (root / "classes.txt").write_text("a\nb\n")
    return root


def _open(root: Path, **kw):
    return open_folder(root, val_fraction=0, cache=str(root.parent / "cache"), **kw)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_valid_folder_passes(tmp_path: Path) -> None:
    assert len(_open(_make(tmp_path / "d")).pool()) == 3


def test_truncated_image(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    path = root / "images" / "im1.png"
    path.write_bytes(path.read_bytes()[:-60])
    with pytest.raises(DataError) as exc:
        _open(root)
    assert "unreadable image" in _one_line(exc) and str(path) in str(exc.value)


def test_garbage_image(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    (root / "images" / "im2.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match=r"unreadable image .*im2\.png"):
        _open(root)


def test_missing_label_in_validation(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    _make(root / "val", n=2)
    (root / "val" / "labels" / "im1.png").unlink()
    with pytest.raises(DataError, match=r"missing label for image .*val/images/im1\.png"):
        _open(root)


def test_size_mismatch(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    write_ids(root / "labels" / "im0.png", np.zeros((4, 16), np.uint8))
    with pytest.raises(DataError) as exc:
        _open(root)
    assert "is 16x4 but its image" in _one_line(exc) and "im0.png" in str(exc.value)


def test_label_values_outside_classes(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    bad = np.zeros((8, 16), np.uint8)
    bad[0, 0] = 7
    bad[0, 1] = 255
    write_ids(root / "labels" / "im2.png", bad)
    with pytest.raises(DataError) as exc:
        _open(root)
    assert "values 7 outside classes 0..1" in _one_line(exc) and "im2.png" in str(exc.value)


def test_ignore_value_is_allowed(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    lab = np.full((8, 16), 255, np.uint8)
    write_ids(root / "labels" / "im0.png", lab)
    assert len(_open(root).pool()) == 3


def test_colour_label_rejected(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    write_rgb(root / "labels" / "im0.png", noise_image(1))
    with pytest.raises(DataError, match=r"label .*im0\.png has mode RGB"):
        _open(root)


def test_empty_dataset(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "images").mkdir(parents=True)
    (root / "classes.txt").write_text("a\n")
    with pytest.raises(DataError, match=r"folder: no images found under .*images"):
        _open(root)


def test_full_check_is_memoised_and_redone_on_change(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    _open(root)
    path = root / "images" / "im1.png"
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[40:60] = b"\0" * 20
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _open(root)  # same path, size and mtime: the stamp skips decoding
    with pytest.raises(DataError, match="unreadable image"):
        open_folder(root, val_fraction=0, cache=str(tmp_path / "fresh-cache"))
    os.utime(path, None)
    with pytest.raises(DataError, match="unreadable image"):
        _open(root)


def test_validate_false_skips_decoding_but_not_existence(tmp_path: Path) -> None:
    root = _make(tmp_path / "d")
    (root / "images" / "im0.png").write_bytes(b"junk")
    assert len(_open(root, validate=False).pool()) == 3
