"""The MMSeg model plugin: train through MMEngine's Runner, evaluate with MMSeg's IoU, score in one pass."""

from __future__ import annotations

import copy
import logging
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alcore.sdk.atomic import atomic_path
from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import ConfigError, StateError
from alcore.sdk.model import Progress
from alcore_mmseg import checkpoints, configs, data, distributed, shim
from alcore_mmseg.quantities import VIEWS, ForwardOutput, pixel_entropy, views_of

SCOPE = "mmseg"


class _DropNoise(logging.Filter):
    """Drop MMEngine's deprecation notices, which users of alcore cannot act on."""

    NOISE = ("will be deprecated", "is the alias of", "has been called more than once")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(n in message for n in self.NOISE)


def quiet_mmengine(logger: logging.Logger) -> None:
    """Attach the noise filter to an MMEngine logger (once)."""
    if not any(isinstance(f, _DropNoise) for f in logger.filters):
        logger.addFilter(_DropNoise())


def _prepare_stack() -> None:
    """Import MMSeg with the mmcv-lite shim and register its modules under its own scope."""
    for module in ("mmseg", "mmcv", "mmengine"):
        warnings.filterwarnings("ignore", module=module)
    shim.install()
    from mmengine.logging import MMLogger
    from mmseg.utils import register_all_modules

    quiet_mmengine(MMLogger.get_instance("mmengine"))
    register_all_modules(init_default_scope=False)
    data.register_dataset_type()
    checkpoints.register()
    distributed.register_wrapper()


def _scope():
    from mmengine.registry import DefaultScope

    return DefaultScope.overwrite_default_scope(SCOPE)


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    from mmengine.model import is_model_wrapper

    return model.module if is_model_wrapper(model) else model


