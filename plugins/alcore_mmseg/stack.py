"""The MMSeg stack as alcore uses it: imported once with the mmcv-lite shim, under its own scope."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import torch

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


def prepare_stack() -> None:
    """Import MMSeg with the mmcv-lite shim and register its modules under its own scope."""
    from alcore_mmseg import checkpoints, data, distributed, shim

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


def scope() -> Any:
    """A context in which MMEngine's registries resolve types in MMSeg's scope."""
    from mmengine.registry import DefaultScope

    return DefaultScope.overwrite_default_scope(SCOPE)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module inside a distributed (or other MMEngine) model wrapper, else the model itself."""
    from mmengine.model import is_model_wrapper

    return model.module if is_model_wrapper(model) else model
