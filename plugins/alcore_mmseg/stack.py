"""The MMSeg stack as alcore uses it: imported once with the mmcv-lite shim, under its own scope."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
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
    from alcore_mmseg import checkpoints, data, decoded, distributed, shim

    for module in ("mmseg", "mmcv", "mmengine"):
        warnings.filterwarnings("ignore", module=module)
    shim.install()
    from mmengine.logging import MMLogger
    from mmseg.utils import register_all_modules

    quiet_mmengine(MMLogger.get_instance("mmengine"))
    register_all_modules(init_default_scope=False)
    data.register_dataset_type()
    decoded.register()
    checkpoints.register()
    distributed.register_wrapper()


@contextlib.contextmanager
def building(name: str) -> Iterator[None]:
    """Turn a model that cannot be built here (an operator of a full mmcv, a missing package) into
    a one-line ``ConfigError`` naming the config and what is missing."""
    from alcore.sdk.errors import AlcoreError, ConfigError

    try:
        yield
    except AlcoreError:
        raise
    except (ImportError, RuntimeError, AssertionError, KeyError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"model config '{name}' cannot be built here: {text}") from None


def formatted_once(cfg: dict) -> Any:
    """An MMEngine ``Config`` of ``cfg`` that formats its text once.

    A Runner formats its whole config three to four times as it starts (log, dump, runtime
    info), each through yapf: about 0.2 s a time, a tenth of a short training cycle.
    """
    from mmengine.config import Config

    class FormattedOnce(Config):
        @property
        def pretty_text(self) -> str:
            text = self.__dict__.get("_alcore_text")
            if text is None:
                text = super().pretty_text
                object.__setattr__(self, "_alcore_text", text)
            return text

    return FormattedOnce(cfg)


def scope() -> Any:
    """A context in which MMEngine's registries resolve types in MMSeg's scope."""
    from mmengine.registry import DefaultScope

    return DefaultScope.overwrite_default_scope(SCOPE)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module inside a distributed (or other MMEngine) model wrapper, else the model itself."""
    from mmengine.model import is_model_wrapper

    return model.module if is_model_wrapper(model) else model