class MMSegModel:
    """Any MMSegmentation segmentor under active learning (default: a small DeepLabV3+).

    One instance lives for a run; each ``train`` builds an MMEngine Runner for the cycle, so
    MMEngine's hooks, logging, checkpoints and launchers apply (started under ``torchrun``, a
    cycle trains data-parallel; on CPU through gloo, see :mod:`alcore_mmseg.distributed`).

    With a user's config file, its model, optimiser and LR schedule are used as written;
    alcore sets the dataset, the number of classes, the training length per cycle (the schedule
    compressed into it) and the pretrained weights. ``lr``, when given, overrides the
    optimiser's learning rate. ``extra_hooks`` (MMEngine hooks) join every cycle's Runner.
    """

    def __init__(
        self,
        info: DatasetInfo,
        quantities: Mapping[str, Callable[[ForwardOutput], torch.Tensor]],
        seed: int = 0,
        config: str | None = None,
        width: int = 16,
        iters: int = 200,
        epochs: float = 0.0,
        batch_size: int = 8,
        lr: float | None = None,
        warm_start: bool = True,
        on_url: str = "error",
        pretrained: str | None = None,
        workers: int = 0,
        eval_batch_size: int = 16,
        device: str = "auto",
        mc_samples: int = 8,
        embedding_stage: int = -1,
    ) -> None:
        if batch_size < 2:
            raise ConfigError("model option batch_size must be at least 2 (BatchNorm needs it)")
        if on_url not in ("error", "scratch"):
            raise ConfigError(f"model option on_url must be 'error' or 'scratch', got '{on_url}'")
        if mc_samples < 1:
            raise ConfigError("model option mc_samples must be at least 1")
        _prepare_stack()
        self.info = info
        self.quantity_fns = dict(quantities)
        self.seed = seed
        self.iters, self.epochs = iters, epochs
        self.batch_size, self.lr = batch_size, lr
        self.warm_start = warm_start
        self.workers, self.eval_batch_size = workers, eval_batch_size
        self.mc_samples, self.embedding_stage = mc_samples, embedding_stage
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if config:
            self.user_cfg = configs.load_user_config(
                Path(config), info.num_classes, info.ignore_index, on_url, pretrained
            )
        else:
            self.user_cfg = configs.UserConfig(
                configs.default_model(info.num_classes, info.ignore_index, width)
            )
        self.model_cfg = configs.for_device(self.user_cfg.model, self.device.type)
        self.extra_hooks: list = []
        self.segmentor: torch.nn.Module | None = None
        self.checkpoint: Path | None = None

    # ----------------------------------------------------------------- training
    def iterations(self, n_labeled: int) -> int:
        """Training length of a cycle: fixed ``iters``, or ``epochs`` passes over the labeled set."""
        if self.epochs > 0:
            return max(1, math.ceil(self.epochs * n_labeled / self.batch_size))
        return self.iters

    def runner_cfg(
        self, labeled: Sequence[Sample], cycle: int, work_dir: Path, model_cfg: dict | None = None
    ) -> dict:
        """The MMEngine config a cycle trains with (also what a plain Runner would be given)."""
        iters = self.iterations(len(labeled))
        optim_wrapper, schedule = self._optimisation(iters)
        train_set = data.dataset_cfg(
            labeled, self.info, train=True, with_labels=True, augment=[dict(type="RandomFlip", prob=0.5)]
        )
        return dict(
            model=model_cfg or self.model_cfg,
            work_dir=str(work_dir / "mmengine"),
            experiment_name=f"cycle{cycle:03d}_{os.getpid()}",
            train_dataloader=data.loader_cfg(
                train_set, self.batch_size, self.workers, True, self.seed + cycle
            ),
            train_cfg=dict(type="IterBasedTrainLoop", max_iters=iters),
            optim_wrapper=optim_wrapper,
            param_scheduler=schedule,
            default_hooks=dict(
                timer=dict(type="IterTimerHook"),
                logger=dict(type="LoggerHook", interval=max(1, iters // 4), log_metric_by_epoch=False),
                param_scheduler=dict(type="ParamSchedulerHook"),
                sampler_seed=dict(type="DistSamplerSeedHook"),
            ),
            env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend="gloo")),
            randomness=dict(seed=self.seed * 1000 + cycle),
            log_level="WARNING",
            default_scope=SCOPE,
            **distributed.runner_overrides(self.device),
        )

    def _optimisation(self, iters: int) -> tuple[dict, list[dict]]:
        """Optimiser wrapper and LR schedule of a cycle: the user config's, else SGD with poly decay."""
        user = self.user_cfg
        optim = copy.deepcopy(user.optim_wrapper) if user.optim_wrapper else None
        if optim is None or "optimizer" not in optim:
            lr = 0.01 if self.lr is None else self.lr
            optim = dict(
                type="OptimWrapper", optimizer=dict(type="SGD", lr=lr, momentum=0.9, weight_decay=5e-4)
            )
        else:
            if self.device.type != "cuda" and optim.get("type") == "AmpOptimWrapper":
                optim = {k: v for k, v in optim.items() if k not in ("loss_scale", "dtype")}
                optim["type"] = "OptimWrapper"
            if self.lr is not None:
                optim["optimizer"] = dict(optim["optimizer"], lr=self.lr)
        lr = optim["optimizer"].get("lr", 0.01)
        schedule = user.param_scheduler
        if schedule and user.max_iters and not any(s.get("by_epoch", True) for s in schedule):
            return optim, configs.scale_schedule(schedule, user.max_iters, iters)
        return optim, [dict(type="PolyLR", eta_min=lr * 0.01, power=0.9, begin=0, end=iters, by_epoch=False)]

    def train(
        self,
        labeled: Sequence[Sample],
        unlabeled: Sequence[Sample],
        cycle: int,
        work_dir: Path,
        ssl: Any | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Train one cycle through an MMEngine Runner; write the weights atomically; return the path."""
        from mmengine.config import Config
        from mmengine.runner import Runner

        from alcore_mmseg.hooks import ProgressHook, WarmStartHook

        if len(labeled) < 1:
            raise StateError("cannot train on an empty labeled set")
        work_dir = Path(work_dir)
        checkpoints.trust_directory(work_dir)
        cfg = self.runner_cfg(labeled, cycle, work_dir)
        if ssl is not None:
            from alcore_mmseg.ssl_model import wrap_for_ssl

            cfg = wrap_for_ssl(cfg, self, ssl, unlabeled, cycle)
        with _scope():
            runner = Runner.from_cfg(Config(cfg))
            quiet_mmengine(runner.logger)
            runner.register_hook(ProgressHook(progress, cfg["train_cfg"]["max_iters"]))
            if self.warm_start and self.segmentor is not None:
                runner.register_hook(WarmStartHook(_unwrap(self.segmentor).state_dict()))
            for hook in self.extra_hooks:
                runner.register_hook(hook)
            runner.train()
        model = _unwrap(runner.model)
        segmentor = getattr(model, "segmentor", model)
        target = work_dir / "checkpoint.pth"
        meta = dict(
            cycle=cycle,
            n_labeled=len(labeled),
            dataset_meta=dict(classes=list(self.info.classes), palette=[list(c) for c in self.info.palette]),
        )
        from mmengine.dist import barrier, is_main_process

        if is_main_process():
            save_weights(segmentor, target, meta=meta)
        barrier()
        self.segmentor = segmentor.eval()
        self.checkpoint = target
        self.last_train_stats = getattr(model, "ssl_stats", lambda: {})()
        return target

    # ----------------------------------------------------------------- loading
    def _build(self) -> torch.nn.Module:
        from mmseg.registry import MODELS

        with _scope():
            from mmengine.config import Config

            model = MODELS.build(Config(dict(model=self.model_cfg)).model)
        return model.to(self.device)

    def load(self, checkpoint: Path) -> None:
        """Load weights written by :meth:`train` (weights only: no pickled code is executed)."""
        model = self._build()
        try:
            ckpt = torch.load(checkpoint, map_location=self.device, weights_only=True)
            model.load_state_dict(ckpt["state_dict"])
        except Exception as exc:
            raise StateError(
                f"checkpoint '{checkpoint}' does not fit this model ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]})"
            ) from None
        self.segmentor = model.eval()
        self.checkpoint = Path(checkpoint)

    def _require_model(self) -> torch.nn.Module:
        if self.segmentor is None:
            raise StateError("the model has not been trained or loaded yet")
        return self.segmentor

    # ----------------------------------------------------------------- inference
    def _loader(self, samples: Sequence[Sample], with_labels: bool):
        from mmengine.runner import Runner

        cfg = data.loader_cfg(
            data.dataset_cfg(samples, self.info, train=False, with_labels=with_labels),
            self.eval_batch_size,
            self.workers,
            False,
            None,
        )
        if distributed.launched():
            # every rank needs all of its samples: a DefaultSampler would shard them (and sync seeds)
            from mmengine.dataset import pseudo_collate
            from mmseg.registry import DATASETS

            with _scope():
                dataset = DATASETS.build(cfg["dataset"])
            return torch.utils.data.DataLoader(
                dataset,
                self.eval_batch_size,
                shuffle=False,
                num_workers=self.workers,
                collate_fn=pseudo_collate,
            )
        with _scope():
            return Runner.build_dataloader(cfg)

    @torch.no_grad()
    def evaluate(self, samples: Sequence[Sample], progress: Progress | None = None) -> dict:
        """mIoU, per-class IoU and pixel accuracy (percent) with MMSeg's own IoU metric."""
        from mmseg.evaluation import IoUMetric

        model = self._require_model()
        n = self.info.num_classes
        totals = [torch.zeros(n, dtype=torch.float64) for _ in range(4)]
        done = 0
        for batch in self._loader(samples, with_labels=True):
            for out in model.test_step(batch):
                pred = out.pred_sem_seg.data.squeeze(0).cpu()
                gt = out.gt_sem_seg.data.squeeze(0).cpu()
                areas = IoUMetric.intersect_and_union(pred, gt, n, self.info.ignore_index)
                for total, area in zip(totals, areas):
                    total += area.double()
            done += len(batch["inputs"])
            if progress:
                progress(done, len(samples))
        intersect, union, _, label_area = totals
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = (intersect / union).numpy()
        present = label_area.numpy() > 0
        per_class = {
            c: (round(float(v) * 100, 2) if present[i] else None)
            for i, (c, v) in enumerate(zip(self.info.classes, iou))
        }
        miou = float(np.nanmean(iou[present])) * 100 if present.any() else 0.0
        acc = float(intersect.sum() / label_area.sum()) * 100 if label_area.sum() > 0 else 0.0
        return {"mIoU": round(miou, 2), "aAcc": round(acc, 2), "per_class_iou": per_class}

    @torch.no_grad()
    def predict(self, samples: Sequence[Sample]) -> list[np.ndarray]:
        """Predicted class index per pixel for each sample (at the image's own size)."""
        model = self._require_model()
        preds: list[np.ndarray] = []
        for batch in self._loader(samples, with_labels=False):
            for out in model.test_step(batch):
                preds.append(out.pred_sem_seg.data.squeeze(0).cpu().numpy().astype(np.uint8))
        return preds

    def forward(self, batch: dict, views: Sequence[str] = (), seed: int = 0) -> ForwardOutput:
        """One forward pass of a batch with this model's settings (see :func:`forward_pass`)."""
        return forward_pass(self._require_model(), batch, views, seed, self.mc_samples, self.embedding_stage)

    def compute(
        self, samples: Sequence[Sample], quantities: Sequence[str], progress: Progress | None = None
    ) -> dict[str, np.ndarray]:
        """One forward pass over ``samples`` yielding every requested quantity, one row each."""
        unknown = [q for q in quantities if q not in self.quantity_fns]
        if unknown:
            raise ConfigError(
                f"unknown quantity '{unknown[0]}'; known: {', '.join(sorted(self.quantity_fns))}"
            )
        return score_batches(
            self._require_model(),
            self._loader(samples, with_labels=False),
            {q: self.quantity_fns[q] for q in quantities},
            len(samples),
            self.seed,
            self.mc_samples,
            self.embedding_stage,
            progress,
        )


@torch.no_grad()
def score_batches(
    model: torch.nn.Module,
    batches: Iterable[dict],
    quantity_fns: Mapping[str, Callable[[ForwardOutput], torch.Tensor]],
    total: int,
    seed: int = 0,
    mc_samples: int = 8,
    embedding_stage: int = -1,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """One forward pass per batch yielding every quantity in ``quantity_fns``, one row per sample.

    Shared by :class:`MMSegModel` and the MMSeg-native loop so both score identically.
    """
    views = sorted({v for fn in quantity_fns.values() for v in views_of(fn)})
    parts: dict[str, list[np.ndarray]] = {q: [] for q in quantity_fns}
    done = 0
    for i, batch in enumerate(batches):
        out = forward_pass(model, batch, views, seed * 1_000_003 + i, mc_samples, embedding_stage)
        for q, fn in quantity_fns.items():
            parts[q].append(torch.as_tensor(fn(out)).float().cpu().numpy())
        done += len(batch["inputs"])
        if progress:
            progress(done, total)
    return {q: np.concatenate(v) if v else np.zeros((0,), np.float32) for q, v in parts.items()}


@torch.no_grad()
def forward_pass(
    model: torch.nn.Module,
    batch: dict,
    views: Sequence[str] = (),
    seed: int = 0,
    mc_samples: int = 8,
    embedding_stage: int = -1,
) -> ForwardOutput:
    """One forward pass of a batch: logits at input size, pooled features and the requested views.

    ``flip`` appends the horizontally flipped images to the same batch, so the backbone runs
    once on 2B images; ``mc_dropout`` reuses the backbone and head features and repeats only
    the decode head's stochastic part ``mc_samples`` times (seeded by ``seed``, so a resumed
    run scores identically). Scoring runs whole-image inference whatever ``test_cfg`` says.
    """
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise ConfigError(f"unknown view '{unknown[0]}'; known: {', '.join(VIEWS)}")
    heads = _heads(model)
    captured: dict[str, Any] = {}

    def keep(name: str, take_input: bool) -> Callable[..., None]:
        def hook(mod: torch.nn.Module, inp: tuple, out: Any) -> None:
            captured.setdefault(name, inp[0] if take_input else out)

        return hook

    hooks = [
        heads[-1].conv_seg.register_forward_hook(keep("decoder", True)),
        model.backbone.register_forward_hook(keep("backbone", False)),
    ]
    try:
        prepared = model.data_preprocessor(batch, False)
        inputs = prepared["inputs"]
        metas = [s.metainfo for s in prepared["data_samples"]]
        h, w = metas[0]["img_shape"][:2]
        if any(tuple(m["img_shape"][:2]) != (h, w) for m in metas):
            raise ConfigError("images of one scoring batch differ in size; use eval_batch_size=1")
        n = len(inputs)
        if "flip" in views:
            flipped = inputs.clone()
            flipped[..., :h, :w] = inputs[..., :h, :w].flip(-1)
            inputs = torch.cat([inputs, flipped])
            metas = metas + metas
        feats = model.extract_feat(inputs)
        if len(heads) == 1:
            logits = heads[0].predict(feats, metas, model.test_cfg)
        else:
            logits = heads[-1].predict_by_feat(_decode(heads, feats), metas)
    finally:
        for hook in hooks:
            hook.remove()
    logits = logits[:, :, :h, :w]
    stage = captured["backbone"]
    if isinstance(stage, (list, tuple)):
        stage = stage[embedding_stage]
    out = ForwardOutput(
        logits=logits[:n],
        embedding=captured["decoder"][:n].float().mean(dim=(2, 3)),
        backbone_embedding=stage[:n].float().mean(dim=(2, 3)),
    )
    if "flip" in views:
        out.flip_logits = logits[n:].flip(-1)
    if "mc_dropout" in views:
        feats = type(feats)(f[:n] for f in feats) if isinstance(feats, (list, tuple)) else feats[:n]
        out.mc_mean_probs, out.mc_mean_entropy = mc_dropout(
            heads, feats, captured["decoder"][:n], metas[:n], (h, w), seed, mc_samples
        )
        out.mc_samples = mc_samples
    return out


def mc_dropout(
    heads: list,
    feats: Any,
    decoder: torch.Tensor,
    metas: list[dict],
    size: tuple[int, int],
    seed: int,
    mc_samples: int = 8,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean softmax and mean pixel entropy over ``mc_samples`` passes with head dropout active.

    When the only dropout in the head is the one before its classifier (MMSeg's
    ``BaseDecodeHead.cls_seg``), only dropout and the 1x1 classifier run per pass, on the
    features of the deterministic pass; otherwise the whole head reruns on the backbone features.
    """
    last = heads[-1]
    drops = [
        m for head in heads for m in head.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)
    ]
    if not drops:
        raise ConfigError("quantity 'bald' needs dropout in the decode head (dropout_ratio > 0)")
    cheap = len(drops) == 1 and drops[0] is getattr(last, "dropout", None)
    h, w = size
    sum_probs: torch.Tensor | float = 0.0
    sum_entropy: torch.Tensor | float = 0.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in drops:
            m.train()
        try:
            for _ in range(mc_samples):
                seg = last.conv_seg(last.dropout(decoder)) if cheap else _decode(heads, feats)
                probs = last.predict_by_feat(seg, metas)[:, :, :h, :w].float().softmax(dim=1)
                sum_probs = sum_probs + probs
                sum_entropy = sum_entropy + pixel_entropy(probs)
        finally:
            for m in drops:
                m.eval()
    return sum_probs / mc_samples, sum_entropy / mc_samples


def _heads(model: torch.nn.Module) -> list:
    """The decode heads of a segmentor: one, or a cascade's stages in order."""
    head = model.decode_head
    return list(head) if isinstance(head, torch.nn.ModuleList) else [head]


def _decode(heads: list, feats: Any) -> torch.Tensor:
    """Raw output of the (cascaded) decode heads, as ``CascadeEncoderDecoder`` chains them."""
    out = heads[0].forward(feats)
    for head in heads[1:]:
        out = head.forward(feats, out)
    return out


def save_weights(model: torch.nn.Module, path: Path, meta: dict) -> None:
    """Write a weights-only checkpoint atomically, in the layout MMEngine's loaders read."""
    state = {k: v.detach().cpu() for k, v in _unwrap(model).state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({"meta": meta, "state_dict": state}, tmp)
