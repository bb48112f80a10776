"""Run a benchmark grid: shared cycle-0 training, resumable cells, optional worker processes.

::

    BENCH_DIR/
      bench.json                 the grid
      levels.json                pool size and measured redundancy of each level
      shared/<share>/            cycle 0 of one (level, budget, ssl, seed), trained once
      reference/<level>-s<seed>/ full supervision (whole pool labeled), trained once per level/seed
      cells/<cell>/              one run directory per cell; finished when results.json exists
      report/                    bench.md, summary.json, guide.png, report.html (learning curves)
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alcore.bench.grid import Cell, Grid, reference_config, references, same_training, share_config, shares
from alcore.config import RunConfig
from alcore.experiment import Experiment, build_components
from alcore.plugins import Registry, get_registry, require
from alcore.progress import Reporter
from alcore.rundir import RunDir
from alcore.sdk.atomic import read_json, write_json, write_text
from alcore.sdk.errors import AlcoreError, StateError


#: files of cycle 0 every strategy of a share starts from (selection.json is strategy-specific)
def shared_files(run: RunDir) -> list[Path]:
    """The files of cycle 0 every strategy of a share starts from (selection.json is strategy-specific)."""
    return [run.checkpoint(0), run.metrics(0), run.state, run.dataset]


def limit_threads() -> None:
    """One torch/BLAS thread per process: parallel cells on few cores otherwise contend badly."""
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def shared_done(share_dir: Path) -> bool:
    """Whether a share's cycle 0 is trained and evaluated."""
    return all(f.is_file() for f in shared_files(RunDir(share_dir)))


def run_share(
    cfg: RunConfig,
    share_dir: Path,
    registry: Registry | None = None,
    reporter: Reporter | None = None,
    acqs: Sequence[tuple[str, dict]] = (),
) -> None:
    """Train and evaluate cycle 0 once for a share (continuing a share that was interrupted).

    ``acqs``: the (name, options) of the share's strategies; the pool is then scored once for
    all of them, and each cell starts with that cache instead of its own pass over the pool.
    """
    from alcore.cycle import CycleKernel
    from alcore.loop import load_or_init_state

    if shared_done(share_dir):
        return
    registry = registry or get_registry()
    reporter = reporter or Reporter(quiet=True)
    rd = RunDir(share_dir)
    if rd.is_run():
        if not same_training(rd.open(), cfg):
            raise StateError(f"{share_dir} was trained with other settings; use another --out")
    else:
        rd.check_new()
    try:
        c = build_components(cfg, registry, reporter)
        if not rd.is_run():
            rd.create(cfg)
        rd.write_dataset_info(c.dataset.info)
        kernel = CycleKernel(rd, c, reporter, cfg.seed)
        kernel.train(0, load_or_init_state(rd, cfg, c.pool))
        kernel.evaluate(0)
        names = share_quantities(acqs, registry)
        if names:
            with kernel.quantities(0, kernel.fingerprint(rd.checkpoint(0)), names):
                pass
    finally:
        rd.unlock()


def share_quantities(acqs: Sequence[tuple[str, dict]], registry: Registry) -> list[str]:
    """The model quantities any of ``acqs`` reads at a selection (one pass computes them all)."""
    from alcore.selection import needed_quantities

    names: set[str] = set()
    for name, options in acqs:
        names.update(needed_quantities(require(registry, "acquisition", name).build(options))[1])
    return sorted(names)


def prepare_cell(cell: Cell, cell_dir: Path, share_dir: Path) -> None:
    """Create a cell's run directory from its share's cycle 0, atomically (all files or none)."""
    run = RunDir(cell_dir)
    if run.is_run():
        if run.read_config().to_dict() != cell.config.to_dict():
            raise StateError(f"{cell_dir} holds a run with other settings; use another --out")
        return
    tmp = RunDir(cell_dir.with_name(cell_dir.name + ".tmp"))
    shutil.rmtree(tmp.root, ignore_errors=True)
    tmp.cycle(0).mkdir(parents=True)
    write_text(tmp.config, yaml.safe_dump(cell.config.to_dict(), sort_keys=False))
    share = RunDir(share_dir)
    for src, dst in zip(shared_files(share), shared_files(tmp)):
        shutil.copyfile(src, dst)
    if share.cache.is_file():  # the pool scored once for the share's strategies
        shutil.copyfile(share.cache, tmp.cache)
    os.replace(tmp.root, cell_dir)


