"""The active-learning cycle. Each phase leaves a durable file, so a killed run resumes exactly.

Per cycle ``c`` (0 .. cycles)::

    checkpoint = model.train(labeled, unlabeled, ssl)      -> cycles/c/checkpoint.pth
    metrics    = model.evaluate(val)                       -> cycles/c/metrics.json
    if c < cycles:
        q        = quantities(model, pool, acq.requires)     (one pass; HDF5 cache)
        picked   = acq.select(q, labeled_mask, budget, rng(seed, c))
                                                           -> cycles/c/selection.json
        oracle labels picked; state.add(picked)            -> state.json
    hook on_cycle_end(run_dir, c, record)                  -> cycles/c/record.json
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from alcore import faults
from alcore.atomic import file_sha256, read_json, write_json, write_with
from alcore.dataset import Dataset, Sample
from alcore.diagnostics import batch_diagnostics, example_entries
from alcore.distributed import barrier, is_main, on_main, score_shards, world_size
from alcore.errors import StateError
from alcore.pool import PoolState
from alcore.progress import Reporter
from alcore.rundir import RunDir


@dataclass
class Components:
    """The plugins a run is made of, already built from their registrations."""

    dataset: Dataset
    model: Any
    acquisition: Any
    acq_name: str
    ssl: Any
    hooks: Any
    scorer: Any = None  # callable(model, fingerprint, samples, names, progress) -> quantities
    pool: list[Sample] = field(default_factory=list)
    val: list[Sample] = field(default_factory=list)


def selection_rng(seed: int, cycle: int) -> np.random.Generator:
    """The generator a cycle's selection uses: a function of (seed, cycle) only, so resumes agree."""
    return np.random.default_rng([seed, cycle])


def initial_selection(pool: Sequence[Sample], n: int, seed: int) -> list[str]:
    """The seeded random initial labeled set."""
    rng = np.random.default_rng([seed, 0xA1])
    n = min(n, len(pool))
    return [pool[i].id for i in sorted(rng.choice(len(pool), size=n, replace=False))]


def run_cycles(run: RunDir, cfg: Any, c: Components, reporter: Reporter) -> list[dict]:
    """Run (or continue) every cycle of an experiment and return the per-cycle records."""
    state = load_or_init_state(run, cfg, c.pool) if is_main() else None
    barrier()
    if state is None:  # another rank created or checked it
        state = PoolState.load(run.state)
    records = []
    for cycle in range(cfg.cycles + 1):
        done = run.cycle(cycle) / "record.json"
        if done.is_file():
            records.append(read_json(done))
            continue
        t0 = time.time()
        checkpoint = train_phase(run, cycle, state, c, reporter)
        metrics = on_main(run.cycle(cycle) / "metrics.json",
                          partial(evaluate_phase, run, cycle, c, reporter))
        record: dict[str, Any] = {
            "cycle": cycle,
            "labeled": len(state.labeled),
            "fingerprint": file_sha256(checkpoint),
            "metrics": metrics,
        }
        if cycle < cfg.cycles:
            if world_size() > 1:
                score_shards_phase(run, cycle, c, record["fingerprint"], reporter)
            selection = on_main(
                run.cycle(cycle) / "selection.json",
                partial(select_phase, run, cycle, state, cfg, c, record["fingerprint"], reporter),
            )
            label_phase(run, cycle, state, selection, c.acq_name)
            record["selection"] = selection
        record["seconds"] = round(time.time() - t0, 1)
        if is_main():
            write_json(done, record)
            c.hooks.on_cycle_end(run_dir=run.root, cycle=cycle, record=record)
        reporter.info(cycle_line(record))
        records.append(record)
    return records


def load_or_init_state(run: RunDir, cfg: Any, pool: Sequence[Sample]) -> PoolState:
    if run.state.is_file():
        state = PoolState.load(run.state)
        state.check_pool(pool, run.state)
        return state
    if not pool:
        raise StateError("the dataset's pool is empty; nothing to select from")
    state = PoolState.new(pool)
    state.add(initial_selection(pool, cfg.initial, cfg.seed), cycle=0, strategy="initial")
    state.save(run.state)
    return state


def split(pool: Sequence[Sample], state: PoolState) -> tuple[list[Sample], list[Sample]]:
    mask = state.mask(pool)
    return [s for s, m in zip(pool, mask) if m], [s for s, m in zip(pool, mask) if not m]


def train_phase(run: RunDir, cycle: int, state: PoolState, c: Components, r: Reporter):
    ckpt = run.cycle(cycle) / "checkpoint.pth"
    if ckpt.is_file():
        c.model.load(ckpt)
        return ckpt
    previous = run.cycle(cycle - 1) / "checkpoint.pth"
    if cycle > 0 and previous.is_file() and getattr(c.model, "checkpoint", None) != previous:
        c.model.load(previous)  # a resumed run skipped that cycle; warm start needs its weights
    labeled, unlabeled = split(c.pool, state)
    with r.task(f"cycle {cycle}: train on {len(labeled)}") as progress:
        trained = c.model.train(labeled, unlabeled, cycle, run.cycle(cycle), ssl=c.ssl,
                                progress=progress)
    if world_size() > 1:  # every rank scores with exactly the weights rank 0 wrote
        c.model.load(trained)
    return trained


