"""``alcore select``: the next batch to annotate from a production pool (one cycle per call)."""

from __future__ import annotations

from pathlib import Path

import typer

from alcore.options import parse_kv
from alcore.progress import Reporter


def select(
    out: Path = typer.Option(..., "--out", "-o", help="Production run directory (created on first use)."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML file with run settings (new run)."),
    dataset: str = typer.Option(None, "--dataset", help="Dataset plugin name (new run)."),
    dataset_opt: list[str] = typer.Option(None, "--dataset-opt", help="Dataset option key=value."),
    model: str = typer.Option(None, "--model", help="Model plugin name (new run)."),
    model_config: Path = typer.Option(
        None, "--model-config", help="An MMSegmentation config file for the model (new run)."
    ),
    model_opt: list[str] = typer.Option(
        None, "--model-opt", help="Model option key=value (new run: the first select fixes them)."
    ),
    ssl: str = typer.Option(None, "--ssl", help="Semi-supervised method, or 'none' (new run)."),
    ssl_opt: list[str] = typer.Option(None, "--ssl-opt", help="SSL option key=value."),
    acq: str = typer.Option(None, "--acq", help="Acquisition function (may change per cycle)."),
    acq_opt: list[str] = typer.Option(None, "--acq-opt", help="Acquisition option key=value."),
    budget: int = typer.Option(None, "--budget", help="Samples in the batch (may change per cycle)."),
    seed: int = typer.Option(None, "--seed", help="Seed of selection and training (new run)."),
    initial_labels: Path = typer.Option(
        None, "--initial-labels", help="Folder of <id>.png class-id labels you already have."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output on stderr."),
) -> None:
    """Train on what is labeled (random pick while nothing is) and write the next batch to annotate.

    The first call creates the run and fixes its settings, model options included, even though
    it trains nothing (it picks at random while nothing is labeled): give --model-opt,
    --model-config, --dataset-opt, --ssl and --seed then. Later calls may change only --acq,
    --acq-opt and --budget.
    """
    from alcore.annotation.session import select as run_select
    from alcore.config import check_bounds

    check_bounds({"budget": budget, "seed": seed})
    if acq is not None:  # refused now, not at the first cycle that trains a model
        from alcore.plugins import get_registry, require

        require(get_registry(), "acquisition", acq)
    if config is not None and model_config is None:
        from alcore.config import check_code_consent, load_yaml

        options = load_yaml(config).get("model_options")
        check_code_consent(options if isinstance(options, dict) else {}, None, str(config))

    model_options = parse_kv(model_opt, "--model-opt")
    if model_config is not None:
        model_options["config"] = str(model_config)
    settings = {
        "config": config,
        "dataset": dataset,
        "model": model,
        "ssl": ssl,
        "acq": acq,
        "budget": budget,
        "seed": seed,
        "dataset_options": parse_kv(dataset_opt, "--dataset-opt"),
        "model_options": model_options,
        "ssl_options": parse_kv(ssl_opt, "--ssl-opt"),
        "acq_options": parse_kv(acq_opt, "--acq-opt"),
    }
    batch = run_select(out, settings, initial_labels, Reporter(quiet=quiet))
    typer.echo(
        f"cycle {batch.cycle}: {len(batch.items)} samples selected ({batch.strategy}) in "
        f"{out}/cycles/{batch.cycle:03d}/batch.json"
    )
    typer.echo(f"next: alcore export {out} --format manifest|cvat|labelstudio --to DIR")
