"""MMEngine's distributed training on CPU-only torch (gloo), as launched by ``torchrun``.

Two gaps in the pinned stack: ``mmengine.dist.init_dist('pytorch')`` calls
``torch.cuda.set_device`` and crashes without CUDA, and the Runner passes ``device_ids`` to
DistributedDataParallel, which rejects them for CPU modules. :func:`init_process_group` creates
the gloo group first (the Runner then skips ``init_dist``), and :data:`WRAPPER` names a DDP
wrapper, registered in MMEngine's root ``MODEL_WRAPPERS``, that drops ``device_ids`` for CPU
modules. :func:`runner_overrides` gives the Runner config keys that use both.
"""

from __future__ import annotations

import os
from typing import Any

import torch

WRAPPER = "CPUDistributedDataParallel"
_registered = False


def launched() -> bool:
    """True when this process is one of several started by a launcher such as ``torchrun``."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def init_process_group(device: str | torch.device = "cpu") -> bool:
    """Join the launcher's process group (gloo on CPU) unless already joined; True if distributed."""
    import torch.distributed as dist

    if not launched():
        return dist.is_available() and dist.is_initialized()
    if not dist.is_initialized() and torch.device(device).type == "cpu":
        dist.init_process_group(backend="gloo", init_method="env://")
    return True


def register_wrapper() -> None:
    """Register the CPU-capable DDP wrapper in MMEngine's root model-wrapper registry (once)."""
    global _registered
    if _registered:
        return
    from mmengine.model import MMDistributedDataParallel
    from mmengine.registry import MODEL_WRAPPERS

    class CPUDistributedDataParallel(MMDistributedDataParallel):
        """MMEngine's DDP wrapper that leaves ``device_ids`` out for modules on the CPU."""

        def __init__(self, module: torch.nn.Module, **kwargs: Any) -> None:
            first = next(module.parameters(), None)
            if first is None or first.device.type == "cpu":
                kwargs.pop("device_ids", None)
                kwargs.pop("output_device", None)
            super().__init__(module=module, **kwargs)

    MODEL_WRAPPERS.register_module(name=WRAPPER, module=CPUDistributedDataParallel, force=True)
    _registered = True


def runner_overrides(device: str | torch.device = "cpu") -> dict:
    """Runner config keys for the current launch: none for one process, else launcher and wrapper."""
    if not launched():
        return {}
    register_wrapper()
    init_process_group(device)
    out: dict = dict(launcher="pytorch")
    if torch.device(device).type == "cpu":
        out["model_wrapper_cfg"] = dict(type=WRAPPER, broadcast_buffers=False, find_unused_parameters=False)
    return out
