"""``alcore import``: validate returned labels against an open export, then commit them in one step.

Everything is read and checked before anything is written: label files go to ``RUN/labels/``
first, then ``state.json`` is replaced atomically (the commit point), then export records are
updated. An error anywhere before the commit leaves the pool state as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from alcore.annotation.batch import Incoming, read_info
from alcore.annotation.formats import import_format
from alcore.annotation.layout import AnnotationDirs, file_name
from alcore.annotation.masks import check_label, image_size
from alcore.annotation.records import ExportRecord, load_exports, match_export, now, save_export
from alcore.cycle import write_png
from alcore.pool import PoolState
from alcore.rundir import RunDir
from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import DataError, StateError

#: the export format whose returns an import format reads, where the names differ
EXPORT_OF = {"png": "manifest"}

#: a returned file's key -> {"id": ..., "image": ...}, or None when nobody asked for it
Lookup = Callable[[str], dict | None]


def prepare(
    incoming: Sequence[Incoming], lookup: Lookup, info: DatasetInfo, where: str
) -> tuple[list[tuple[str, np.ndarray]], list[str]]:
    """Checked ``(id, class map)`` pairs, and the ids whose label has no labeled pixel (skipped)."""
    if not incoming:
        raise DataError(f"{where}: no labels found")
    seen: dict[str, str] = {}
    labels, empty = [], []
    for inc in incoming:
        item = lookup(inc.key)
        if item is None:
            raise StateError(f"{where}: '{inc.key}' is not a sample this import can take")
        if item["id"] in seen:
            raise DataError(f"{where}: two labels for '{item['id']}' ({seen[item['id']]}, {inc.file})")
        seen[item["id"]] = inc.file
        check_label(inc.label, image_size(Path(item["image"])), info.num_classes, info.ignore_index, inc.file)
        if (inc.label == info.ignore_index).all():
            empty.append(item["id"])
        else:
            labels.append((item["id"], inc.label.astype(np.uint8)))
    if not labels:
        raise DataError(f"{where}: no label has a labeled pixel")
    return labels, empty


def commit(
    dirs: AnnotationDirs,
    state: PoolState,
    labels: Sequence[tuple[str, np.ndarray]],
    cycle: int,
    strategy: str,
    source: str,
) -> None:
    """Write the label PNGs, then the pool state that makes them count."""
    done = set(state.labeled_ids)
    again = next((i for i, _ in labels if i in done), None)
    if again is not None:
        raise StateError(f"sample '{again}' is already labeled; refusing to label it twice")
    for sample_id, label in labels:
        write_png(dirs.label(sample_id), label)
    state.add([i for i, _ in labels], cycle=cycle, strategy=strategy, source=source)
    state.save(dirs.run.state)


def import_labels(run_root: Path, fmt_name: str, path: Path) -> dict:
    """Import one tool's returned labels for an export; return a summary of what was added.

    Labels this export already imported are skipped (counted in ``already``); tasks returned
    without a label (skipped by annotators) are released back to the pool.
    """
    fmt = import_format(fmt_name)
    run = RunDir(run_root)
    run.open()
    try:
        dirs = AnnotationDirs(run)
        info = read_info(run.root)
        state = PoolState.load(run.state)
        records = load_exports(dirs)
        labeled = set(state.labeled_ids)
        for record in records:
            record.refresh(labeled)
        where = str(path)
        incoming = fmt.read(Path(path), info)
        if not incoming:
            raise DataError(f"{where}: no finished labels found")
        prefer = EXPORT_OF.get(fmt_name, fmt_name)
        only = match_many(records, incoming, state, where, prefer) if len(incoming) > 1 else None
        groups: dict[int, list[Incoming]] = {}
        for inc in incoming:
            record = only or match_export(records, [inc.key], state, where, prefer)
            groups.setdefault(record.number, []).append(inc)
        source = f"import:{fmt_name}:{Path(path).absolute()}"
        summary: dict = {"imported": [], "empty": [], "already": 0, "released": [], "exports": []}
        by_number = {r.number: r for r in records}
        plans = {n: plan(by_number[n], group, labeled, info, where) for n, group in groups.items()}
        for number, done in plans.items():
            take(dirs, state, by_number[number], done, source)
            summary["imported"] += [i for i, _ in done["labels"]]
            for key in ("empty", "released"):
                summary[key] += done[key]
            summary["already"] += done["already"]
            summary["exports"].append(number)
        now_labeled = set(state.labeled_ids)
        for other in records:
            if other.refresh(now_labeled):
                save_export(dirs, other)
        first = by_number[summary["exports"][0]]
        return {
            **summary,
            "export": first.number,
            "format": fmt_name,
            "notes": [i.note for i in incoming if i.note],
            "status": first.status,
            "labeled": len(state.labeled),
        }
    finally:
        run.unlock()


def plan(
    record: ExportRecord, group: Sequence[Incoming], labeled: set[str], info: DatasetInfo, where: str
) -> dict:
    """One export's share of an import, checked: new labels, skipped tasks to release, repeats."""
    fresh = [i for i in group if record.lookup(i.key)["id"] not in labeled]
    released = [record.lookup(i.key)["id"] for i in fresh if i.label is None]
    returned = [i for i in fresh if i.label is not None]
    labels, empty = prepare(returned, record.lookup, info, where) if returned else ([], [])
    new_release = [i for i in released if i not in record.released]
    return {"labels": labels, "empty": empty, "released": new_release, "already": len(group) - len(fresh)}


