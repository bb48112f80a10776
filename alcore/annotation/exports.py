"""``alcore export``: write a cycle's batch in an annotation tool's format and record the export as open."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from alcore.annotation.batch import Batch, read_info
from alcore.annotation.formats import export_format
from alcore.annotation.layout import AnnotationDirs
from alcore.annotation.records import ExportRecord, load_exports, now, save_export
from alcore.pool import PoolState
from alcore.rundir import RunDir
from alcore.sdk.errors import StateError


def latest_batch(dirs: AnnotationDirs) -> int | None:
    """The newest cycle that selected a batch, or None before the first ``alcore select``."""
    cycles = sorted(int(p.parent.name) for p in dirs.run.root.glob("cycles/[0-9][0-9][0-9]/batch.json"))
    return cycles[-1] if cycles else None


def load_batch(dirs: AnnotationDirs, cycle: int | None) -> Batch:
    """The batch of ``cycle`` (default: the newest), with a clear error when there is none."""
    n = latest_batch(dirs) if cycle is None else cycle
    if n is None:
        raise StateError(
            f"{dirs.run.root} has no selected batch yet", hint=f"run 'alcore select --out {dirs.run.root}'"
        )
    if not dirs.batch(n).is_file():
        raise StateError(f"{dirs.run.root}: cycle {n} selected no batch")
    return Batch.load(dirs.batch(n))


def check_target(to: Path) -> None:
    """Refuse to write an export over files that are already there."""
    if to.exists() and (not to.is_dir() or any(to.iterdir())):
        raise StateError(f"{to} exists and is not empty; choose another --to")


def export_batch(
    run_root: Path, fmt_name: str, to: Path, options: dict[str, str] | None = None, cycle: int | None = None
) -> ExportRecord:
    """Write the batch's unlabeled samples into ``to`` (all or nothing) and open an export record."""
    options = options or {}
    fmt = export_format(fmt_name, options)
    run = RunDir(run_root)
    run.open()
    try:
        dirs = AnnotationDirs(run)
        batch = load_batch(dirs, cycle)
        labeled = set(PoolState.load(run.state).labeled_ids)
        items = [i for i in batch.items if i.id not in labeled]
        if not items:
            raise StateError(
                f"every sample of cycle {batch.cycle}'s batch is labeled",
                hint=f"run 'alcore select --out {run.root}' for the next batch",
            )
        to = Path(to).absolute()
        check_target(to)
        info = read_info(run.root)
        to.parent.mkdir(parents=True, exist_ok=True)
        work = to.parent / f".{to.name}.tmp-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        tmp = work / to.name
        tmp.mkdir(parents=True)
        try:
            resolved = [
                dataclasses.replace(i, prediction=str(run.root / i.prediction) if i.prediction else None)
                for i in items
            ]
            fmt.write(dataclasses.replace(batch, items=resolved), info, tmp, options)
            os.replace(tmp, to)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        records = load_exports(dirs)
        record = ExportRecord(
            number=records[-1].number + 1 if records else 1,
            cycle=batch.cycle,
            strategy=batch.strategy,
            format=fmt_name,
            to=str(to),
            created=now(),
            items=[{"id": i.id, "name": i.name, "image": i.image} for i in items],
        )
        save_export(dirs, record)
        return record
    finally:
        run.unlock()
