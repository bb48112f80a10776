"""Build an experiment's plugins from a config and run it in a run directory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alcore import distributed as dist
from alcore.config import RunConfig
from alcore.cycle import Components
from alcore.loop import run_cycles
from alcore.plugins import Registry, check_options, get_registry, require
from alcore.progress import Reporter
from alcore.rundir import RunDir
from alcore.sdk.atomic import write_json
from alcore.sdk.errors import AlcoreError, DataError, StateError


def default_out(cfg: RunConfig) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}-{cfg.dataset}-{cfg.acq}-{cfg.ssl}-s{cfg.seed}"


def build_components(cfg: RunConfig, registry: Registry, reporter: Reporter) -> Components:
    """Resolve every name in ``cfg`` to a plugin and build it (names are checked before any work)."""
    check_options(registry, cfg.option_sets())
    regs = {
        "dataset": require(registry, "dataset", cfg.dataset),
        "model": require(registry, "model", cfg.model),
        "ssl": require(registry, "ssl", cfg.ssl),
        "acquisition": require(registry, "acquisition", cfg.acq),
    }
    acquisition = regs["acquisition"].build(cfg.acq_options)
    ssl = regs["ssl"].build(cfg.ssl_options)
    reporter.info(f"preparing dataset '{cfg.dataset}'")
    dataset = regs["dataset"].build(cfg.dataset_options)
    quantities = {r.name: r.factory for r in registry.all("quantity")}
    model = regs["model"].build(cfg.model_options, info=dataset.info, quantities=quantities,
                                seed=cfg.seed)
    pool = list(dataset.pool())
    if cfg.pool_file is not None:
        from alcore.datatools import restrict_pool

        pool = restrict_pool(pool, cfg.pool_file, dataset)
        repeated = sum(s.id.endswith("#2") for s in pool)
        note = (f" ({repeated} listed more than once, kept as repeats as the study's lists count them)"
                if repeated else "")
        reporter.info(f"pool restricted to {len(pool)} samples listed in {cfg.pool_file}{note}")
    unlabeled = next((s for s in pool if s.label is None), None)
    if unlabeled is not None:
        raise DataError(
            f"pool image {unlabeled.image} has no label; alcore run takes labels from ground "
            "truth, so every pool image needs one (for unlabeled footage use alcore select)"
        )
    return Components(
        dataset=dataset, model=model, acquisition=acquisition, acq_name=cfg.acq, ssl=ssl,
        hooks=registry.pm.hook, pool=pool, val=list(dataset.val()),
    )


class Experiment:
    """An active-learning experiment: ``Experiment(RunConfig(...), out).run()`` returns the results."""

    def __init__(self, cfg: RunConfig, out: Path | None = None, registry: Registry | None = None,
                 reporter: Reporter | None = None) -> None:
        self.cfg = cfg.validate()
        self.run_dir = RunDir(out or default_out(cfg))
        self.registry = registry or get_registry()
        self.reporter = reporter or Reporter()
        self.resuming = False

    @classmethod
    def resume(cls, run_dir: Path, registry: Registry | None = None,
               reporter: Reporter | None = None) -> Experiment:
        """Reopen a run directory to continue where it stopped."""
        rd = RunDir(run_dir)
        dist.init()
        cfg = rd.open() if dist.is_main() else rd.read_config()
        exp = cls(cfg, run_dir, registry, reporter)
        exp.run_dir = rd
        exp.resuming = True
        return exp

    def run(self) -> dict:
        """Run every remaining cycle; write and return ``results.json``."""
        run = self.run_dir
        fresh = not self.resuming
        dist.init()
        main = dist.is_main()
        if not main:
            self.reporter = Reporter(quiet=True)
        if main and fresh:
            run.check_new()
        elif main:
            run.lock()
        components = build_components(self.cfg, self.registry, self.reporter) if main else None
        dist.barrier()  # rank 0 prepared the data first; the others now reuse it
        if components is None:
            components = build_components(self.cfg, self.registry, self.reporter)
        if fresh and main:
            run.create(self.cfg)
            run.write_dataset_info(components.dataset.info)
        elif main:
            restore_dataset_info(run, components.dataset.info, self.reporter)
        self.reporter.info(
            f"run {run.root}: {len(components.pool)} pool, {len(components.val)} val samples; "
            f"acq={self.cfg.acq} ssl={self.cfg.ssl} seed={self.cfg.seed}"
        )
        try:
            records = run_cycles(run, self.cfg, components, self.reporter)
        finally:
            run.unlock()
        results = summarise(self.cfg, records)
        if main:
            write_json(run.results, results)
        return results


def restore_dataset_info(run: RunDir, info: object, reporter: Reporter) -> None:
    """Rewrite a resumed run's ``dataset.json`` (derived from the dataset) where it is lost or damaged."""
    try:
        if isinstance(run.read_dataset_info(), dict):
            return
    except StateError:
        pass
    run.write_dataset_info(info)
    reporter.console.print(f"notice: rewrote {run.dataset} from the dataset", highlight=False, markup=False)


def summarise(cfg: RunConfig, records: list[dict]) -> dict:
    """The results.json summary: the learning curve plus each cycle's selection diagnostics."""
    curve = [
        {"cycle": r["cycle"], "labeled": r["labeled"], "mIoU": r["metrics"]["mIoU"],
         "diagnostics": r.get("selection", {}).get("diagnostics")}
        for r in records
    ]
    if not curve:
        raise AlcoreError("the run produced no cycles")
    return {
        "config": cfg.to_dict(),
        "curve": curve,
        "final": {"labeled": curve[-1]["labeled"], "mIoU": curve[-1]["mIoU"],
                  "per_class_iou": records[-1]["metrics"].get("per_class_iou")},
    }