def take(dirs: AnnotationDirs, state: PoolState, record: ExportRecord, done: dict, source: str) -> None:
    """Commit one export's checked share: label PNGs and state first, then the export record."""
    ids = [i for i, _ in done["labels"]]
    if ids:
        commit(dirs, state, done["labels"], record.cycle + 1, record.strategy, source)
    if ids or done["released"] or done["empty"]:
        record.released = [i for i in record.released if i not in set(ids)] + done["released"]
        entry = {"time": now(), "source": source, "ids": ids, "empty": done["empty"]}
        record.imports.append({**entry, "released": done["released"], "already": done["already"]})
        record.refresh(set(state.labeled_ids))
        save_export(dirs, record)


def match_many(
    records: Sequence[ExportRecord], incoming: Sequence[Incoming], state: PoolState, where: str, prefer: str
) -> ExportRecord | None:
    """The one export that asked for every returned label, or None when they span several."""
    try:
        return match_export(records, [i.key for i in incoming], state, where, prefer)
    except StateError as exc:
        if "span several" in str(exc):
            return None
        raise


def close_export(run_root: Path, number: int) -> dict:
    """Close an export: its samples not labeled yet go back to the pool; later imports are refused."""
    run = RunDir(run_root)
    run.open()
    try:
        dirs = AnnotationDirs(run)
        state = PoolState.load(run.state)
        records = {r.number: r for r in load_exports(dirs)}
        if number not in records:
            known = ", ".join(f"{n:03d}" for n in records) or "none"
            raise StateError(f"{run.root} has no export {number:03d} (exports: {known})")
        record = records[number]
        labeled = set(state.labeled_ids)
        if record.closed:
            raise StateError(f"export {number:03d} was already closed {record.closed}")
        released = [i for i in record.ids if i not in labeled and i not in record.released]
        record.released += released
        record.closed = now()
        record.refresh(labeled)
        save_export(dirs, record)
        return {"export": number, "released": released, "labeled": sum(i in labeled for i in record.ids)}
    finally:
        run.unlock()


def given_labels(pool: Sequence[Sample], path: Path, info: DatasetInfo) -> list[tuple[str, np.ndarray]]:
    """Checked labels the user already has for pool samples (``select --initial-labels``)."""
    by_key: dict[str, dict] = {}
    for s in pool:
        entry = {"id": s.id, "image": str(s.image)}
        by_key[s.id] = by_key[file_name(s.id)] = entry
    labels, _ = prepare(import_format("png").read(Path(path), info), by_key.get, info, str(path))
    return labels
