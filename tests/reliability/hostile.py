"""Hostile and broken files the catalogue hands to alcore: PNGs that lie about their size, zips that
inflate, exports of the wrong shape, a checkpoint that runs code when unpickled."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np


def png_claiming(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose header claims ``width`` x ``height`` grey pixels, with ``idat`` as pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def corrupt_pixels(path: Path) -> None:
    """Keep the header and checksums valid, but make the compressed pixel data garbage."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    h, w = image.shape[:2]
    path.write_bytes(png_claiming(w, h, zlib.compress(b"\x07" * 5)[:-4] + b"\x00\x01\x02\x03"))


def unrelated_weights(ctx: Any) -> Path:
    """A weights file none of whose tensors belongs to any segmentation model."""
    import torch

    path = ctx.tmp / "unrelated.pth"
    torch.save({"encoder.layer.weight": torch.zeros(3, 3)}, path)
    return path


class RunsCode:
    """Unpickling this creates the file it names: code stored in a checkpoint running."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple:
        return (open, (self.path, "w"))


def crafted_checkpoint(ctx: Any) -> list[str]:
    """A model config loading, through ``alcore://``, a checkpoint that runs code, from a folder shaped
    like a run; the code would create ``ctx.new``, so "nothing at --out" means it never ran."""
    import torch

    from alcore_mmseg.configs import default_model

    fake_run = ctx.tmp / "fake-run"
    (fake_run / "cycles" / "001").mkdir(parents=True)
    (fake_run / "config.yaml").write_text("")
    ckpt = fake_run / "cycles" / "001" / "checkpoint.pth"
    torch.save({"state_dict": {"conv1.weight": torch.zeros(1)}, "meta": RunsCode(ctx.new)}, ckpt)
    model = default_model(3, 255, 8)
    model["backbone"]["init_cfg"] = dict(type="Pretrained", checkpoint=f"alcore://{ckpt}")
    config = ctx.tmp / "model.py"
    config.write_text(f"model = {model!r}\n")
    return ctx.run("--model", "mmseg", "--model-config", str(config), "--model-opt", "iters=1",
                   out=ctx.tmp / "run")


def zip_of(members: dict[str, bytes]) -> Callable[[Path], None]:
    """A maker of a deflated zip holding ``members``."""
    def make(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
    return make


def mask_png() -> bytes:
    """A black 32x16 colour mask, PNG-encoded."""
    ok, buf = cv2.imencode(".png", np.zeros((16, 32, 3), np.uint8))
    return buf.tobytes()


def labelmap_of(size: int) -> bytes:
    """A label map of about ``size`` bytes with distinct lines (so it does not compress like a bomb)."""
    lines, n, total = [], 0, 0
    while total < size:
        lines.append(f"label{n}:{n % 256},{n // 256 % 256},{n // 65536 % 256}::\n")
        total += len(lines[-1])
        n += 1
    return "".join(lines).encode()


def labelmap_folder(path: Path) -> None:
    (path / "SegmentationClass").mkdir(parents=True)
    (path / "SegmentationClass" / "g0-0.png").write_bytes(mask_png())
    (path / "labelmap.txt").write_bytes(labelmap_of(2 << 20))


def json_file(value: object) -> Callable[[Path], None]:
    """A maker of a JSON file (a string is written as it is)."""
    return lambda path: path.write_text(value if isinstance(value, str) else json.dumps(value))


def ls_task(**fields: object) -> list[dict]:
    """A Label Studio export of one task for sample g0-0, with ``fields`` added."""
    return [{"id": 7, "data": {"alcore_id": "g0-0"}, **fields}]


def ls_annotation(**fields: object) -> list[dict]:
    """A Label Studio export of one task with one annotation holding ``fields``."""
    return ls_task(annotations=[{"id": 3, **fields}])
