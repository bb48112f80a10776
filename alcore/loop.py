"""``alcore run``'s driver: every cycle of a benchmark experiment, labeled from ground truth.

::

    labeled = seeded random initial set                       -> state.json
    for c in 0 .. cycles:
        kernel.train, kernel.evaluate
        if c < cycles: kernel.select (ground-truth oracle labels the batch)
        kernel.finish                                          -> cycles/c/record.json

A cycle whose ``record.json`` exists is done and read back, so a killed run resumes exactly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from alcore.cycle import Components, CycleKernel, GroundTruthOracle
from alcore.distributed import barrier, is_main
from alcore.pool import PoolState
from alcore.progress import Reporter
from alcore.rundir import RunDir
from alcore.runfiles import (
    check_no_orphans,
    check_record,
    notices,
    read_derived,
    reconcile,
    restore_from_record,
)
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import StateError
from alcore.selection import initial_selection


def run_cycles(run: RunDir, cfg: Any, c: Components, reporter: Reporter) -> list[dict]:
    """Run (or continue) every cycle of an experiment and return the per-cycle records."""
    state = load_or_init_state(run, cfg, c.pool) if is_main() else None
    barrier()
    if state is None:  # another rank created or checked it
        state = PoolState.load(run.state)
    kernel = CycleKernel(run, c, reporter, cfg.seed)
    oracle = GroundTruthOracle(run, state)
    records = []
    for cycle in range(cfg.cycles + 1):
        done = read_derived(run.record(cycle), check_record, notices(reporter))
        if done is not None:
            if is_main():
                restore_from_record(run, cycle, done, notices(reporter))
            records.append(done)
            continue
        t0 = time.time()
        current = state.as_of(cycle)
        checkpoint = kernel.train(cycle, current)
        record: dict[str, Any] = {
            "cycle": cycle,
            "labeled": len(current.labeled),
            "fingerprint": kernel.fingerprint(checkpoint),
            "metrics": kernel.evaluate(cycle),
        }
        if cycle < cfg.cycles:
            record["selection"] = kernel.select(
                cycle, current.mask(c.pool), cfg.budget, record["fingerprint"], oracle)
        record["seconds"] = round(time.time() - t0, 1)
        kernel.finish(cycle, record)
        reporter.info(cycle_line(record))
        records.append(record)
    return records


def load_or_init_state(run: RunDir, cfg: Any, pool: Sequence[Sample]) -> PoolState:
    """The run's pool state, created with the seeded initial set on a run's first start."""
    check_no_orphans(run)
    if run.state.is_file():
        state = PoolState.load(run.state)
        state.check_pool(pool, run.state)
        reconcile(run, state, cfg.cycles, initial_selection(pool, cfg.initial, cfg.seed))
        return state
    if not pool:
        raise StateError("the dataset's pool is empty; nothing to select from")
    state = PoolState.new(pool)
    state.add(initial_selection(pool, cfg.initial, cfg.seed), cycle=0, strategy="initial")
    state.save(run.state)
    return state


def cycle_line(record: dict) -> str:
    """One log line per finished cycle: labeled count, mIoU, pseudo-label quality, batch spread."""
    line = f"cycle {record['cycle']}: {record['labeled']} labeled, mIoU {record['metrics']['mIoU']:.2f}"
    train = record["metrics"].get("train") or {}
    if "ssl_confident_fraction" in train:
        line += f", pseudo-labeled {100 * train['ssl_confident_fraction']:.0f}% of pixels"
        if train.get("ssl_pseudo_label_acc") is not None:
            line += f" ({100 * train['ssl_pseudo_label_acc']:.0f}% correct)"
    diag = (record.get("selection") or {}).get("diagnostics")
    if diag:
        from alcore.diagnostics import describe_groups

        line += f"; picked {len(record['selection']['ids'])} {describe_groups(diag)}"
    return line + f" [{record['seconds']:.0f}s]"
