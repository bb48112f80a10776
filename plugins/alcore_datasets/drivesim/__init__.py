"""Procedural driving video with dense labels, written once in the Cityscapes layout and reused.

Each sequence is one drive with its own road, lighting, colours, textures and sensor noise;
consecutive frames follow the ego motion. Two families of presets:

- ``uniform`` (default, diverse, redundant, large): equal-length drives at constant speed through
  a city, suburb or rural street; redundancy is set by sequences x frames x step.
- ``video`` (video, stills): drives of varied length with stops and fast stretches, five road
  types and five light/weather conditions in uneven shares, rare road users in a few drives
  only, validation drives covering every condition (plan.py; rationale in docs/drivesim.md).

Files: spec.py (presets, digest), plan.py (drive plans), sequence.py (one drive to files),
store.py (generate once, atomically), scene.py/roads.py (layout), style.py/conditions.py (look),
items.py/canvas.py/frame.py (drawing). The data lands in ``$ALCORE_DATA/drivesim/<preset>-<hash>``
(or ``root``) and is read by the Cityscapes reader.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from ..base import SampleListDataset
from ..cityscapes import open_cityscapes
from .sequence import frame_arrays, frames_of, write_sequence
from .spec import FAMILIES, GENERATOR_VERSION, PRESETS, SimSpec, default_root, resolve_spec, spec_hash
from .store import MANIFEST, ensure_generated, is_complete

__all__ = [
    "FAMILIES",
    "GENERATOR_VERSION",
    "MANIFEST",
    "PRESETS",
    "SimSpec",
    "default_root",
    "ensure_generated",
    "frame_arrays",
    "frames_of",
    "is_complete",
    "main",
    "open_drivesim",
    "resolve_spec",
    "spec_hash",
    "write_sequence",
]


def open_drivesim(
    preset: str = "default",
    root: str | Path | None = None,
    seed: int = 0,
    width: int | None = None,
    height: int | None = None,
    sequences: int | None = None,
    frames: int | None = None,
    step: int | None = None,
    val_sequences: int | None = None,
    val_frames: int | None = None,
    val_step: int | None = None,
    validate: bool = True,
    workers: int = 0,
) -> SampleListDataset:
    """The simulated dataset for a preset (plus overrides), generating it on first use."""
    spec = resolve_spec(
        preset,
        seed,
        width=width,
        height=height,
        sequences=sequences,
        frames=frames,
        step=step,
        val_sequences=val_sequences,
        val_frames=val_frames,
        val_step=val_step,
    )
    where = Path(root).expanduser() if root else default_root(spec)
    ensure_generated(spec, where, workers)
    ds = open_cityscapes(where, cache=where / ".alcore-cache", validate=validate, layout="drivesim")
    ds.info.meta.update(preset=spec.preset, spec=asdict(spec), hash=spec_hash(spec))
    if spec.family == "video":
        from .plan import plan_drives

        ds.info.meta["drives"] = [d.to_dict() for s in ("train", "val") for d in plan_drives(spec, s)]
    return ds


def main(argv: list[str] | None = None) -> int:
    """``python -m alcore_datasets.drivesim PRESET [ROOT]``: generate and print the root."""
    args = list(sys.argv[1:] if argv is None else argv)
    preset = args[0] if args else "default"
    ds = open_drivesim(preset, root=args[1] if len(args) > 1 else None)
    print(ds.root)
    return 0
