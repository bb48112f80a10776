"""The MMSeg model plugin's model: one object per run that trains, evaluates, predicts and scores.

Each job lives in its own module (:mod:`~alcore_mmseg.training`, :mod:`~alcore_mmseg.evaluation`,
:mod:`~alcore_mmseg.scoring`); this class holds a run's settings and its current weights.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alcore.dataset import DatasetInfo, Sample
from alcore.errors import ConfigError, StateError
from alcore.model import Progress
from alcore_mmseg import configs, evaluation, scoring, training
from alcore_mmseg.quantities import ForwardOutput
from alcore_mmseg.scoring import forward_pass, score_batches
from alcore_mmseg.stack import SCOPE, prepare_stack, quiet_mmengine, scope
from alcore_mmseg.training import save_weights

__all__ = ["MMSegModel", "SCOPE", "forward_pass", "quiet_mmengine", "save_weights", "score_batches"]

# older names, kept for code written against them
_prepare_stack = prepare_stack
_scope = scope


def cpu_threads(threads: int = 0) -> int:
    """Torch CPU threads: ``threads`` if > 0, else ``OMP_NUM_THREADS`` if set, else one.

    On cores shared with other work, extra OpenMP threads spin against the neighbour and a cycle
    can get several times slower; one thread never falls off that cliff (benchmarks/README.md).
    """
    if threads > 0:
        return threads
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return 1


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
        threads: int = 0,
    ) -> None:
        if batch_size < 2:
            raise ConfigError("model option batch_size must be at least 2 (BatchNorm needs it)")
        if on_url not in ("error", "scratch"):
            raise ConfigError(f"model option on_url must be 'error' or 'scratch', got '{on_url}'")
        if mc_samples < 1:
            raise ConfigError("model option mc_samples must be at least 1")
        prepare_stack()
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
        if self.device.type == "cpu":
            torch.set_num_threads(cpu_threads(threads))
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
        return training.iterations(self.epochs, self.iters, self.batch_size, n_labeled)

    def runner_cfg(
        self, labeled: Sequence[Sample], cycle: int, work_dir: Path, model_cfg: dict | None = None
    ) -> dict:
        """The MMEngine config a cycle trains with (also what a plain Runner would be given)."""
        return training.runner_config(self, labeled, cycle, Path(work_dir), model_cfg)

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
        segmentor, target, stats = training.train_cycle(
            self, labeled, unlabeled, cycle, work_dir, ssl, progress
        )
        self.segmentor, self.checkpoint, self.last_train_stats = segmentor, target, stats
        return target

    # ----------------------------------------------------------------- loading
    def _build(self) -> torch.nn.Module:
        from mmengine.config import Config
        from mmseg.registry import MODELS

        with scope():
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
        return evaluation.eval_loader(samples, self.info, self.eval_batch_size, self.workers, with_labels)

    def evaluate(self, samples: Sequence[Sample], progress: Progress | None = None) -> dict:
        """mIoU, per-class IoU and pixel accuracy (percent) with MMSeg's own IoU metric."""
        model = self._require_model()
        return evaluation.evaluate(model, self._loader(samples, True), self.info, len(samples), progress)

    def predict(self, samples: Sequence[Sample]) -> list[np.ndarray]:
        """Predicted class index per pixel for each sample (at the image's own size)."""
        return evaluation.predict(self._require_model(), self._loader(samples, with_labels=False))

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
        return scoring.score_batches(
            self._require_model(),
            self._loader(samples, with_labels=False),
            {q: self.quantity_fns[q] for q in quantities},
            len(samples),
            self.seed,
            self.mc_samples,
            self.embedding_stage,
            progress,
        )
