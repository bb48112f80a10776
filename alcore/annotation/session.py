"""``alcore select`` on a production pool: one call is one cycle that ends with a batch to annotate.

While nothing is labeled the batch is drawn at random (no model exists yet). Afterwards the cycle
trains on every labeled sample (imported labels are read from ``RUN/labels/``), evaluates when the
dataset has a validation split, scores the pool, and selects among samples that are neither
labeled nor out with annotators in an open export. ``cycles/NNN/batch.json`` commits the cycle; a
cycle killed before it is redone, reusing its checkpoint only if the labeled set is unchanged.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alcore.annotation.batch import Batch, BatchItem
from alcore.annotation.exports import latest_batch
from alcore.annotation.importer import commit, given_labels
from alcore.annotation.layout import AnnotationDirs, file_name
from alcore.annotation.records import load_exports, now, pending_ids, refresh_all
from alcore.atomic import file_sha256, read_json, write_json
from alcore.config import RunConfig, resolve
from alcore.dataset import Sample
from alcore.errors import ConfigError, StateError
from alcore.experiment import make_scorer
from alcore.loop import (
    POOL_QUANTITIES,
    Components,
    evaluate_phase,
    select_phase,
    selection_rng,
    train_phase,
    write_png,
)
from alcore.plugins import Registry, get_registry, require
from alcore.pool import LabelRecord, PoolState
from alcore.progress import Reporter
from alcore.rundir import RunDir

#: settings fixed when a production run is created; later cycles may change only the others
FIXED = ("config", "dataset", "dataset_options", "model", "model_options", "ssl", "ssl_options")
PER_CYCLE = ("acq", "acq_options", "budget")


def open_run(run: RunDir, settings: dict[str, Any]) -> tuple[RunConfig, bool]:
    """The run's config (created from ``settings`` when new) with this cycle's overrides applied."""
    if not run.is_run():
        run.check_new()
        config = settings.get("config")
        return resolve(config, {k: v for k, v in settings.items() if k != "config"}), True
    given = [k for k in FIXED if settings.get(k)]
    if given:
        flag = "--" + given[0].replace("_options", "-opt").replace("_", "-")
        raise ConfigError(f"{run.root} already holds a production run whose {given[0]} is fixed; drop {flag}")
    cfg = run.open()
    for key in PER_CYCLE:
        value = settings.get(key)
        if value:
            setattr(cfg, key, {**cfg.acq_options, **value} if key == "acq_options" else value)
    return cfg.validate(), False


def init_state(pool: Sequence[Sample]) -> PoolState:
    """A new pool state; samples the dataset already labels count as labeled ('dataset')."""
    if not pool:
        raise StateError("the dataset's pool is empty; nothing to select from")
    state = PoolState.new(pool)
    state.add([s.id for s in pool if s.label is not None], cycle=0, strategy="given", source="dataset")
    return state


def with_labels(pool: Sequence[Sample], state: PoolState, dirs: AnnotationDirs) -> list[Sample]:
    """The pool with each labeled sample pointing at its label: imported ones in ``RUN/labels/``."""
    labeled = set(state.labeled_ids)
    out = []
    for s in pool:
        if s.id in labeled:
            path = dirs.label(s.id)
            if path.is_file():
                s = dataclasses.replace(s, label=path)
            elif s.label is None:
                raise StateError(f"labeled sample '{s.id}' has no label file (expected {path})")
        out.append(s)
    return out


def start_cycle(run: RunDir, cycle: int, plan: dict) -> None:
    """Begin (or resume) a cycle; leftovers of an interrupted attempt with another plan are dropped."""
    path = run.cycle(cycle) / "plan.json"
    if path.is_file() and read_json(path) != plan:
        shutil.rmtree(run.cycle(cycle))
    write_json(path, plan)


def random_batch(
    pool: Sequence[Sample], blocked: np.ndarray, budget: int, seed: int, cycle: int
) -> list[int]:
    """Seeded random rows among the unblocked ones: the batch before any model exists."""
    candidates = np.flatnonzero(~blocked)
    return [int(i) for i in selection_rng(seed, cycle).permutation(candidates)[:budget]]


def build_components(
    cfg: RunConfig, registry: Registry, dataset: Any, pool: list[Sample], val: list[Sample], run: RunDir
) -> Components:
    """The model, SSL method and acquisition of a cycle, around an already opened dataset."""
    acquisition = require(registry, "acquisition", cfg.acq).build(cfg.acq_options)
    ssl = require(registry, "ssl", cfg.ssl).build(cfg.ssl_options)
    quantities = {r.name: r.factory for r in registry.all("quantity")}
    model = require(registry, "model", cfg.model).build(
        cfg.model_options, info=dataset.info, quantities=quantities, seed=cfg.seed
    )
    return Components(
        dataset=dataset,
        model=model,
        acquisition=acquisition,
        acq_name=cfg.acq,
        ssl=ssl,
        hooks=registry.pm.hook,
        scorer=make_scorer(run),
        pool=pool,
        val=val,
    )


def scalar_scores(c: Components, fingerprint: str, chosen: Sequence[Sample]) -> list[dict]:
    """Per-sample scalar quantities the acquisition ranked by (a cache read, not a new pass)."""
    names = [q for q in c.acquisition.requires if q not in POOL_QUANTITIES]
    if not names or not chosen:
        return [{} for _ in chosen]
    values = c.scorer(c.model, fingerprint, list(chosen), names, lambda done, total: None)
    scalar = {k: np.asarray(v).reshape(len(chosen), -1) for k, v in values.items()}
    scalar = {k: v[:, 0] for k, v in scalar.items() if v.shape[1] == 1}
    return [{k: round(float(v[i]), 6) for k, v in scalar.items()} for i in range(len(chosen))]


def select(
    out: Path,
    settings: dict[str, Any],
    initial_labels: Path | None = None,
    reporter: Reporter | None = None,
    registry: Registry | None = None,
) -> Batch:
    """Run one production cycle in ``out`` (created on first use) and return the selected batch."""
    reporter = reporter or Reporter()
    run = RunDir(out)
    cfg, fresh = open_run(run, settings)
    registry = registry or get_registry()
    try:
        dataset = require(registry, "dataset", cfg.dataset).build(cfg.dataset_options)
        pool, val = list(dataset.pool()), list(dataset.val())
        given = given_labels(pool, initial_labels, dataset.info) if initial_labels is not None else []
        if fresh:
            state = init_state(pool)
            run.create(cfg)
            info = dataset.info
            write_json(
                run.root / "dataset.json",
                {"classes": info.classes, "palette": info.palette, "ignore_index": info.ignore_index},
            )
            state.save(run.state)
        else:
            state = PoolState.load(run.state)
            state.check_pool(pool, run.state)
        dirs = AnnotationDirs(run)
        last = latest_batch(dirs)
        cycle = 0 if last is None else last + 1
        if given:
            source = f"import:png:{Path(initial_labels).absolute()}"
            commit(dirs, state, given, cycle, "given", source)
            reporter.info(f"added {len(given)} labels from {initial_labels}")
        records = load_exports(dirs)
        refresh_all(dirs, records, state)
        return run_cycle(
            run, cycle, cfg, registry, dataset, pool, val, state, pending_ids(records, state), reporter
        )
    finally:
        run.unlock()


def run_cycle(
    run: RunDir,
    cycle: int,
    cfg: RunConfig,
    registry: Registry,
    dataset: Any,
    pool: list[Sample],
    val: list[Sample],
    state: PoolState,
    pending: list[str],
    reporter: Reporter,
) -> Batch:
    """Train (when anything is labeled), score, select and write one cycle's batch."""
    t0 = time.time()
    dirs = AnnotationDirs(run)
    labeled_ids = state.labeled_ids
    plan_state = PoolState(
        state.digest,
        state.size,
        state.labeled + [LabelRecord(i, cycle, "pending", "open export") for i in pending],
    )
    blocked = plan_state.mask(pool)
    if blocked.all():
        raise StateError("every pool sample is labeled or out for annotation in an open export")
    budget = min(cfg.budget, int((~blocked).sum()))
    start_cycle(
        run,
        cycle,
        {
            "labeled": labeled_ids,
            "pending": pending,
            "acq": cfg.acq,
            "acq_options": cfg.acq_options,
            "budget": budget,
        },
    )
    record: dict[str, Any] = {
        "cycle": cycle,
        "labeled": len(labeled_ids),
        "trained_on": labeled_ids,
        "excluded_pending": len(pending),
    }
    if not labeled_ids:
        strategy = "random"
        chosen = [pool[i] for i in random_batch(pool, blocked, budget, cfg.seed, cycle)]
        scores, predictions, fingerprint = [{} for _ in chosen], [None] * len(chosen), None
        write_json(run.cycle(cycle) / "selection.json", {"strategy": strategy, "ids": [s.id for s in chosen]})
        reporter.info(f"cycle {cycle}: nothing labeled yet; {len(chosen)} samples drawn at random")
    else:
        strategy = cfg.acq
        c = build_components(cfg, registry, dataset, with_labels(pool, state, dirs), val, run)
        checkpoint = train_phase(run, cycle, state, c, reporter)
        fingerprint = file_sha256(checkpoint)
        if val:
            record["metrics"] = evaluate_phase(run, cycle, c, reporter)
        cfg_cycle = dataclasses.replace(cfg, budget=budget)
        selection = select_phase(run, cycle, plan_state, cfg_cycle, c, fingerprint, reporter)
        by_id = {s.id: s for s in pool}
        chosen = [by_id[i] for i in selection["ids"]]
        scores = scalar_scores(c, fingerprint, chosen)
        predictions = []
        for sample, pred in zip(chosen, c.model.predict(chosen)):
            write_png(dirs.prediction(cycle, sample.id), pred)
            predictions.append(dirs.prediction(cycle, sample.id).relative_to(run.root).as_posix())
        reporter.info(
            f"cycle {cycle}: trained on {len(labeled_ids)}, selected {len(chosen)} by "
            f"'{strategy}'" + (f", {len(pending)} out for annotation excluded" if pending else "")
        )
    items = [
        BatchItem(
            id=s.id,
            name=file_name(s.id),
            image=str(Path(s.image).absolute()),
            group=s.group,
            frame=s.frame,
            rank=r,
            scores=sc,
            prediction=p,
        )
        for r, (s, sc, p) in enumerate(zip(chosen, scores, predictions))
    ]
    batch = Batch(cycle=cycle, strategy=strategy, model=fingerprint, created=now(), items=items)
    record.update(
        {
            "fingerprint": fingerprint,
            "selection": {"strategy": strategy, "ids": [i.id for i in items]},
            "seconds": round(time.time() - t0, 1),
        }
    )
    write_json(run.cycle(cycle) / "record.json", record)
    batch.save(dirs.batch(cycle))
    return batch
