"""Before a production cycle: a run's files checked against each other, derived ones recomputed.

``alcore select`` keeps what money bought in primary files: ``state.json`` (every label and where
it came from), ``exports/NNN/manifest.json`` (which samples went to annotators and which labels
each import brought back), ``labels/<name>.png`` and each committed cycle's ``batch.json``. Before
it writes anything, :func:`reconcile` checks that these agree: every imported label in the state
is one an export record lists (and the other way), has its label file, and was picked by the
cycle whose export asked for it. A disagreement is an error naming the files, never a rebuild.

Derived files of committed cycles are recomputed with a notice: ``metrics.json`` and
``selection.json`` from ``record.json``, ``record.json`` from ``batch.json`` and the cycle's plan,
and the ``batch.json`` of a cycle a later one followed from its selection. The newest cycle's
missing ``batch.json`` is the crash window before its commit, which the next select redoes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alcore.annotation.batch import Batch, BatchItem
from alcore.annotation.layout import AnnotationDirs, file_name
from alcore.annotation.records import ExportRecord, load_exports, now, save_export
from alcore.pool import PoolState
from alcore.runfiles import (
    Notice,
    check_metrics,
    check_record,
    check_selection,
    read_checked,
    restore_from_record,
)
from alcore.sdk.atomic import file_sha256, read_json, write_json
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import CorruptFileError, StateError

BACKUP = "restore it from a backup"


def committed_cycles(run_root: Path) -> list[int]:
    """Cycles with any file a finished cycle writes (record or batch), oldest first."""
    found = {int(p.parent.name) for name in ("batch.json", "record.json")
             for p in run_root.glob(f"cycles/[0-9][0-9][0-9]/{name}")}
    return sorted(found)


def _read_batch(path: Path) -> Batch | None:
    if not path.is_file():
        return None
    try:
        return Batch.load(path)
    except StateError:
        return None


def _read(path: Path, check: Any) -> Any | None:
    try:
        return read_checked(path, check) if path.is_file() else None
    except CorruptFileError:
        return None


def rebuild_batch(dirs: AnnotationDirs, cycle: int, pool: Sequence[Sample], notice: Notice) -> None:
    """A committed cycle's ``batch.json`` from its selection (scores, when kept) and record."""
    run = dirs.run
    record = _read(run.record(cycle), check_record)
    selection = _read(run.selection(cycle), check_selection) or (record or {}).get("selection")
    by_id = {s.id: s for s in pool}
    scores = selection.get("scores") or [{} for _ in selection["ids"]]
    items = []
    for rank, (sid, score) in enumerate(zip(selection["ids"], scores)):
        sample = by_id[sid]
        pred = dirs.prediction(cycle, sid)
        items.append(BatchItem(sid, file_name(sid), str(Path(sample.image).absolute()), sample.group,
                               sample.frame, rank, score,
                               pred.relative_to(run.root).as_posix() if pred.is_file() else None))
    batch = Batch(cycle, selection["strategy"], (record or {}).get("fingerprint"), now(), items)
    batch.save(dirs.batch(cycle))
    notice(f"notice: rewrote {dirs.batch(cycle)} from {run.selection(cycle).name} and "
           f"{run.record(cycle).name}")


def rebuild_record(dirs: AnnotationDirs, cycle: int, batch: Batch, notice: Notice) -> None:
    """A committed cycle's ``record.json`` from its batch, plan, metrics and checkpoint."""
    run = dirs.run
    plan_path = run.cycle(cycle) / "plan.json"
    try:
        plan = read_json(plan_path, dict)
    except (OSError, CorruptFileError):
        raise StateError(f"{run.record(cycle)} is lost or damaged and so is {plan_path}, which it is "
                         "recomputed from", hint=BACKUP) from None
    labeled = list(plan.get("labeled") or [])
    record: dict[str, Any] = {"cycle": cycle, "labeled": len(labeled), "trained_on": labeled,
                              "excluded_pending": len(plan.get("pending") or [])}
    metrics = _read(run.metrics(cycle), check_metrics)
    if metrics is not None:
        record["metrics"] = metrics
    checkpoint = run.checkpoint(cycle)
    record["fingerprint"] = file_sha256(checkpoint) if checkpoint.is_file() else batch.model
    record["selection"] = {"strategy": batch.strategy, "ids": [i.id for i in batch.items]}
    write_json(run.record(cycle), record)
    notice(f"notice: rewrote {run.record(cycle)} from {dirs.batch(cycle).name} and {plan_path.name}")


