"""``alcore run``: an active-learning experiment from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from alcore.config import check_bounds, check_code_consent, resolve
from alcore.distributed import is_main
from alcore.experiment import Experiment
from alcore.options import parse_kv
from alcore.plugins import get_registry
from alcore.progress import Reporter, stdout_console
from alcore.sdk.errors import ConfigError
from alcore.summary import summary_table


def run(
    config: Path = typer.Option(None, "--config", "-c", help="YAML file with run settings."),
    acq: str = typer.Option(None, "--acq", help="Acquisition function (see 'alcore plugins')."),
    ssl: str = typer.Option(None, "--ssl", help="Semi-supervised method, or 'none'."),
    dataset: str = typer.Option(None, "--dataset", help="Dataset plugin name."),
    model: str = typer.Option(None, "--model", help="Model plugin name."),
    model_config: Path = typer.Option(None, "--model-config",
                                      help="An MMSegmentation config file for the model."),
    cycles: int = typer.Option(None, "--cycles", help="Acquisition cycles after the first training."),
    initial: int = typer.Option(None, "--initial", help="Size of the random initial labeled set."),
    budget: int = typer.Option(None, "--budget", help="Samples selected per cycle."),
    seed: int = typer.Option(None, "--seed", help="Seed of the initial set, training, selection."),
    out: Path = typer.Option(None, "--out", "-o", help="Run directory (default: runs/<stamp>-...)."),
    resume: Path = typer.Option(None, "--resume", help="Continue the run in this directory."),
    acq_opt: list[str] = typer.Option(None, "--acq-opt", help="Acquisition option key=value."),
    ssl_opt: list[str] = typer.Option(None, "--ssl-opt", help="SSL option key=value."),
    dataset_opt: list[str] = typer.Option(None, "--dataset-opt", help="Dataset option key=value."),
    model_opt: list[str] = typer.Option(None, "--model-opt", help="Model option key=value."),
    pool_file: Path = typer.Option(None, "--pool-file",
                                   help="Restrict the pool to the ids listed in this file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output on stderr."),
) -> None:
    """Train, select, label, retrain: a complete active-learning experiment."""
    reporter = Reporter(quiet=quiet)
    for warning in get_registry().warnings:
        reporter.console.print(f"warning: {warning}", highlight=False, markup=False)
    if resume is not None:
        given = [n for n, v in (("--config", config), ("--acq", acq), ("--ssl", ssl),
                                ("--dataset", dataset), ("--model", model), ("--out", out),
                                ("--pool-file", pool_file), ("--cycles", cycles), ("--initial", initial),
                                ("--budget", budget),
                                ("--seed", seed), ("--acq-opt", acq_opt or None),
                                ("--ssl-opt", ssl_opt or None), ("--dataset-opt", dataset_opt or None),
                                ("--model-opt", model_opt or None))
                 if v is not None]
        if given:
            raise ConfigError(f"--resume continues a run with its own settings, which {given[0]} "
                              f"would change; drop {given[0]} (or start a new run with --out)")
        experiment = Experiment.resume(resume, reporter=reporter)
        check_code_consent(experiment.cfg.model_options, model_config, f"{resume}/config.yaml")
    else:
        check_bounds({"cycles": cycles, "initial": initial, "budget": budget, "seed": seed})
        model_options = parse_kv(model_opt, "--model-opt")
        if model_config is not None:
            model_options["config"] = str(model_config)
        cfg = resolve(config, {
            "acq": acq, "ssl": ssl, "dataset": dataset, "model": model, "cycles": cycles,
            "initial": initial, "budget": budget, "seed": seed,
            "pool_file": str(pool_file.resolve()) if pool_file is not None else None,
            "acq_options": parse_kv(acq_opt, "--acq-opt"),
            "ssl_options": parse_kv(ssl_opt, "--ssl-opt"),
            "dataset_options": parse_kv(dataset_opt, "--dataset-opt"),
            "model_options": model_options,
        })
        check_code_consent(cfg.model_options, model_config, str(config) if config else "--model-opt config")
        experiment = Experiment(cfg, out, reporter=reporter)
    results = experiment.run()
    if is_main():
        write_run_report(experiment.run_dir.root, reporter)
        stdout_console().print(summary_table(results, str(experiment.run_dir.root)))


def write_run_report(run_dir: Path, reporter: Reporter) -> None:
    """Write a finished run's report; a report that fails must not fail the run (its results are safe)."""
    from alcore.report import write_report

    try:
        path = write_report([run_dir])
    except Exception as exc:
        reporter.info(f"could not write the report: {exc}")
        return
    reporter.info(f"report: {path}")
