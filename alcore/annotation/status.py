"""``alcore status``: what a production run holds: labeled samples by source, batches, exports."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from alcore.annotation.exports import latest_batch
from alcore.annotation.layout import AnnotationDirs
from alcore.annotation.records import load_exports, pending_ids
from alcore.pool import PoolState
from alcore.rundir import RunDir
from alcore.sdk.errors import StateError


def run_status(run_root: Path) -> dict:
    """A summary of a run directory, read without locking it (a running cycle is not disturbed)."""
    run = RunDir(run_root)
    if not run.is_run():
        raise StateError(f"{run.root} is not a run directory (no config.yaml)")
    dirs = AnnotationDirs(run)
    state = PoolState.load(run.state)
    labeled = set(state.labeled_ids)
    exports = load_exports(dirs)
    for record in exports:
        record.refresh(labeled)
    sources = Counter(":".join(r.source.split(":", 2)[:2]) for r in state.labeled)
    return {
        "run": str(run.root),
        "pool": state.size,
        "labeled": len(state.labeled),
        "by_source": dict(sources),
        "latest_batch": latest_batch(dirs),
        "pending": len(pending_ids(exports, state)),
        "exports": [
            {
                "number": r.number,
                "cycle": r.cycle,
                "format": r.format,
                "to": r.to,
                "samples": len(r.items),
                "labeled": sum(i in labeled for i in r.ids),
                "status": r.status,
                "created": r.created,
            }
            for r in exports
        ],
    }
