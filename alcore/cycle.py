"""The cycle kernel: one place performs a cycle's phases in a run directory.

::

    checkpoint = train(labeled, unlabeled, ssl)        -> cycles/c/checkpoint.pth
    metrics    = evaluate(val)                         -> cycles/c/metrics.json
    selection  = select(pool, labeled, budget)         -> cycles/c/selection.json (+ examples.json)
    oracle.label(selection)                            ground truth now, or annotators later
    finish(record)                                     -> cycles/c/record.json, then on_cycle_end

Each phase first looks for its file, so a killed cycle resumes at the phase it was in. Drivers
(``alcore run``, ``alcore select``, the bench) decide which cycles to run and with what budget;
they never re-assemble the phases.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from alcore.cache import FeatureCache
from alcore.diagnostics import EXAMPLES_LIMIT, example_entries
from alcore.distributed import barrier, is_main, on_main, score_shards, world_size
from alcore.plugins import fire_cycle_end
from alcore.pool import PoolState
from alcore.progress import Reporter
from alcore.rundir import RunDir
from alcore.runfiles import (
    check_metrics,
    check_record,
    check_selection,
    notices,
    read_checked,
    read_derived,
)
from alcore.sdk import faults
from alcore.sdk.atomic import file_sha256, write_json, write_with
from alcore.sdk.dataset import Dataset, Sample
from alcore.sdk.errors import AlcoreError, StateError
from alcore.sdk.limits import env_number
from alcore.selection import Selection, needed_quantities, select_batch

log = logging.getLogger("alcore")


@dataclass
class Components:
    """The plugins a run is made of, already built from their registrations."""

    dataset: Dataset
    model: Any
    acquisition: Any
    acq_name: str
    ssl: Any
    hooks: Any
    pool: list[Sample] = field(default_factory=list)
    val: list[Sample] = field(default_factory=list)


class Oracle(Protocol):
    """Who labels a selected batch: ground truth at once (benchmarks), or annotators later."""

    #: how many of the batch's first picks need the model's prediction (pre-annotations, examples)
    def predictions_needed(self, batch: int) -> int: ...

    def label(self, cycle: int, selection: Selection, pool: Sequence[Sample],
              predictions: list[np.ndarray | None]) -> None: ...


class GroundTruthOracle:
    """The benchmark oracle: labels exist, so labeling is recording (idempotent on resume)."""

    def __init__(self, run: RunDir, state: PoolState) -> None:
        self.run = run
        self.state = state

    def predictions_needed(self, batch: int) -> int:
        return 0

    def label(self, cycle: int, selection: Selection, pool: Sequence[Sample],
              predictions: list[np.ndarray | None]) -> None:
        already = {r.id for r in self.state.labeled if r.cycle == cycle + 1}
        if already and already != set(selection.ids):
            raise StateError(
                f"{self.run.state} holds other labels for cycle {cycle} than "
                f"{self.run.selection(cycle)} picks",
                hint="restore both from the same backup",
            )
        done = set(self.state.labeled_ids)
        new = [i for i in selection.ids if i not in done]
        if new:
            self.state.add(new, cycle=cycle + 1, strategy=selection.strategy)
            if is_main():
                self.state.save(self.run.state)


def stream_bytes() -> int:
    """Quantities larger than this many bytes are read from the cache in blocks, not loaded whole."""
    return int(env_number("ALCORE_STREAM_MB", 1024) * (1 << 20))


def split(pool: Sequence[Sample], state: PoolState) -> tuple[list[Sample], list[Sample]]:
    """The pool's labeled and unlabeled samples, each in pool order."""
    mask = state.mask(pool)
    return [s for s, m in zip(pool, mask) if m], [s for s, m in zip(pool, mask) if not m]