def _picks(dirs: AnnotationDirs, cycle: int, batch: Batch | None) -> list[str] | None:
    """The ids a committed cycle picked: its batch's, else its selection's, else its record's."""
    if batch is not None:
        return [i.id for i in batch.items]
    run = dirs.run
    selection = _read(run.selection(cycle), check_selection) or (
        _read(run.record(cycle), check_record) or {}).get("selection")
    return list(selection["ids"]) if selection else None


def survey_cycles(dirs: AnnotationDirs, pool: Sequence[Sample]
                  ) -> tuple[dict[int, list[str]], list[tuple[int, str]]]:
    """Each committed cycle's picks, and which derived files to recompute; reads only.

    Fails, naming the files, where what is lost cannot be recomputed or the files disagree.
    """
    run = dirs.run
    cycles = committed_cycles(run.root)
    picks: dict[int, list[str]] = {}
    todo: list[tuple[int, str]] = []
    for cycle in cycles:
        path = dirs.batch(cycle)
        batch = _read_batch(path)
        if batch is None and cycle == cycles[-1]:
            todo.append((cycle, "redo"))  # stopped before its commit (or its commit lost): redone
            continue
        ids = _picks(dirs, cycle, batch)
        if ids is None:
            raise StateError(f"{path} is lost, and so are the {run.selection(cycle).name} and "
                             f"{run.record(cycle).name} it is recomputed from", hint=BACKUP)
        if batch is None:
            known = {s.id for s in pool}
            if any(i not in known for i in ids):
                raise StateError(f"{path} is lost and the selection it is recomputed from names samples "
                                 "that are not in the pool", hint=BACKUP)
            todo.append((cycle, "batch"))
        record = _read(run.record(cycle), check_record)
        if record is None:
            plan = run.cycle(cycle) / "plan.json"
            if _read(plan, lambda d: None if isinstance(d, dict) else "not an object") is None:
                raise StateError(f"{run.record(cycle)} is lost or damaged, and so is {plan}, which it is "
                                 "recomputed from", hint=BACKUP)
            todo.append((cycle, "record"))
        elif list(record.get("selection", {}).get("ids", ids)) != ids:
            raise StateError(f"{path} and {run.record(cycle)} disagree on cycle {cycle}'s picks",
                             hint="restore both from the same backup")
        todo.append((cycle, "derived"))
        picks[cycle] = ids
    return picks, todo


def restore_cycles(dirs: AnnotationDirs, todo: Sequence[tuple[int, str]], pool: Sequence[Sample],
                   notice: Notice) -> None:
    """Recompute the derived files :func:`survey_cycles` found lost or damaged, each with a notice."""
    run = dirs.run
    for cycle, what in todo:
        if what == "redo":
            lost = "is damaged" if dirs.batch(cycle).is_file() else "is missing"
            dirs.batch(cycle).unlink(missing_ok=True)
            notice(f"notice: {dirs.batch(cycle)} {lost}; cycle {cycle} is redone from its files")
        elif what == "batch":
            if dirs.batch(cycle).is_file():
                notice(f"notice: {dirs.batch(cycle)} is damaged; recomputing it")
            rebuild_batch(dirs, cycle, pool, notice)
        elif what == "record":
            if run.record(cycle).is_file():
                notice(f"notice: {run.record(cycle)} is damaged; recomputing it")
            rebuild_record(dirs, cycle, Batch.load(dirs.batch(cycle)), notice)
        else:
            restore_from_record(run, cycle, read_checked(run.record(cycle), check_record), notice)


