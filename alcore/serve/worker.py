"""The retrain process: fold the kept annotations into the run, then run the next production cycle.

Runs as ``python -m alcore.serve.worker RUN_DIR`` so training never slows the server's answers, and a
crash or kill of either leaves the other's files whole. The fold writes label PNGs first and then
``state.json`` (the commit point), like ``alcore import``; the cycle is ``session.select``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alcore.annotation.exports import latest_batch
from alcore.annotation.layout import AnnotationDirs
from alcore.annotation.records import load_exports, now, save_export
from alcore.cycle import write_png
from alcore.pool import PoolState
from alcore.rundir import RunDir
from alcore.sdk.atomic import write_json
from alcore.sdk.errors import AlcoreError
from alcore.serve import inbox
from alcore.serve.predictions import Predictions

SOURCE = "labelstudio"


def source_of(record: dict) -> str:
    """Provenance of a label taken from one Label Studio annotation."""
    return (
        f"{SOURCE}:{record.get('host') or ''}/projects/{record.get('project')}"
        f"#task={record['task']}&annotation={record['annotation']}&by={record.get('completed_by')}"
    )


def fold(run_root: Path) -> dict:
    """Write every kept annotation the run lacks (new, changed or deleted) into it, under its lock."""
    run = RunDir(run_root)
    run.open()
    try:
        dirs = AnnotationDirs(run)
        preds = Predictions(run.root)
        state = PoolState.load(run.state)
        labeled = {r.id: r for r in state.labeled}
        done = inbox.folded(run.root)
        last = latest_batch(dirs) or 0
        added, updated, removed, released, notes = [], [], [], [], []
        result: dict[str, str] = {}
        for sid, (record, note) in inbox.by_sample(inbox.load(run.root)).items():
            if note:
                notes.append(note)
            if sid not in preds.by_id:
                continue
            batch, item = preds.item(sid)
            if record is None:
                if sid not in labeled:
                    released.append(sid)
                continue
            where = f"annotation {record['annotation']} (task {record['task']})"
            label = inbox.checked_label(record["result"], preds.info, Path(item.image), where)
            if label is None:
                continue
            mine = sid in labeled and labeled[sid].source.startswith(f"{SOURCE}:")
            if sid in labeled and not mine:
                notes.append(f"{where}: '{sid}' is already labeled ({labeled[sid].source}); kept that label")
                continue
            result[sid] = inbox.version(record)
            if done.get(sid) == result[sid] and sid in labeled:
                continue
            write_png(dirs.label(sid), label)
            if mine:
                labeled[sid].source = source_of(record)
                updated.append(sid)
            else:
                state.add([sid], cycle=last + 1, strategy=batch.strategy, source=source_of(record))
                added.append(sid)
        for sid in done:
            if sid not in result and sid in labeled and labeled[sid].source.startswith(f"{SOURCE}:"):
                removed.append(sid)
        state.labeled = [r for r in state.labeled if r.id not in set(removed)]
        state.save(run.state)
        for sid in removed:
            dirs.label(sid).unlink(missing_ok=True)
        write_json(run.root / "serve" / "folded.json", result)
        now_labeled = set(state.labeled_ids)
        for export in load_exports(dirs):
            gone = [i for i in released if i in export.ids and i not in export.released]
            export.released += gone
            mine = [i for i in added if i in export.ids]
            if mine:
                export.imports.append(
                    {"time": now(), "source": f"{SOURCE}:webhook", "ids": mine, "empty": []}
                )
            if export.refresh(now_labeled) or gone or mine:
                save_export(dirs, export)
        return {"added": added, "updated": updated, "removed": removed, "released": released, "notes": notes}
    finally:
        run.unlock()


def retrain(run_root: Path) -> dict:
    """Fold the annotations in, then train, score and select the next batch (one production cycle)."""
    from alcore.annotation.session import select
    from alcore.progress import Reporter

    status_path = Path(run_root) / "serve" / "retrain.json"
    write_json(status_path, {"state": "running", "started": now()})
    summary = fold(run_root)
    batch = select(Path(run_root), {}, reporter=Reporter(quiet=True))
    summary.update({"state": "done", "finished": now(), "cycle": batch.cycle, "model": batch.model})
    summary["batch"] = [i.id for i in batch.items]
    write_json(status_path, summary)
    return summary


def main(argv: list[str]) -> int:
    """Entry point of the worker process; errors become one line on stderr and exit code 2."""
    run_root = Path(argv[0])
    try:
        retrain(run_root)
    except AlcoreError as exc:
        write_json(
            run_root / "serve" / "retrain.json", {"state": "failed", "error": str(exc), "finished": now()}
        )
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
