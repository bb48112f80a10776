"""One training cycle through an MMEngine Runner: its config, its schedule, its weights file."""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from alcore.sdk.atomic import atomic_path
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import StateError
from alcore.sdk.model import Progress
from alcore_mmseg import checkpoints, configs, data, distributed
from alcore_mmseg.stack import SCOPE, building, formatted_once, quiet_mmengine, scope, unwrap

#: SGD learning rate when neither the user's config nor ``lr`` sets one: with poly decay it reaches
#: the old 0.01 x 200-iteration accuracy in 120 iterations on the embedded default
DEFAULT_LR = 0.03
#: optimisers for models whose config has none (``optimizer`` option): default learning rate and
#: the optimiser's settings. AdamW at 0.01 reaches a higher mIoU in 100 iterations than SGD on
#: small models trained from scratch, with less seed-to-seed spread (benchmarks/README.md)
OPTIMIZERS: dict[str, tuple[float, dict]] = {
    "sgd": (DEFAULT_LR, dict(type="SGD", momentum=0.9, weight_decay=5e-4)),
    "adamw": (0.01, dict(type="AdamW", weight_decay=1e-4)),
}


def iterations(epochs: float, iters: int, batch_size: int, n_labeled: int) -> int:
    """Training length of a cycle: fixed ``iters``, or ``epochs`` passes over the labeled set."""
    if epochs > 0:
        return max(1, math.ceil(epochs * n_labeled / batch_size))
    return iters


def optimisation(
    user: configs.UserConfig, lr: float | None, device: torch.device, iters: int, optimizer: str = "sgd"
) -> tuple[dict, list[dict]]:
    """Optimiser wrapper and LR schedule of a cycle: the user config's, else ``optimizer`` with poly decay."""
    optim = copy.deepcopy(user.optim_wrapper) if user.optim_wrapper else None
    if optim is None or "optimizer" not in optim:
        default_lr, settings = OPTIMIZERS[optimizer]
        optim = dict(type="OptimWrapper", optimizer=dict(settings, lr=default_lr if lr is None else lr))
    else:
        if device.type != "cuda" and optim.get("type") == "AmpOptimWrapper":
            optim = {k: v for k, v in optim.items() if k not in ("loss_scale", "dtype")}
            optim["type"] = "OptimWrapper"
        if lr is not None:
            optim["optimizer"] = dict(optim["optimizer"], lr=lr)
    base_lr = optim["optimizer"].get("lr", DEFAULT_LR)
    schedule = user.param_scheduler
    if schedule and user.max_iters and not any(s.get("by_epoch", True) for s in schedule):
        return optim, configs.scale_schedule(schedule, user.max_iters, iters)
    return optim, [dict(type="PolyLR", eta_min=base_lr * 0.01, power=0.9, begin=0, end=iters, by_epoch=False)]


def runner_config(
    model: Any, labeled: Sequence[Sample], cycle: int, work_dir: Path, model_cfg: dict | None = None
) -> dict:
    """The MMEngine config a cycle of ``model`` (an ``MMSegModel``) trains with."""
    iters = model.iterations(len(labeled))
    optim_wrapper, schedule = optimisation(
        model.user_cfg, model.lr, model.device, iters, model.optimizer
    )
    train_set = data.dataset_cfg(
        labeled,
        model.info,
        train=True,
        with_labels=True,
        augment=[dict(type="RandomFlip", prob=0.5)],
        steps=model.user_cfg.train_pipeline,
    )
    return dict(
        model=model_cfg or model.model_cfg,
        work_dir=str(work_dir / "mmengine"),
        experiment_name=f"cycle{cycle:03d}_{os.getpid()}",
        train_dataloader=data.loader_cfg(
            train_set, model.batch_size, model.workers, True, model.seed + cycle
        ),
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=iters),
        optim_wrapper=optim_wrapper,
        param_scheduler=schedule,
        default_hooks=dict(
            timer=dict(type="IterTimerHook"),
            logger=dict(type="LoggerHook", interval=max(1, iters // 4), log_metric_by_epoch=False),
            param_scheduler=dict(type="ParamSchedulerHook"),
            sampler_seed=dict(type="DistSamplerSeedHook"),
            checkpoint=None,  # alcore writes the cycle's weights itself; no second checkpoint
        ),
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend="gloo")),
        randomness=dict(seed=model.seed * 1000 + cycle),
        log_level="WARNING",
        default_scope=SCOPE,
        **distributed.runner_overrides(model.device),
    )


def train_cycle(
    model: Any,
    labeled: Sequence[Sample],
    unlabeled: Sequence[Sample],
    cycle: int,
    work_dir: Path,
    ssl: Any | None = None,
    progress: Progress | None = None,
) -> tuple[torch.nn.Module, Path, dict]:
    """Train one cycle of ``model``; write its weights atomically; return (segmentor, path, SSL stats)."""
    from mmengine.dist import barrier, is_main_process
    from mmengine.runner import Runner

    from alcore_mmseg.hooks import ProgressHook, WarmStartHook

    if len(labeled) < 1:
        raise StateError("cannot train on an empty labeled set")
    work_dir = Path(work_dir)
    cfg = runner_config(model, labeled, cycle, work_dir)
    if ssl is not None:
        from alcore_mmseg.ssl_model import wrap_for_ssl

        cfg = wrap_for_ssl(cfg, model, ssl, unlabeled, cycle)
    with scope():
        with building(model.config_name):
            runner = Runner.from_cfg(formatted_once(cfg))
        quiet_mmengine(runner.logger)
        runner.register_hook(ProgressHook(progress, cfg["train_cfg"]["max_iters"]))
        if model.warm_start and model.segmentor is not None:
            runner.register_hook(WarmStartHook(unwrap(model.segmentor).state_dict()))
        elif model.init_state is not None:
            runner.register_hook(WarmStartHook(model.init_state, strict=False, source="pretrained"))
        for hook in model.extra_hooks:
            runner.register_hook(hook)
        runner.train()
    trained = unwrap(runner.model)
    segmentor = getattr(trained, "segmentor", trained)
    target = work_dir / "checkpoint.pth"
    info = model.info
    meta = dict(
        cycle=cycle,
        n_labeled=len(labeled),
        dataset_meta=dict(classes=list(info.classes), palette=[list(c) for c in info.palette]),
    )
    if is_main_process():
        save_weights(segmentor, target, meta=meta)
    barrier()
    stats = getattr(trained, "ssl_stats", lambda: {})()
    return segmentor.eval(), target, stats


def save_weights(model: torch.nn.Module, path: Path, meta: dict) -> None:
    """Write a weights-only checkpoint atomically, in the layout MMEngine's loaders read."""
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({"meta": meta, "state_dict": state}, tmp)
    checkpoints.sign(path)
