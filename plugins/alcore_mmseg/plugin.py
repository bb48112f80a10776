"""Entry point of the built-in MMSegmentation model plugin (MMSeg is imported only when used)."""

from __future__ import annotations

from typing import Any

from alcore.sdk.hookspecs import hookimpl
from alcore.sdk.params import Param

PARAMS = [
    Param("config", str, None, "an MMSegmentation config file; default: small DeepLabV3+"),
    Param("width", int, 16, "channel width of the default model's backbone"),
    Param(
        "iters", int, 120, "training iterations per cycle (the config's LR schedule is compressed into it)"
    ),
    Param("epochs", float, 0.0, "if > 0, train this many passes over the labeled set instead"),
    Param("batch_size", int, 8, "training batch size"),
    Param("lr", float, None, "learning rate; default: the config's optimiser, else SGD 0.03 (poly decay)"),
    Param("warm_start", bool, True, "start each cycle from the previous cycle's weights"),
    Param("on_url", str, "error", "pretrained weights given as URL: 'error' or 'scratch'"),
    Param("pretrained", str, None, "local checkpoint for the backbone (replaces the config's)"),
    Param("workers", int, 0, "dataloader worker processes"),
    Param("eval_batch_size", int, 16, "batch size for evaluation and scoring"),
    Param("device", str, "auto", "'auto', 'cpu' or 'cuda'"),
    Param("mc_samples", int, 8, "stochastic decode-head passes for the 'bald' quantity"),
    Param("embedding_stage", int, -1, "backbone stage pooled into 'backbone_embedding' (-1: last)"),
    Param("threads", int, 0, "torch CPU threads (0: OMP_NUM_THREADS if set, else 1: no cliff on busy cores)"),
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
