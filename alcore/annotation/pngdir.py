"""Import of label PNGs in the dataset's convention: ``<name>.png``, one channel of class ids."""

from __future__ import annotations

from pathlib import Path

from alcore.annotation.batch import Incoming
from alcore.annotation.masks import read_image
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import DataError


def read(path: Path, info: DatasetInfo) -> list[Incoming]:
    """Every ``*.png`` of a folder (or one PNG file), keyed by its file stem."""
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".png" and p.is_file())
    else:
        raise DataError(f"{path} does not exist")
    return [Incoming(f.stem, read_image(f, "label"), str(f)) for f in files]
