"""Semi-supervised training of any MMSeg segmentor through MMEngine: a model that adds an SSL loss.

``wrap_for_ssl`` turns a cycle's Runner config into one whose model is an
``AlcoreSSLSegmentor``: it holds the plain segmentor as ``segmentor``, computes the supervised
loss with it as usual, and adds the loss of an :class:`alcore.sdk.ssl.SSLMethod` on an unlabeled
batch drawn from its own infinite loader over the pool. MMEngine's train loop, optimiser
wrapper, hooks and distributed wrappers apply unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from mmengine.model import BaseModel
from mmseg.registry import MODELS

from alcore.sdk.dataset import Sample
from alcore.sdk.ssl import UnlabeledBatch
from alcore_mmseg import data

WRAPPER_TYPE = "AlcoreSSLSegmentor"

#: per-cycle SSL setups (method object, unlabeled loader config) by key. The Runner config holds
#: only the key: it stays plain data, and MMEngine does not format the pool's file list into its log.
_SETUPS: dict[str, dict[str, Any]] = {}


def wrap_for_ssl(cfg: dict, model: Any, ssl: Any, unlabeled: Sequence[Sample], cycle: int) -> dict:
    """Return ``cfg`` with its model wrapped to add ``ssl``'s loss on batches of ``unlabeled``."""
    if not unlabeled:
        return cfg
    key = f"{type(ssl).__name__}-{id(ssl)}-{cycle}"
    with_labels = all(s.label is not None and Path(s.label).is_file() for s in unlabeled)
    dataset = data.dataset_cfg(
        unlabeled,
        model.info,
        train=True,
        with_labels=with_labels,
        augment=[dict(type="RandomFlip", prob=0.5)],
    )
    batch_size = max(2, round(float(ssl.unlabeled_ratio) * model.batch_size))
    loader = data.loader_cfg(dataset, batch_size, model.workers, True, model.seed + cycle + 1)
    _SETUPS.clear()
    _SETUPS[key] = dict(method=ssl, unlabeled_loader=loader)
    return dict(
        cfg,
        model=dict(
            type=WRAPPER_TYPE,
            segmentor=cfg["model"],
            setup=key,
            ignore_index=model.info.ignore_index,
            seed=model.seed + cycle,
        ),
    )


