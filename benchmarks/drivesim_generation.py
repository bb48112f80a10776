"""Generation speed (frames per wall and CPU second, one process) and disk size per drivesim preset.

Usage: ``python benchmarks/drivesim_generation.py [--large-sequences 4] [--large-frames 10]``.
The ``large`` preset is measured on a reduced number of sequences and frames; its full size is
extrapolated from the measured bytes per frame.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from alcore_datasets.drivesim import PRESETS, ensure_generated, resolve_spec


def _disk_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.png"))


def measure(preset: str, overrides: dict[str, int], base: Path) -> dict[str, float | int | str]:
    """Generate one preset into a fresh folder; return its timing and size."""
    spec = resolve_spec(preset, **overrides)
    root = base / preset
    start, cpu = time.perf_counter(), time.process_time()
    ensure_generated(spec, root, workers=1)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    frames = spec.pool_size + spec.val_size
    size = _disk_bytes(root)
    full = PRESETS[preset]
    full_frames = full.pool_size + full.val_size
    return {
        "preset": preset,
        "size": f"{spec.width}x{spec.height}",
        "pool": f"{full.sequences}x{full.frames} = {full.pool_size}",
        "val": f"{full.val_sequences}x{full.val_frames} = {full.val_size}",
        "measured_frames": frames,
        "fps": frames / seconds,
        "cpu_fps": frames / cpu_seconds,
        "kb_per_frame": size / frames / 1024,
        "full_mb": size / frames * full_frames / 2**20,
        "full_minutes": full_frames / (frames / seconds) / 60,
    }


def main() -> None:
    """Run every preset and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large-sequences", type=int, default=4)
    parser.add_argument("--large-frames", type=int, default=10)
    args = parser.parse_args()
    large = {
        "sequences": args.large_sequences,
        "frames": args.large_frames,
        "val_sequences": 1,
        "val_frames": args.large_frames,
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset in PRESETS:
            rows.append(measure(preset, large if preset == "large" else {}, Path(tmp)))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        "one generating process"
    )
    print()
    print(
        "| preset | image (WxH) | pool (seq x frames) | val | frames measured | frames/s "
        "| frames/CPU-s | KiB/frame (image+label) | full size on disk | full generation time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['preset']} | {r['size']} | {r['pool']} | {r['val']} | {r['measured_frames']} "
            f"| {r['fps']:.0f} | {r['cpu_fps']:.0f} | {r['kb_per_frame']:.1f} | {r['full_mb']:.1f} MiB "
            f"| {r['full_minutes']:.1f} min |"
        )


if __name__ == "__main__":
    main()
