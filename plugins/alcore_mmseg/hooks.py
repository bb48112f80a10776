"""MMEngine hooks that connect a Runner's training to alcore's progress reporting."""

from __future__ import annotations

import logging
from typing import Any

from mmengine.hooks import Hook

from alcore.sdk import faults
from alcore.sdk.model import Progress


class ProgressHook(Hook):
    """Report training iterations to an alcore progress callback."""

    priority = "VERY_LOW"

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        faults.point("train-iter")
        if self.progress is not None:
            self.progress(runner.iter + 1, self.total)


class WarmStartHook(Hook):
    """Load weights (the previous cycle's, or a whole-segmentor checkpoint) after the Runner's init.

    With ``strict=False`` only tensors whose name and shape fit are loaded (a checkpoint trained
    on another class count keeps everything but its classifiers); the rest are reported.
    """

    priority = "VERY_HIGH"

    def __init__(self, state_dict: dict, strict: bool = True, source: str = "") -> None:
        self.state_dict = state_dict
        self.strict = strict
        self.source = source

    def before_train(self, runner: Any) -> None:
        from mmengine.model import is_model_wrapper

        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        target = getattr(model, "segmentor", model)
        if self.strict:
            target.load_state_dict(self.state_dict)
            return
        own = target.state_dict()
        fitting = {k: v for k, v in self.state_dict.items() if k in own and own[k].shape == v.shape}
        target.load_state_dict(fitting, strict=False)
        left = len(own) - len(fitting)
        if left:
            logging.getLogger("alcore").warning(
                "%s: %d of %d weights loaded; %d keep their initialisation (names or shapes differ)",
                self.source or "pretrained weights", len(fitting), len(own), left,
            )