def evaluate_phase(run: RunDir, cycle: int, c: Components, r: Reporter) -> dict:
    path = run.cycle(cycle) / "metrics.json"
    if path.is_file():
        return read_json(path)
    with r.task(f"cycle {cycle}: evaluate", len(c.val)) as progress:
        metrics = c.model.evaluate(c.val, progress)
    faults.point("evaluate")
    extra = getattr(c.model, "last_train_stats", None)
    if extra:
        metrics["train"] = extra
    write_json(path, metrics)
    return metrics


def select_phase(run: RunDir, cycle: int, state: PoolState, cfg: Any, c: Components,
                 fingerprint: str, r: Reporter) -> dict:
    path = run.cycle(cycle) / "selection.json"
    if path.is_file():
        return read_json(path)
    labeled = state.mask(c.pool)
    available = int((~labeled).sum())
    budget = min(cfg.budget, available)
    if budget < cfg.budget:
        r.info(f"  only {available} unlabeled samples left; selecting all of them")
    if budget == 0:
        selection = {"strategy": c.acq_name, "ids": [], "diagnostics": None,
                     "note": "the pool is fully labeled"}
        write_json(path, selection)
        return selection
    names = sorted(set(c.acquisition.requires) | {"embedding"})
    model_names = [n for n in names if n not in POOL_QUANTITIES]
    with r.task(f"cycle {cycle}: score pool", len(c.pool)) as progress:
        quantities = c.scorer(c.model, fingerprint, c.pool, model_names, progress)
    quantities.update(pool_quantities(c.pool, names))
    picked = np.asarray(
        c.acquisition.select(quantities, labeled, budget, selection_rng(cfg.seed, cycle)),
        dtype=np.int64,
    )
    check_picks(picked, labeled, budget, c.acq_name)
    chosen = [c.pool[i] for i in picked]
    after = labeled.copy()
    after[picked] = True
    selection = {
        "strategy": c.acq_name,
        "ids": [s.id for s in chosen],
        "diagnostics": batch_diagnostics(chosen, quantities["embedding"], picked, after, c.pool),
    }
    write_examples(run.cycle(cycle), chosen[:8], c.model)
    faults.point("select")
    write_json(path, selection)
    return selection


def score_shards_phase(run: RunDir, cycle: int, c: Components, fingerprint: str, r: Reporter) -> None:
    """Under a multi-process launch, every rank scores its shard of the pool into the run's cache."""
    if (run.cycle(cycle) / "selection.json").is_file():
        return
    names = [n for n in sorted(set(c.acquisition.requires) | {"embedding"}) if n not in POOL_QUANTITIES]
    with r.task(f"cycle {cycle}: score pool (sharded)", len(c.pool)) as progress:
        score_shards(run.cache, c.model, fingerprint, c.pool, names, progress)


def write_examples(cycle_dir: Path, samples: Sequence[Sample], model: Any) -> None:
    """Keep a few selected samples with the model's predictions, for the report to show."""
    predict = getattr(model, "predict", None)
    preds = predict(samples) if predict is not None else [None] * len(samples)
    written = {}
    for i, (s, pred) in enumerate(zip(samples, preds)):
        if pred is not None:
            written[s.id] = cycle_dir / "examples" / f"{i:02d}.png"
            write_png(written[s.id], pred)
    write_json(cycle_dir / "examples.json", example_entries(samples, written, limit=len(samples)))


def write_png(path: Path, array: np.ndarray) -> None:
    """Atomically write a uint8 array as PNG."""
    import cv2

    ok, buf = cv2.imencode(".png", np.asarray(array, dtype=np.uint8))
    if not ok:
        raise StateError(f"could not encode {path}")
    write_with(path, lambda fh: fh.write(buf.tobytes()), mode="wb")


#: quantities that come from the dataset, not the model: integer codes per sample
POOL_QUANTITIES = ("group", "frame")


def pool_quantities(pool: Sequence[Sample], names: Sequence[str]) -> dict[str, np.ndarray]:
    """``group`` (an integer code per sequence, in order of appearance) and ``frame`` (-1 if none)."""
    out: dict[str, np.ndarray] = {}
    if "group" in names:
        codes: dict[str, int] = {}
        out["group"] = np.array(
            [codes.setdefault(s.group if s.group is not None else f"\0{s.id}", len(codes))
             for s in pool], dtype=np.int64)
    if "frame" in names:
        out["frame"] = np.array([s.frame if s.frame is not None else -1 for s in pool],
                                dtype=np.int64)
    return out


def check_picks(picked: np.ndarray, labeled: np.ndarray, budget: int, name: str) -> None:
    """An acquisition must return exactly ``budget`` distinct, unlabeled, in-range rows."""
    if len(picked) != budget:
        raise StateError(f"acquisition '{name}' returned {len(picked)} samples, expected {budget}")
    if len(np.unique(picked)) != len(picked):
        raise StateError(f"acquisition '{name}' returned the same sample twice")
    if picked.size and (picked.min() < 0 or picked.max() >= len(labeled)):
        raise StateError(f"acquisition '{name}' returned an index outside the pool")
    if labeled[picked].any():
        raise StateError(f"acquisition '{name}' returned an already labeled sample")


def label_phase(run: RunDir, cycle: int, state: PoolState, selection: dict, strategy: str) -> None:
    """The benchmark oracle: ground truth exists, so labeling is recording (idempotent on resume)."""
    done = set(state.labeled_ids)
    new = [i for i in selection["ids"] if i not in done]
    if new:
        state.add(new, cycle=cycle + 1, strategy=strategy)
        if is_main():
            state.save(run.state)


def cycle_line(record: dict) -> str:
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
