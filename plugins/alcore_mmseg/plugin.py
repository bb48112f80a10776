"""Entry point of the built-in MMSegmentation model plugin (MMSeg is imported only when used)."""

from __future__ import annotations

from typing import Any

from alcore.sdk.hookspecs import hookimpl
from alcore.sdk.params import Param
from alcore_mmseg.rules import existing_file, one_of, usable_device

PARAMS = [
    Param("config", str, None, "an MMSegmentation config file; default: small DeepLabV3+",
          rule=existing_file),
    Param("width", int, 16, "channel width of the default model's backbone", low=1, high=1024),
    Param(
        "iters", int, 120, "training iterations per cycle (the config's LR schedule is compressed into it)",
        low=1, high=10_000_000,
    ),
    Param("epochs", float, 0.0, "if > 0, train this many passes over the labeled set instead",
          low=0, high=100_000),
    Param("batch_size", int, 8, "training batch size (BatchNorm needs at least 2)", low=2, high=65_536),
    Param("lr", float, None,
          "learning rate; default: the config's optimiser's, else 0.03 (sgd) or 0.01 (adamw), poly decay",
          low=0, high=1000),
    Param("optimizer", str, "sgd", "optimiser where the config sets none: 'sgd' (momentum 0.9) or 'adamw'",
          rule=one_of("sgd", "adamw")),
    Param("warm_start", bool, True, "start each cycle from the previous cycle's weights"),
    Param("on_url", str, "error", "pretrained weights given as URL: 'error' or 'scratch'",
          rule=one_of("error", "scratch")),
    Param("pretrained", str, None, "local checkpoint for the backbone (replaces the config's)",
          rule=existing_file),
    Param("workers", int, 0, "dataloader worker processes", low=0, high=256),
    Param("eval_batch_size", int, 16, "batch size for evaluation and scoring", low=1, high=65_536),
    Param("device", str, "auto", "'auto', 'cpu' or 'cuda' (auto: cuda where present, else cpu)",
          rule=usable_device),
    Param("mc_samples", int, 8, "stochastic decode-head passes for the 'bald' quantity", low=1, high=1000),
    Param("embedding_stage", int, -1, "backbone stage pooled into 'backbone_embedding' (-1: last)",
          low=-1, high=63),
    Param("threads", int, 0, "torch CPU threads (0: OMP_NUM_THREADS if set, else 1: no cliff on busy cores)",
          low=0, high=4096),
]


def _build(**kwargs: Any):
    from alcore_mmseg.model import MMSegModel

    return MMSegModel(**kwargs)


@hookimpl
def register_models(register: Any) -> None:
    register("mmseg", _build, help="any MMSegmentation model, trained through MMEngine", params=PARAMS)


@hookimpl
def register_quantities(register: Any) -> None:
    from alcore_mmseg.quantities import BUILTIN

    for name, (fn, text) in BUILTIN.items():
        register(name, fn, help=text)