def run_cell(
    cell: Cell,
    cell_dir: Path,
    share_dir: Path,
    registry: Registry | None = None,
    reporter: Reporter | None = None,
) -> dict:
    """Run one cell to the end from its share's cycle 0; a finished cell is read, not rerun."""
    if (cell_dir / "results.json").is_file():
        return read_json(cell_dir / "results.json")
    prepare_cell(cell, cell_dir, share_dir)
    exp = Experiment.resume(cell_dir, registry=registry, reporter=reporter or Reporter(quiet=True))
    return exp.run()


def _worker_init() -> None:
    limit_threads()


def _share_task(cfg: RunConfig, share_dir: str, acqs: Sequence[tuple[str, dict]] = ()) -> float:
    t0 = time.time()
    run_share(cfg, Path(share_dir), acqs=acqs)
    return time.time() - t0


def _strategies(members: list[Cell]) -> list[tuple[str, dict]]:
    return [(c.config.acq, dict(c.config.acq_options)) for c in members]


def _cell_task(cell: Cell, cell_dir: str, share_dir: str) -> tuple[dict, float]:
    t0 = time.time()
    return run_cell(cell, Path(cell_dir), Path(share_dir)), time.time() - t0


@dataclass
class Bench:
    """A grid bound to a bench directory: ``Bench(root, grid).run(jobs)`` runs what is left."""

    root: Path
    grid: Grid
    registry: Registry | None = None
    reporter: Reporter = field(default_factory=Reporter)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.registry = self.registry or get_registry()

    def cell_dir(self, cell: Cell) -> Path:
        return self.root / "cells" / cell.name

    def share_dir(self, cell: Cell) -> Path:
        return self.root / "shared" / cell.share

    def check_names(self) -> None:
        """Resolve every plugin name before any work, so a typo fails in a second, not an hour."""
        for level in self.grid.levels:
            require(self.registry, "dataset", level.dataset)
        require(self.registry, "model", self.grid.model)
        for name in self.grid.ssls:
            require(self.registry, "ssl", name)
        for name in self.grid.acqs:
            require(self.registry, "acquisition", name)

    def levels(self) -> dict[str, dict[str, Any]]:
        """Pool size and redundancy of each level (datasets are generated here, once, if needed)."""
        from alcore.datatools import measure_redundancy

        path = self.root / "levels.json"
        known = read_json(path) if path.is_file() else {}
        out = {}
        for level in self.grid.levels:
            entry = known.get(level.name)
            if entry and entry.get("options") == level.options and entry.get("dataset") == level.dataset:
                out[level.name] = entry
                continue
            self.reporter.info(f"level '{level.name}': opening {level.dataset} {level.options}")
            ds = require(self.registry, "dataset", level.dataset).build(level.options)
            pool = list(ds.pool())
            out[level.name] = {
                "dataset": level.dataset,
                "options": level.options,
                "pool": len(pool),
                "redundancy": measure_redundancy(ds),
            }
        write_json(path, out)
        return out

    def cells(self) -> list[Cell]:
        """The grid's cells for the measured pool sizes."""
        levels = self.levels()
        return self.grid.cells({name: entry["pool"] for name, entry in levels.items()})

    def run(self, jobs: int = 1) -> dict:
        """Run every unfinished cell (``jobs`` worker processes) and write the report."""
        self.check_names()
        self.root.mkdir(parents=True, exist_ok=True)
        write_json(self.root / "bench.json", self.grid.to_dict())
        cells = self.cells()
        todo = [c for c in cells if not (self.cell_dir(c) / "results.json").is_file()]
        self.reporter.info(
            f"bench {self.root}: {len(cells)} cells, {len(cells) - len(todo)} "
            f"finished, {len(todo)} to run with {jobs} job(s)"
        )
        t0 = time.time()
        refs = self.missing_references(cells)
        failures = (self._run_serial if jobs <= 1 else self._run_parallel)(todo, jobs, refs)
        wall = time.time() - t0
        timing = self.root / "timing.json"
        spent = (read_json(timing) if timing.is_file() else {}).get("seconds", 0.0)
        write_json(
            timing, {"seconds": round(spent + wall, 1), "last_run_seconds": round(wall, 1), "jobs": jobs}
        )
        from alcore.bench.report import write_bench_report

        report = write_bench_report(self.root, self.grid, cells, self.reporter)
        if failures:
            first = next(iter(failures.items()))
            raise AlcoreError(
                f"{len(failures)} cell(s) failed, e.g. {first[0]}: {first[1]}; "
                f"rerun the same command to retry them (report: {report['md']})"
            )
        return report

    def missing_references(self, cells: list[Cell]) -> dict[str, RunConfig]:
        """Reference runs still to train: directory name -> configuration (none if disabled)."""
        if not self.grid.reference:
            return {}
        pools = {name: entry["pool"] for name, entry in self.levels().items()}
        return {
            name: reference_config(cell, pools[cell.level])
            for name, cell in references(cells, self.grid.reference_seeds).items()
            if not shared_done(self.root / "reference" / name)
        }

    def _progress(
        self,
        done: int,
        total: int,
        name: str,
        result: dict | None,
        seconds: float,
        failures: dict[str, str] | None = None,
    ) -> None:
        if result:
            what = f"final mIoU {result['final']['mIoU']:.2f}"
        else:
            what = f"failed: {(failures or {}).get(name, 'unknown error')}"
        self.reporter.info(f"[{done}/{total}] {name}: {what} ({seconds:.0f}s)")

    def _run_serial(self, todo: list[Cell], jobs: int, refs: dict[str, RunConfig]) -> dict[str, str]:
        failures: dict[str, str] = {}
        groups = shares(todo)
        for name, cfg in refs.items():
            t0 = time.time()
            try:
                run_share(cfg, self.root / "reference" / name, self.registry)
                self.reporter.info(f"reference {name} ready ({time.time() - t0:.0f}s)")
            except Exception as exc:  # the reference only adds percentages; cells go on without it
                self.reporter.info(f"reference {name} failed: {exc}")
        for i, cell in enumerate(todo, 1):
            t0 = time.time()
            try:
                if not RunDir(self.cell_dir(cell)).is_run():
                    acqs = _strategies(groups[cell.share])
                    run_share(share_config(cell), self.share_dir(cell), self.registry, acqs=acqs)
                result = run_cell(cell, self.cell_dir(cell), self.share_dir(cell), self.registry)
            except Exception as exc:  # one failing cell must not stop the others
                failures[cell.name] = (
                    str(exc) if isinstance(exc, AlcoreError) else (f"{type(exc).__name__}: {exc}")
                )
                result = None
            self._progress(i, len(todo), cell.name, result, time.time() - t0, failures)
        return failures

    def _run_parallel(self, todo: list[Cell], jobs: int, refs: dict[str, RunConfig]) -> dict[str, str]:
        limit_threads()
        failures: dict[str, str] = {}
        groups = shares(todo)
        done = 0
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init) as ex:
            pending: dict[Future, tuple[str, Any]] = {}

            def submit_cells(members: list[Cell]) -> None:
                for cell in members:
                    fut = ex.submit(_cell_task, cell, str(self.cell_dir(cell)), str(self.share_dir(cell)))
                    pending[fut] = ("cell", cell)

            for key, members in groups.items():
                first = members[0]
                if all(RunDir(self.cell_dir(c)).is_run() for c in members):
                    submit_cells(members)
                else:
                    fut = ex.submit(
                        _share_task, share_config(first), str(self.share_dir(first)), _strategies(members)
                    )
                    pending[fut] = ("share", key)
            for name, cfg in refs.items():
                fut = ex.submit(_share_task, cfg, str(self.root / "reference" / name))
                pending[fut] = ("reference", name)
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    kind, what = pending.pop(fut)
                    try:
                        value = fut.result()
                    except Exception as exc:  # one failing cell must not stop the others
                        value, error = None, f"{type(exc).__name__}: {exc}"
                    else:
                        error = None
                    if kind == "reference":
                        self.reporter.info(f"reference {what} " + (f"failed: {error}" if error else "ready"))
                        continue
                    if kind == "share":
                        if error:
                            for cell in groups[what]:
                                failures[cell.name] = f"cycle 0 failed: {error}"
                                done += 1
                                self._progress(done, len(todo), cell.name, None, 0.0, failures)
                        else:
                            self.reporter.info(f"cycle 0 of {what} ready ({value:.0f}s)")
                            submit_cells(groups[what])
                        continue
                    done += 1
                    if error:
                        failures[what.name] = error
                    self._progress(
                        done,
                        len(todo),
                        what.name,
                        value[0] if value else None,
                        value[1] if value else 0.0,
                        failures,
                    )
        return failures
