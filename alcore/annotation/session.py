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
from alcore.annotation.reconcile import reconcile
from alcore.annotation.records import load_exports, now, pending_ids, refresh_all
from alcore.config import RunConfig, resolve
from alcore.cycle import Components, CycleKernel, write_png
from alcore.plugins import Registry, check_options, get_registry, require
from alcore.pool import PoolState
from alcore.progress import Reporter
from alcore.rundir import RunDir
from alcore.runfiles import notices
from alcore.sdk.atomic import read_json, write_json
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import ConfigError, CorruptFileError, StateError
from alcore.selection import Selection

#: settings fixed when a production run is created; later cycles may change only the others
FIXED = ("config", "dataset", "dataset_options", "model", "model_options", "ssl", "ssl_options")
PER_CYCLE = ("acq", "acq_options", "budget")


def open_run(run: RunDir, settings: dict[str, Any]) -> tuple[RunConfig, bool]:
    """The run's config (created from ``settings`` when new) with this cycle's overrides applied."""
    if not run.is_run():
        if not run.config.is_file() and (run.state.is_file() or run.cycles.is_dir()):
            raise StateError(f"{run.config} is missing, but {run.root} holds a production run's files",
                             hint="config.yaml records how the run was made; restore it from a backup")
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


def check_settings(run: RunDir, cfg: RunConfig, registry: Registry, fresh: bool) -> None:
    """Every plugin and option of the run checked before any work; a fixed one failing names config.yaml."""
    sets = cfg.option_sets()
    if fresh:
        check_options(registry, sets)
        return
    check_options(registry, [s for s in sets if s[0] == "acquisition"])  # may change per cycle
    try:
        check_options(registry, [s for s in sets if s[0] != "acquisition"])
    except ConfigError as exc:
        raise StateError(f"{run.config}: {exc}", hint="config.yaml records how the run was made; "
                         "restore it from a backup") from None


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
    try:
        stale = path.is_file() and read_json(path) != plan
    except CorruptFileError:
        stale = True  # an unfinished cycle's plan: its leftovers are redone
    if stale:
        shutil.rmtree(run.cycle(cycle))
    write_json(path, plan)


class AnnotatorOracle:
    """The production oracle: the batch goes to people, with the model's predictions as pre-annotations."""

    def __init__(self, run: RunDir) -> None:
        self.dirs = AnnotationDirs(run)
        self.run = run
        self.predictions: list[str | None] = []

    def predictions_needed(self, batch: int) -> int:
        return batch

    def label(self, cycle: int, selection: Selection, pool: Sequence[Sample], predictions: list) -> None:
        """Write each pick's predicted class map; labels arrive later through ``alcore import``."""
        self.predictions = []
        for sample_id, pred in zip(selection.ids, predictions):
            if pred is None:
                self.predictions.append(None)
                continue
            path = self.dirs.prediction(cycle, sample_id)
            write_png(path, pred)
            self.predictions.append(path.relative_to(self.run.root).as_posix())
        self.predictions += [None] * (len(selection.ids) - len(self.predictions))


def build_components(
    cfg: RunConfig, registry: Registry, dataset: Any, pool: list[Sample], val: list[Sample], trained: bool
) -> Components:
    """The cycle's plugins around an opened dataset; with nothing labeled yet, random picks and no model."""
    if not trained:
        random = require(registry, "acquisition", "random").build()
        return Components(dataset=dataset, model=None, acquisition=random, acq_name="random", ssl=None,
                          hooks=registry.pm.hook, pool=pool, val=val)
    acquisition = require(registry, "acquisition", cfg.acq).build(cfg.acq_options)
    ssl = require(registry, "ssl", cfg.ssl).build(cfg.ssl_options)
    quantities = {r.name: r.factory for r in registry.all("quantity")}
    model = require(registry, "model", cfg.model).build(
        cfg.model_options, info=dataset.info, quantities=quantities, seed=cfg.seed
    )
    return Components(dataset=dataset, model=model, acquisition=acquisition, acq_name=cfg.acq, ssl=ssl,
                      hooks=registry.pm.hook, pool=pool, val=val)


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
    check_settings(run, cfg, registry, fresh)
    try:
        dataset = require(registry, "dataset", cfg.dataset).build(cfg.dataset_options)
        pool, val = list(dataset.pool()), list(dataset.val())
        given = given_labels(pool, initial_labels, dataset.info) if initial_labels is not None else []
        if fresh:
            state = init_state(pool)
            run.create(cfg)
            run.write_dataset_info(dataset.info)
            state.save(run.state)
        dirs = AnnotationDirs(run)
        if not fresh:
            state = PoolState.load(run.state)
            state.check_pool(pool, run.state)
            reconcile(dirs, state, pool, notices(reporter))  # before anything is written
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
    """Train (when anything is labeled), score, select and write one cycle's batch, through the kernel."""
    t0 = time.time()
    dirs = AnnotationDirs(run)
    labeled_ids = state.labeled_ids
    labeled = state.mask(pool)
    out = set(pending)
    blocked = np.fromiter((s.id in out for s in pool), dtype=bool, count=len(pool))
    if (labeled | blocked).all():
        raise StateError("every pool sample is labeled or out for annotation in an open export")
    budget = min(cfg.budget, int((~(labeled | blocked)).sum()))
    plan = {"labeled": labeled_ids, "pending": pending, "acq": cfg.acq, "acq_options": cfg.acq_options,
            "budget": budget}
    start_cycle(run, cycle, plan)
    record: dict[str, Any] = {
        "cycle": cycle,
        "labeled": len(labeled_ids),
        "trained_on": labeled_ids,
        "excluded_pending": len(pending),
    }
    c = build_components(cfg, registry, dataset, with_labels(pool, state, dirs), val, bool(labeled_ids))
    kernel = CycleKernel(run, c, reporter, cfg.seed)
    fingerprint = None
    if labeled_ids:
        fingerprint = kernel.fingerprint(kernel.train(cycle, state))
        if val:
            record["metrics"] = kernel.evaluate(cycle)
    oracle = AnnotatorOracle(run)
    selection = kernel.select(cycle, labeled, budget, fingerprint, oracle, blocked=blocked)
    if labeled_ids:
        reporter.info(
            f"cycle {cycle}: trained on {len(labeled_ids)}, selected {len(selection['ids'])} by "
            f"'{c.acq_name}'" + (f", {len(pending)} out for annotation excluded" if pending else "")
        )
    else:
        reporter.info(f"cycle {cycle}: nothing labeled yet; {len(selection['ids'])} samples drawn at random")
    by_id = {s.id: s for s in pool}
    scores = selection.get("scores") or [{} for _ in selection["ids"]]
    items = [
        BatchItem(
            id=i,
            name=file_name(i),
            image=str(Path(by_id[i].image).absolute()),
            group=by_id[i].group,
            frame=by_id[i].frame,
            rank=r,
            scores=sc,
            prediction=p,
        )
        for r, (i, sc, p) in enumerate(zip(selection["ids"], scores, oracle.predictions))
    ]
    batch = Batch(cycle=cycle, strategy=c.acq_name, model=fingerprint, created=now(), items=items)
    record.update(
        {
            "fingerprint": fingerprint,
            "selection": {"strategy": c.acq_name, "ids": [i.id for i in items]},
            "seconds": round(time.time() - t0, 1),
        }
    )
    kernel.finish(cycle, record)
    batch.save(dirs.batch(cycle))
    return batch
