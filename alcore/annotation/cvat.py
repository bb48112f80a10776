"""CVAT's "Segmentation mask 1.1" format: a task bundle out, the annotation export back in.

The bundle (CVAT's documented layout, the Pascal VOC segmentation layout plus ``labelmap.txt``)::

    labelmap.txt                       # label:color_rgb:parts:actions, one class a line
    ImageSets/Segmentation/default.txt image names without extension
    JPEGImages/<name>.<ext>            the images: create the CVAT task from these
    SegmentationClass/<name>.png       pre-annotations as colour masks (after a model exists)
    SegmentationObject/<name>.png      the same regions as instances (one per class present)
    annotations.zip                    the entries above, for "Upload annotations"
    labels.json                        the task's labels for CVAT's raw label editor

Importing reads CVAT's export (a zip or its unpacked folder): each ``SegmentationClass`` mask's
(also in sub-folders, where frames were uploaded from folders; the file name is the key) colours
are mapped to classes through the export's ``labelmap.txt`` (the dataset's palette if it
has none). Black, or the label named ``background`` when the dataset has no such class, means
"not labeled" and becomes the ignore index; any other colour missing from the map is an error. A
label the dataset lacks is accepted while no mask uses its colour (CVAT projects often carry
spare labels); a mask that uses it is an error naming the label.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from alcore.annotation.archive import Export
from alcore.annotation.batch import Batch, Incoming
from alcore.annotation.masks import Colour, classes_to_colours, colours_to_classes, read_colour_mask
from alcore.sdk.dataset import DatasetInfo
from alcore.sdk.errors import ConfigError, DataError

OPTIONS: dict[str, str] = {}
BACKGROUND = "background"
UNLABELED: Colour = (0, 0, 0)
MASKS = "SegmentationClass"
OBJECTS = "SegmentationObject"


def voc_colour(index: int) -> Colour:
    """The Pascal VOC palette colour of an instance index (the bit-interleaved colour map)."""
    r = g = b = 0
    for shift in range(8):
        r |= ((index >> 0) & 1) << (7 - shift)
        g |= ((index >> 1) & 1) << (7 - shift)
        b |= ((index >> 2) & 1) << (7 - shift)
        index >>= 3
    return (r, g, b)


def object_mask(classmap: np.ndarray, num_classes: int) -> np.ndarray:
    """An instance mask of a class map: each class present is one instance in VOC colours."""
    out = np.zeros(classmap.shape + (3,), dtype=np.uint8)
    present = [int(v) for v in np.unique(classmap) if v < num_classes]
    for n, value in enumerate(present, start=1):
        out[classmap == value] = voc_colour(n)
    return out


def labelmap_text(info: DatasetInfo) -> str:
    """``labelmap.txt``: every class with its colour, plus CVAT's black background when unused."""
    colours = [tuple(c) for c in info.palette[: info.num_classes]]
    for i, c in enumerate(colours):
        if c in colours[:i]:
            raise ConfigError(
                f"classes '{info.classes[colours.index(c)]}' and '{info.classes[i]}' "
                f"share the colour {c}; CVAT masks need one colour per class"
            )
    lines = ["# label:color_rgb:parts:actions"]
    if BACKGROUND not in info.classes and UNLABELED not in colours:
        lines.append(f"{BACKGROUND}:0,0,0::")
    lines += [f"{name}:{r},{g},{b}::" for name, (r, g, b) in zip(info.classes, colours)]
    return "\n".join(lines) + "\n"