class CycleKernel:
    """Performs train, evaluate, select and label for one cycle at a time in one run directory."""

    def __init__(self, run: RunDir, components: Components, reporter: Reporter, seed: int) -> None:
        self.run = run
        self.c = components
        self.reporter = reporter
        self.seed = seed
        self.cache = FeatureCache(run.cache)

    # ------------------------------------------------------------------ phases
    def train(self, cycle: int, state: PoolState) -> Path:
        """Train on the labeled set (or load this cycle's checkpoint where it exists)."""
        ckpt = self.run.checkpoint(cycle)
        if ckpt.is_file():
            try:
                self.c.model.load(ckpt)
                return ckpt
            except (AlcoreError, KeyboardInterrupt):
                raise
            except Exception as exc:  # this unfinished cycle's checkpoint is derived: train it again
                notices(self.reporter)(f"notice: {ckpt} cannot be loaded ({type(exc).__name__}: "
                                   f"{_first_line(exc)}); training cycle {cycle} again")
                if is_main():
                    ckpt.unlink()
                barrier()
        previous = self.run.checkpoint(cycle - 1)
        if cycle > 0:
            self._check_previous(cycle - 1, previous)
        if cycle > 0 and previous.is_file() and getattr(self.c.model, "checkpoint", None) != previous:
            self.c.model.load(previous)  # a resumed run skipped that cycle; warm start needs its weights
        labeled, unlabeled = split(self.c.pool, state)
        with self.reporter.task(f"cycle {cycle}: train on {len(labeled)}") as progress:
            trained = self.c.model.train(labeled, unlabeled, cycle, self.run.cycle(cycle), ssl=self.c.ssl,
                                         progress=progress)
        if world_size() > 1:  # every rank scores with exactly the weights rank 0 wrote
            self.c.model.load(trained)
        return trained

    def evaluate(self, cycle: int) -> dict:
        """Evaluate on the validation split (rank 0; every rank returns the metrics)."""
        return on_main(self.run.metrics(cycle), lambda: self._evaluate(cycle))

    def _evaluate(self, cycle: int) -> dict:
        path = self.run.metrics(cycle)
        done = read_derived(path, check_metrics, notices(self.reporter))
        if done is not None:
            return done
        with self.reporter.task(f"cycle {cycle}: evaluate", len(self.c.val)) as progress:
            metrics = self.c.model.evaluate(self.c.val, progress)
        faults.point("evaluate")
        extra = getattr(self.c.model, "last_train_stats", None)
        if extra:
            metrics["train"] = extra
        write_json(path, metrics)
        return metrics

    @contextlib.contextmanager
    def quantities(self, cycle: int, fingerprint: str, names: list[str]) -> Iterator[dict[str, Any]]:
        """One model pass over the pool for ``names``, through the run's HDF5 cache.

        Quantities larger than ``ALCORE_STREAM_MB`` (default 1024) stay on disk: the strategy gets
        the HDF5 dataset, readable in blocks, while the ``with`` block lasts.
        """
        pool = self.c.pool
        ids = [s.id for s in pool]

        def compute(rows: list[int], wanted: list[str], progress: Any) -> dict:
            return self.c.model.compute([pool[i] for i in rows], wanted, progress)

        with self.reporter.task(f"cycle {cycle}: score pool", len(pool)) as progress:
            self.cache.fetch(fingerprint, ids, names, compute, progress, load=False)
        with self.cache.stream(fingerprint, ids, names, compute, max_bytes=stream_bytes()) as values:
            yield values

    def select(self, cycle: int, labeled: np.ndarray, budget: int, fingerprint: str | None,
               oracle: Oracle, blocked: np.ndarray | None = None,
               acquisition: Any = None, acq_name: str | None = None) -> dict:
        """Pick the batch, keep its examples and hand it to ``oracle``; returns the selection record.

        A finished selection (``selection.json``) is read back and handed to the oracle again
        (labeling is idempotent), so a cycle killed after selecting resumes without reselecting.
        The model predicts the batch once, for both the report's examples and the oracle.
        """
        acquisition = acquisition or self.c.acquisition
        acq_name = acq_name or self.c.acq_name
        path = self.run.selection(cycle)
        if is_main():  # a damaged selection of an unfinished cycle is picked again
            read_derived(path, check_selection, notices(self.reporter))
        barrier()
        exists = path.is_file()
        if world_size() > 1 and not exists and fingerprint is not None:
            self._score_shards(cycle, fingerprint, acquisition)
        barrier()
        predictions: list[np.ndarray | None] = []
        if exists or not is_main():
            if not exists:
                barrier()  # rank 0 writes the selection first
            record = read_checked(path, check_selection)
            selection = Selection(record["ids"], record.get("indices", []), record["strategy"],
                                  diagnostics=record.get("diagnostics"), note=record.get("note"))
            if is_main():
                need = oracle.predictions_needed(len(selection.ids))
                predictions = self._predict(self._chosen(selection)[:need], fingerprint)
        else:
            with contextlib.ExitStack() as stack:
                source = (lambda names: stack.enter_context(self.quantities(cycle, fingerprint, names))
                          ) if fingerprint else None
                selection = select_batch(acquisition, acq_name, self.c.pool, labeled, budget, self.seed,
                                         cycle, source, blocked)
                record = selection.record()
                selection.quantities = {}
            if len(selection.ids) < budget:
                left = len(selection.ids)
                self.reporter.info(f"  only {left} unlabeled samples left; selecting all of them")
            chosen = self._chosen(selection)
            need = max(oracle.predictions_needed(len(chosen)), min(len(chosen), EXAMPLES_LIMIT))
            predictions = self._predict(chosen[:need], fingerprint)
            self._write_examples(cycle, chosen, predictions)
            faults.point("select")
            write_json(path, record)
            barrier()
        oracle.label(cycle, selection, self.c.pool, predictions)
        return record

    def finish(self, cycle: int, record: dict) -> None:
        """Write the cycle's record (its commit point) and tell every ``on_cycle_end`` observer."""
        if is_main():
            write_json(self.run.record(cycle), record)
            fire_cycle_end(self.c.hooks, self.run.root, cycle, record)

    # ------------------------------------------------------------------ helpers
    def _check_previous(self, cycle: int, checkpoint: Path) -> None:
        """A finished cycle's checkpoint must be the one its record names: the next cycle starts from it."""
        if not is_main() or not self.run.record(cycle).is_file():
            return
        try:
            want = read_checked(self.run.record(cycle), check_record).get("fingerprint")
        except StateError:
            return  # the driver recomputes a damaged record before it gets here
        if not want:
            return
        if not checkpoint.is_file():
            raise StateError(f"{checkpoint} is missing; cycle {cycle + 1} starts from it",
                             hint=f"restore it from a backup (sha256 {want[:16]}...), or delete "
                                  f"{self.run.cycle(cycle)} to retrain that cycle (it must pick the same)")
        if file_sha256(checkpoint) != want:
            raise StateError(f"{checkpoint} is not the checkpoint {self.run.record(cycle)} records",
                             hint=f"restore the original from a backup, or delete {self.run.cycle(cycle)} "
                                  "to retrain that cycle (it must pick the same)")

    def _chosen(self, selection: Selection) -> list[Sample]:
        by_id = {s.id: s for s in self.c.pool}
        missing = next((i for i in selection.ids if i not in by_id), None)
        if missing is not None:
            raise StateError(f"selection names sample '{missing}', which is not in the pool")
        return [by_id[i] for i in selection.ids]

    def _predict(self, samples: Sequence[Sample], fingerprint: str | None) -> list[np.ndarray | None]:
        """The model's class maps for ``samples`` (None where no model is trained or can predict)."""
        predict = getattr(self.c.model, "predict", None)
        if not samples or predict is None or fingerprint is None:
            return [None] * len(samples)
        return list(predict(list(samples)))

    def _write_examples(self, cycle: int, chosen: Sequence[Sample], predictions: list) -> None:
        """Keep the batch's first samples with the model's predictions, for the report to show."""
        written = {}
        for i, (s, pred) in enumerate(zip(chosen[:EXAMPLES_LIMIT], predictions)):
            if pred is not None:
                written[s.id] = self.run.cycle(cycle) / "examples" / f"{i:02d}.png"
                write_png(written[s.id], pred)
        write_json(self.run.examples(cycle), example_entries(chosen, written))

    def _score_shards(self, cycle: int, fingerprint: str, acquisition: Any) -> None:
        """Under a multi-process launch, every rank scores its shard of the pool into the run's cache."""
        _, names = needed_quantities(acquisition)
        if not names:
            return
        with self.reporter.task(f"cycle {cycle}: score pool (sharded)", len(self.c.pool)) as progress:
            score_shards(self.run.cache, self.c.model, fingerprint, self.c.pool, names, progress)

    def fingerprint(self, checkpoint: Path) -> str:
        """The model fingerprint: the checkpoint file's hash."""
        return file_sha256(checkpoint)


def write_png(path: Path, array: np.ndarray) -> None:
    """Atomically write a uint8 array as PNG."""
    import cv2

    ok, buf = cv2.imencode(".png", np.asarray(array, dtype=np.uint8))
    if not ok:
        raise StateError(f"could not encode {path}")
    write_with(path, lambda fh: fh.write(buf.tobytes()), mode="wb")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]
