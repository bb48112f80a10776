"""Write a drivesim spec to disk once: into a temporary sibling, renamed when complete."""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

from alcore.sdk.errors import DataError

from ..paths import temp_sibling
from .sequence import write_sequence
from .spec import GENERATOR_VERSION, SimSpec, spec_hash

MANIFEST = "drivesim.json"
PROGRESS_ABOVE = 300


def _jobs(spec: SimSpec) -> list[tuple[str, int]]:
    return [("train", q) for q in range(spec.sequences)] + [("val", q) for q in range(spec.val_sequences)]


def _write_all(spec: SimSpec, dest: Path, workers: int) -> None:
    jobs = _jobs(spec)
    total = spec.pool_size + spec.val_size
    progress = None
    if total > PROGRESS_ABOVE:
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(stderr=True), transient=True)
    task = None
    if progress is not None:
        progress.start()
        task = progress.add_task(f"generating drivesim '{spec.preset}' ({total} frames)", total=total)
    try:
        if workers <= 1:
            for split, q in jobs:
                n = write_sequence(spec, split, q, dest)
                if progress is not None:
                    progress.advance(task, n)
        else:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                futures = [pool.submit(write_sequence, spec, split, q, dest) for split, q in jobs]
                for fut in futures:
                    n = fut.result()
                    if progress is not None:
                        progress.advance(task, n)
    finally:
        if progress is not None:
            progress.stop()


def _manifest(root: Path) -> dict | None:
    try:
        return json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def is_complete(root: Path, spec: SimSpec) -> bool:
    """Whether ``root`` holds finished data generated from exactly ``spec``."""
    manifest = _manifest(root)
    return manifest is not None and manifest.get("hash") == spec_hash(spec)


def _remove_stale_temps(root: Path) -> None:
    """Delete temporary siblings left by generators that died (their process no longer exists)."""
    if not root.parent.is_dir():
        return
    for tmp in root.parent.glob(f".{root.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit(".tmp-", 1)[1].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue


def ensure_generated(spec: SimSpec, root: Path, workers: int = 0) -> Path:
    """Generate ``spec`` into ``root`` unless it is already there; safe against crashes and races."""
    if is_complete(root, spec):
        return root
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        other = _manifest(root)
        if other is not None:
            raise DataError(
                f"drivesim: {root} holds data generated with other parameters "
                f"({other.get('spec', {}).get('preset')}, hash {other.get('hash')})",
                hint="choose another root or delete that folder",
            )
        raise DataError(
            f"drivesim: {root} exists and is not a drivesim dataset", hint="choose an empty or new root"
        )
    _remove_stale_temps(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(root)
    tmp.mkdir()
    if workers <= 0:
        workers = 1 if spec.pool_size + spec.val_size < 1500 else min(4, os.cpu_count() or 1)
    try:
        _write_all(spec, tmp, workers)
        manifest = {"hash": spec_hash(spec), "version": GENERATOR_VERSION, "spec": asdict(spec)}
        if spec.family == "video":
            from .plan import plan_drives

            manifest["drives"] = [d.to_dict() for split in ("train", "val") for d in plan_drives(spec, split)]
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        try:
            os.rename(tmp, root)
        except OSError:
            if not is_complete(root, spec):
                raise DataError(f"drivesim: could not move generated data into {root}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return root