def export(batch: Batch, info: DatasetInfo, to: Path, options: dict[str, str]) -> None:
    """Write the task bundle into ``to``: images, pre-annotation masks, label map, upload zip."""
    labelmap = labelmap_text(info)
    names = [item.name for item in batch.items]
    listing = "".join(f"{n}\n" for n in names)
    (to / "JPEGImages").mkdir()
    for item in batch.items:
        shutil.copyfile(item.image, to / "JPEGImages" / f"{item.name}{Path(item.image).suffix}")
    (to / "labelmap.txt").write_text(labelmap)
    sets = to / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    (sets / "default.txt").write_text(listing)
    spec = [
        {"name": c, "color": "#{:02x}{:02x}{:02x}".format(*info.palette[i]), "type": "mask", "attributes": []}
        for i, c in enumerate(info.classes)
    ]
    (to / "labels.json").write_text(json.dumps(spec, indent=2) + "\n")
    predicted = [item for item in batch.items if item.prediction]
    if not predicted:
        return
    (to / MASKS).mkdir()
    (to / OBJECTS).mkdir()
    for item in predicted:
        classmap = np.asarray(Image.open(item.prediction))
        mask = classes_to_colours(classmap, info.palette, info.ignore_index, UNLABELED)
        Image.fromarray(mask, "RGB").save(to / MASKS / f"{item.name}.png")
        objects = object_mask(classmap, info.num_classes)
        Image.fromarray(objects, "RGB").save(to / OBJECTS / f"{item.name}.png")
    with zipfile.ZipFile(to / "annotations.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("labelmap.txt", labelmap)
        zf.writestr("ImageSets/Segmentation/default.txt", "".join(f"{i.name}\n" for i in predicted))
        for item in predicted:
            zf.write(to / MASKS / f"{item.name}.png", f"{MASKS}/{item.name}.png")
            zf.write(to / OBJECTS / f"{item.name}.png", f"{OBJECTS}/{item.name}.png")


def parse_labelmap(text: str, where: str) -> dict[str, Colour]:
    """``name -> colour`` from a CVAT/VOC ``labelmap.txt``."""
    out: dict[str, Colour] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        try:
            r, g, b = (int(v) for v in fields[1].split(","))
        except (IndexError, ValueError):
            raise DataError(f"{where}:{n}: expected 'name:r,g,b:parts:actions', got {line!r}") from None
        out[fields[0]] = (r, g, b)
    return out


def colour_table(
    labelmap: dict[str, Colour] | None, info: DatasetInfo, where: str
) -> tuple[dict[Colour, int], dict[Colour, str]]:
    """``colour -> class id`` (the ignore index for unlabeled colours), and the colours of labels
    the dataset lacks (``colour -> label``), for one export."""
    table: dict[Colour, int] = {UNLABELED: info.ignore_index}
    spare: dict[Colour, str] = {}
    if labelmap is None:
        labelmap = {c: tuple(info.palette[i]) for i, c in enumerate(info.classes)}
    for name, colour in labelmap.items():
        if name in info.classes:
            value = info.classes.index(name)
        elif name == BACKGROUND:
            value = info.ignore_index
        else:
            spare[colour] = name
            continue
        if colour in table and colour != UNLABELED and table[colour] != value:
            raise DataError(f"{where}: colour {colour} is given to two labels")
        table[colour] = value
    return table, {c: n for c, n in spare.items() if c not in table}


def check_spare(rgb: np.ndarray, spare: dict[Colour, str], info: DatasetInfo, where: str) -> None:
    """Fail when a mask paints with the colour of a label the dataset lacks."""
    for colour, name in spare.items():
        if (rgb == np.array(colour, dtype=rgb.dtype)).all(axis=-1).any():
            raise DataError(
                f"{where}: label '{name}' {colour} is used but is not a class of this dataset "
                f"(classes: {', '.join(info.classes)})"
            )


def read(path: Path, info: DatasetInfo) -> list[Incoming]:
    """Class maps of every mask in a CVAT "Segmentation mask 1.1" export, keyed by image name."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist")
    export = Export(path, "a CVAT export")
    try:
        masks = [n for n in export.names
                 if MASKS in PurePosixPath(n).parts[:-1] and n.lower().endswith(".png")]
        if not masks:
            raise DataError(f"{path}: no {MASKS}/*.png masks; expected a CVAT 'Segmentation mask 1.1' export")
        first = PurePosixPath(masks[0]).parts
        root = PurePosixPath(*first[: first.index(MASKS)])
        lm_name = (root / "labelmap.txt").as_posix()
        lm_name = lm_name[2:] if lm_name.startswith("./") else lm_name
        where_lm = export.where(lm_name)
        labelmap = parse_labelmap(export.text(lm_name), where_lm) if lm_name in export.names else None
        table, spare = colour_table(labelmap, info, where_lm)
        out = []
        for member in masks:
            where = export.where(member)
            rgb = read_colour_mask(io.BytesIO(export.read(member)), where)
            check_spare(rgb, spare, info, where)
            out.append(Incoming(PurePosixPath(member).stem, colours_to_classes(rgb, table, where), where))
        return out
    finally:
        export.close()