@MODELS.register_module(name=WRAPPER_TYPE, force=True)
class AlcoreSSLSegmentor(BaseModel):
    """An MMSeg segmentor plus an SSL method's unsupervised loss in every training step.

    Inference and checkpoints see ``segmentor``; the EMA teacher (when the method asks for one)
    lives outside the module tree so the optimiser, ``state_dict`` and DDP never see it.
    """

    def __init__(
        self,
        segmentor: dict,
        setup: str,
        ignore_index: int = 255,
        seed: int | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        if setup not in _SETUPS:
            raise KeyError(f"no SSL setup '{setup}' in this process; build the config with wrap_for_ssl")
        super().__init__(init_cfg=init_cfg)
        self.segmentor = MODELS.build(segmentor)
        self.data_preprocessor = self.segmentor.data_preprocessor
        self.method = _SETUPS[setup]["method"]
        self.ignore_index = ignore_index
        self._loader_cfg, self._seed = _SETUPS[setup]["unlabeled_loader"], seed
        self._unlabeled: Any = None
        self._steps = 0
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        object.__setattr__(self, "_teacher", None)

    # ---------------------------------------------------------------- forward
    def forward(self, inputs: torch.Tensor, data_samples: Any = None, mode: str = "tensor") -> Any:
        """Delegate to the segmentor; in ``loss`` mode also add the SSL method's losses."""
        if mode != "loss":
            return self.segmentor(inputs, data_samples, mode=mode)
        losses = self.segmentor(inputs, data_samples, mode="loss")
        batch = self._next_unlabeled()
        ssl_losses, stats = self.method.loss(batch, self._student, self._teacher_predict())
        self._steps += 1
        for name, value in ssl_losses.items():
            losses[name] = value
            self._record(name, float(value.detach()))
        for name, value in stats.items():
            self._record(f"ssl_{name}", value)
            if "loss" not in name:
                losses[f"ssl_{name}"] = torch.tensor(float(value), device=inputs.device)
        return losses

    def ssl_stats(self) -> dict[str, Any]:
        """Per-cycle means of the method's statistics (confident fraction, pseudo-label accuracy)."""
        out: dict[str, Any] = {"ssl": self.method.name, "ssl_steps": self._steps}
        out.update({k: round(self._sums[k] / self._counts[k], 5) for k in sorted(self._sums)})
        return out

    def _record(self, name: str, value: float) -> None:
        self._sums[name] = self._sums.get(name, 0.0) + float(value)
        self._counts[name] = self._counts.get(name, 0) + 1

    # ---------------------------------------------------------------- unlabeled data
    def _next_unlabeled(self) -> UnlabeledBatch:
        """The next unlabeled batch as raw RGB tensors with a padding mask (and ground truth)."""
        if self._unlabeled is None:
            from mmengine.runner import Runner

            from alcore_mmseg.model import _scope

            with _scope():
                loader = Runner.build_dataloader(copy.deepcopy(self._loader_cfg), seed=self._seed)
            self._unlabeled = iter(loader)
        prepared = self.data_preprocessor(next(self._unlabeled), True)
        inputs, samples = prepared["inputs"], prepared["data_samples"]
        valid = torch.zeros(inputs.shape[0], *inputs.shape[2:], dtype=torch.bool, device=inputs.device)
        for i, s in enumerate(samples):
            _, right, _, bottom = s.metainfo.get("padding_size", (0, 0, 0, 0))
            valid[i, : inputs.shape[2] - bottom, : inputs.shape[3] - right] = True
        labels = None
        if all("gt_sem_seg" in s for s in samples):
            labels = torch.stack([s.gt_sem_seg.data[0] for s in samples]).long()
        return UnlabeledBatch(
            images=self._denormalize(inputs), valid=valid, labels=labels, ignore_index=self.ignore_index
        )

    # ---------------------------------------------------------------- predictors
    def _normalize(self, images: torch.Tensor) -> torch.Tensor:
        pre = self.data_preprocessor
        return (images - pre.mean) / pre.std if getattr(pre, "_enable_normalize", False) else images

    def _denormalize(self, inputs: torch.Tensor) -> torch.Tensor:
        pre = self.data_preprocessor
        return inputs * pre.std + pre.mean if getattr(pre, "_enable_normalize", False) else inputs

    @staticmethod
    def _predict(segmentor: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Logits at input size: ``encode_decode`` is every MMSeg segmentor's inference core."""
        metas = [dict(img_shape=x.shape[2:], pad_shape=x.shape[2:], ori_shape=x.shape[2:])] * len(x)
        return segmentor.encode_decode(x, metas)

    def _student(self, images: torch.Tensor) -> torch.Tensor:
        return self._predict(self.segmentor, self._normalize(images))

    def _teacher_predict(self) -> Any:
        """The method's teacher: the EMA copy (updated here, once per step) or the student."""
        momentum = self.method.ema_momentum
        if momentum is None:
            return torch.no_grad()(self._student)
        if self._teacher is None:
            teacher = copy.deepcopy(self.segmentor).requires_grad_(False).eval()
            object.__setattr__(self, "_teacher", teacher)
        else:
            ema_update(self._teacher, self.segmentor, min(momentum, (1 + self._steps) / (10 + self._steps)))
        teacher = self._teacher

        @torch.no_grad()
        def predict(images: torch.Tensor) -> torch.Tensor:
            return self._predict(teacher, self._normalize(images))

        return predict


@torch.no_grad()
def ema_update(teacher: torch.nn.Module, student: torch.nn.Module, momentum: float) -> None:
    """teacher ← momentum·teacher + (1−momentum)·student for parameters and float buffers."""
    t_params = [p for p in teacher.parameters()]
    s_params = [p.detach() for p in student.parameters()]
    torch._foreach_mul_(t_params, momentum)
    torch._foreach_add_(t_params, s_params, alpha=1.0 - momentum)
    for t, s in zip(teacher.buffers(), student.buffers()):
        if t.dtype.is_floating_point:
            t.mul_(momentum).add_(s, alpha=1.0 - momentum)
        else:
            t.copy_(s)
