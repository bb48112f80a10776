"""The annotation formats by name: exporters write a batch for a tool, readers parse what it returns.

Two small dicts, so a later hook can register more formats by adding entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alcore.annotation import cvat, labelstudio, labelstudio_read, manifest, pngdir
from alcore.annotation.batch import Batch, Incoming
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import UnknownNameError
from alcore.sdk.params import Param, coerce_options


@dataclass(frozen=True)
class ExportFormat:
    """Writes a batch (and its pre-annotations) into an empty folder."""

    name: str
    write: Callable[[Batch, DatasetInfo, Path, dict[str, str]], None]
    options: dict[str, str]
    help: str


@dataclass(frozen=True)
class ImportFormat:
    """Reads returned labels from a file or folder into class maps keyed by file name or id."""

    name: str
    read: Callable[[Path, DatasetInfo], list[Incoming]]
    help: str


EXPORTS: dict[str, ExportFormat] = {
    "manifest": ExportFormat(
        "manifest",
        manifest.export,
        manifest.OPTIONS,
        "manifest.csv/json of paths, ranks, scores, groups + class-id PNGs",
    ),
    "cvat": ExportFormat(
        "cvat", cvat.export, cvat.OPTIONS, "CVAT task bundle, pre-annotations as Segmentation mask 1.1"
    ),
    "labelstudio": ExportFormat(
        "labelstudio",
        labelstudio.export,
        labelstudio.OPTIONS,
        "Label Studio tasks with brushlabels pre-annotations (RLE)",
    ),
}

IMPORTS: dict[str, ImportFormat] = {
    "png": ImportFormat("png", pngdir.read, "folder of <name>.png class-id labels"),
    "cvat": ImportFormat("cvat", cvat.read, "CVAT Segmentation mask 1.1 export (zip or folder)"),
    "labelstudio": ImportFormat(
        "labelstudio", labelstudio_read.read, "Label Studio JSON or JSON_MIN export with brush RLE"
    ),
}


def export_format(name: str, options: dict[str, str]) -> ExportFormat:
    """The exporter called ``name``, after checking ``options`` against the ones it takes."""
    if name not in EXPORTS:
        raise UnknownNameError("export format", name, list(EXPORTS))
    fmt = EXPORTS[name]
    params = [Param(key, str, None, text) for key, text in fmt.options.items()]
    coerce_options(params, options, f"export format '{name}'")  # the plugins' option checking
    return fmt


def import_format(name: str) -> ImportFormat:
    """The reader called ``name``."""
    if name not in IMPORTS:
        raise UnknownNameError("import format", name, list(IMPORTS))
    return IMPORTS[name]
