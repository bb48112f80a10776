"""MMEngine hooks that connect a Runner's training to alcore's progress reporting."""

from __future__ import annotations

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
    """Load the previous cycle's weights after the Runner has initialised the model."""

    priority = "VERY_HIGH"

    def __init__(self, state_dict: dict) -> None:
        self.state_dict = state_dict

    def before_train(self, runner: Any) -> None:
        from mmengine.model import is_model_wrapper

        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        target = getattr(model, "segmentor", model)
        target.load_state_dict(self.state_dict)