def check_exports(state: PoolState, records: Sequence[ExportRecord], picks: dict[int, list[str]],
                  dirs: AnnotationDirs) -> list[tuple[ExportRecord, str]]:
    """Every export asked for its cycle's picks and every import it records is in the state, and back;
    reads only, and returns the imports to record (an import stopped between its two writes)."""
    run_root = dirs.run.root
    labeled = {r.id: r for r in state.labeled}
    where: dict[str, ExportRecord] = {}
    missing: list[tuple[ExportRecord, str]] = []
    for record in records:
        manifest = dirs.export(record.number) / "manifest.json"
        picked = picks.get(record.cycle)
        if picked is not None and not set(record.ids) <= set(picked):
            raise StateError(f"{manifest} exports samples {dirs.batch(record.cycle)} did not pick",
                             hint="restore both from the same backup")
        for sid in record.imported_ids():
            where[sid] = record
            if sid not in labeled:
                raise StateError(f"{manifest} says '{sid}' was imported but {state_path(run_root)} "
                                 "does not hold that label", hint="restore state.json from a backup")
    for label in state.labeled:
        if not label.source.startswith("import:") or label.strategy == "given" or label.id in where:
            continue  # the dataset's labels, and labels given with --initial-labels, had no export
        record = _asked(records, label.id, label.cycle - 1)
        if record is None:
            raise StateError(f"{state_path(run_root)} holds the imported label '{label.id}' but no "
                             f"export record under {dirs.exports} asked for it", hint=f"{BACKUP} (exports/)")
        if (record, label.source) not in missing:
            missing.append((record, label.source))
    return missing


def _asked(records: Sequence[ExportRecord], sample_id: str, cycle: int) -> ExportRecord | None:
    return next((r for r in reversed(records) if r.cycle == cycle and r.lookup(sample_id)), None)


def _record_import(dirs: AnnotationDirs, record: ExportRecord, state: PoolState, source: str,
                   notice: Notice) -> None:
    """An import stopped after ``state.json`` and before its export record: record it from the state."""
    ids = [r.id for r in state.labeled if r.source == source and record.lookup(r.id)
           and r.id not in record.imported_ids()]
    record.imports.append({"time": now(), "source": source, "ids": ids, "empty": [], "released": [],
                           "already": 0})
    record.released = [i for i in record.released if i not in set(ids)]
    record.refresh(set(state.labeled_ids))
    save_export(dirs, record)
    notice(f"notice: recorded in {dirs.export(record.number) / 'manifest.json'} the import of "
           f"{len(ids)} labels that state.json holds (an import was stopped before it finished)")


def check_label_files(dirs: AnnotationDirs, state: PoolState) -> None:
    """Every label the run holds (not the dataset's) has its label file, whole."""
    from PIL import Image

    for label in state.labeled:
        if label.source == "dataset":
            continue
        path = dirs.label(label.id)
        if not path.is_file():
            raise StateError(f"{path} is missing; {state_path(dirs.run.root)} says '{label.id}' was labeled "
                             f"({label.source})", hint=f"{BACKUP}, or restore state.json and import it again")
        try:
            with Image.open(path) as im:
                im.verify()  # reads the whole file and checks it, without decoding pixels
        except Exception as exc:  # Pillow raises many types for a damaged file
            raise StateError(f"{path} is damaged ({type(exc).__name__}); {state_path(dirs.run.root)} "
                             f"says '{label.id}' was labeled", hint=BACKUP) from None


def check_checkpoint(dirs: AnnotationDirs, cycle: int) -> None:
    """The checkpoint of the newest committed cycle is the one its record names (the next starts from it)."""
    run = dirs.run
    record = _read(run.record(cycle), check_record)
    want = (record or {}).get("fingerprint")
    if not want:
        return
    checkpoint = run.checkpoint(cycle)
    if not checkpoint.is_file():
        raise StateError(f"{checkpoint} is missing; cycle {cycle + 1} starts from it",
                         hint=f"{BACKUP} (sha256 {want[:16]}...)")
    if file_sha256(checkpoint) != want:
        raise StateError(f"{checkpoint} is not the checkpoint {run.record(cycle)} records", hint=BACKUP)


def state_path(run_root: Path) -> Path:
    return run_root / "state.json"


def reconcile(dirs: AnnotationDirs, state: PoolState, pool: Sequence[Sample],
              notice: Notice) -> list[ExportRecord]:
    """Check a production run's files against each other, then recompute derived ones; its exports.

    Every check runs before the first write, so a run that fails them is left as it was.
    """
    records = load_exports(dirs)
    check_label_files(dirs, state)
    picks, todo = survey_cycles(dirs, pool)
    missing = check_exports(state, records, picks, dirs)
    if picks:
        check_checkpoint(dirs, max(picks))
    restore_cycles(dirs, todo, pool, notice)
    for record, source in missing:
        _record_import(dirs, record, state, source, notice)
    return records
