"""The MMSeg model plugin's model: one object per run that trains, evaluates, predicts and scores.

Each job lives in its own module (:mod:`~alcore_mmseg.training`, :mod:`~alcore_mmseg.evaluation`,
:mod:`~alcore_mmseg.scoring`); this class holds a run's settings and its current weights.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import ConfigError, StateError
from alcore.sdk.model import Progress
from alcore_mmseg import checkpoints, configs, data, evaluation, scoring, segmentors, training
from alcore_mmseg.quantities import ForwardOutput
from alcore_mmseg.rules import existing_file, usable_device
from alcore_mmseg.scoring import forward_pass, score_batches
from alcore_mmseg.stack import SCOPE, building, prepare_stack, quiet_mmengine, scope
from alcore_mmseg.training import save_weights

__all__ = ["MMSegModel", "SCOPE", "forward_pass", "quiet_mmengine", "save_weights", "score_batches"]

log = logging.getLogger("alcore")

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
    optimiser's learning rate; ``optimizer`` picks the optimiser where the config has none.
    ``extra_hooks`` (MMEngine hooks) join every cycle's Runner.
    """

    def __init__(
        self,
        info: DatasetInfo | None,
        quantities: Mapping[str, Callable[[ForwardOutput], torch.Tensor]],
        seed: int = 0,
        config: str | None = None,
        width: int = 16,
        iters: int = 120,
        epochs: float = 0.0,
        batch_size: int = 8,
        lr: float | None = None,
        optimizer: str = "sgd",
        warm_start: bool = True,
        on_url: str = "error",
        pretrained: str | None = None,
        workers: int = 0,
        eval_batch_size: int = 16,
        device: str = "auto",
        mc_samples: int = 8,
        embedding_stage: int = -1,
        segmentor: Any = None,
        checkpoint: str | Path | None = None,
        threads: int = 0,
    ) -> None:
        if batch_size < 2:
            raise ConfigError("model option batch_size must be at least 2 (BatchNorm needs it)")
        if on_url not in ("error", "scratch"):
            raise ConfigError(f"model option on_url must be 'error' or 'scratch', got '{on_url}'")
        if mc_samples < 1:
            raise ConfigError("model option mc_samples must be at least 1")
        prepare_stack()
        if segmentor is not None and not segmentors.is_segmentor(segmentor):
            raise ConfigError(
                f"model must be an alcore model, an MMSeg segmentor or an MMSeg config file path, "
                f"got {type(segmentor).__name__}"
            )
        weights, meta = (None, {})
        if checkpoint is not None and segmentor is None:
            weights, meta = self._read(checkpoint)
        if info is None:
            info = self._infer_info(segmentor, config, meta)
        self.info = info
        self.quantity_fns = dict(quantities)
        self.seed = seed
        self.iters, self.epochs = iters, epochs
        self.batch_size, self.lr = batch_size, lr
        if optimizer not in training.OPTIMIZERS:
            raise ConfigError(
                f"model option optimizer must be one of {', '.join(training.OPTIMIZERS)}, got '{optimizer}'"
            )
        self.optimizer = optimizer
        self.warm_start = warm_start
        self.workers, self.eval_batch_size = workers, eval_batch_size
        self.mc_samples, self.embedding_stage = mc_samples, embedding_stage
        problem = usable_device(device)
        if problem:
            raise ConfigError(f"model option device: {problem}")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.init_state: dict | None = None
        if pretrained is not None:
            problem = existing_file(pretrained)
            if problem:
                raise ConfigError(f"model option pretrained: {problem}")
            given, _ = self._read(pretrained)
            if any(k.startswith(("decode_head.", "backbone.")) for k in given):
                # a whole segmentor (an MMEngine iter_N.pth, alcore's own): it initialises the model
                self.init_state, pretrained, on_url = given, None, "scratch"
            elif not config:
                # backbone weights for the default model: they initialise its backbone, and must fit it
                self.init_state = {f"backbone.{k}": v for k, v in given.items()}
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
        self.config_name = Path(config).name if config else "model"
        if pretrained is not None and self.init_state is not None:
            self._check_fit(pretrained)
        stages = configs.backbone_stages(self.model_cfg) if segmentor is None else None
        if stages is not None and not -stages <= embedding_stage < stages:
            raise ConfigError(f"model option embedding_stage: {embedding_stage} is not a stage of this "
                              f"backbone (it has {stages}: 0..{stages - 1}, or -1 for the last)")
        self._fitted = False
        self._checked: set[str] = set()
        for notice in self.user_cfg.notices:
            log.warning(notice)
        self.extra_hooks: list = []
        self.segmentor: torch.nn.Module | None = None
        self.checkpoint: Path | None = None
        if segmentor is not None:
            first = next(segmentor.parameters(), None)
            if first is not None:
                self.device = first.device
            self.segmentor = segmentor.eval()
        elif weights is not None:
            self._adopt(weights, Path(checkpoint))

    @staticmethod
    def _read(checkpoint: str | Path) -> tuple[dict, dict]:
        path = Path(checkpoint)
        if not path.is_file():
            raise StateError(f"checkpoint '{path}' does not exist")
        try:
            return checkpoints.read_weights(path)
        except Exception as exc:
            raise StateError(
                f"checkpoint '{path}' could not be read "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
            ) from None

    def _check_fit(self, source: str) -> None:
        """Refuse weights of which not one tensor fits the model (they would train it from scratch)."""
        from mmseg.registry import MODELS

        with scope(), building(self.config_name), torch.device("meta"):
            own = MODELS.build(dict(self.model_cfg)).state_dict()
        given = self.init_state or {}
        if not any(k in own and own[k].shape == v.shape for k, v in given.items()):
            raise ConfigError(
                f"model option pretrained: none of the {len(given)} tensors in '{source}' fits this "
                "model (without --model-config they initialise the default model's backbone)"
            )

    @staticmethod
    def _infer_info(segmentor: Any, config: str | None, meta: dict) -> DatasetInfo:
        """Class names when none are given: the segmentor's, the checkpoint's, or the config's count."""
        if segmentor is not None:
            return segmentors.info_of(segmentor)
        classes = meta.get("classes")
        if classes is None and config:
            classes = [f"class{i}" for i in range(configs.class_count_of(Path(config)))]
        if classes is None:
            raise ConfigError("the dataset's classes are needed: pass classes=[...] or a dataset")
        return DatasetInfo(list(classes), [(0, 0, 0)] * len(classes))

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
        self._fit(labeled)
        data.check_labels(labeled, self.info, self._checked)
        segmentor, target, stats = training.train_cycle(
            self, labeled, unlabeled, cycle, work_dir, ssl, progress
        )
        self.segmentor, self.checkpoint, self.last_train_stats = segmentor, target, stats
        return target

    # ----------------------------------------------------------------- loading
    def _build(self) -> torch.nn.Module:
        from mmengine.config import Config
        from mmseg.registry import MODELS

        # initial weights from the run's seed, not from whatever the process drew before
        with scope(), building(self.config_name), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = MODELS.build(Config(dict(model=self.model_cfg)).model)
        return model.to(self.device)

    def load(self, checkpoint: Path) -> None:
        """Load weights from an alcore or MMEngine checkpoint or a plain state dict (weights only)."""
        weights, _ = self._read(checkpoint)
        self._adopt(weights, Path(checkpoint))

    def _adopt(self, weights: dict, checkpoint: Path) -> None:
        model = self._build()
        try:
            model.load_state_dict(weights)
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
    def _fit(self, samples: Sequence[Sample]) -> None:
        """Fit the config's sizes to the dataset's images, once, with a notice per change."""
        if self._fitted or not samples:
            return
        self._fitted = True
        width, height = data.image_size(samples[0])
        user, notices = self.user_cfg, []
        if user.train_pipeline:
            user.train_pipeline = configs.fit_sizes(
                user.train_pipeline, (width, height), self.config_name, notices
            )
        if user.pad_size:
            # training batches pad to the config's input size, as MMSeg does with the config
            size = tuple(user.pad_size)
            pre = self.model_cfg.get("data_preprocessor")
            smaller = height < size[0] or width < size[1]
            if isinstance(pre, dict):
                pre["size"] = size
                pre.pop("size_divisor", None)
                if smaller:
                    pre["test_cfg"] = dict(size=size)
            if self.segmentor is not None and hasattr(self.segmentor.data_preprocessor, "size"):
                self.segmentor.data_preprocessor.size = size
                self.segmentor.data_preprocessor.size_divisor = None
                if smaller:
                    self.segmentor.data_preprocessor.test_cfg = dict(size=size)
            if smaller:
                notices.append(
                    f"{self.config_name}: {width}x{height} images padded to the config's input size "
                    f"{size[1]}x{size[0]} in inference too"
                )
        for notice in notices:
            log.warning(notice)

    def _loader(self, samples: Sequence[Sample], with_labels: bool):
        self._fit(samples)
        return evaluation.eval_loader(samples, self.info, self.eval_batch_size, self.workers, with_labels)

    def evaluate(self, samples: Sequence[Sample], progress: Progress | None = None) -> dict:
        """mIoU, per-class IoU and pixel accuracy (percent) with MMSeg's own IoU metric."""
        model = self._require_model()
        data.check_labels(samples, self.info, self._checked)
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
