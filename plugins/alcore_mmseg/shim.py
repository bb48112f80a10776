"""Make ``import mmseg.models`` work with mmcv-lite, which ships ``mmcv.ops`` without its compiled core.

mmseg 1.2.2 imports ``mmcv.ops`` unguarded in a few modules, for symbols that are either pure
PyTorch (``point_sample``) or only used on CUDA (``sigmoid_focal_loss``). When the compiled
extension is missing, :func:`install` puts a small stand-in module at ``mmcv.ops`` that provides
the pure-PyTorch part and fails clearly on anything else. With a full mmcv it does nothing.
"""

from __future__ import annotations

import importlib.util
import sys
import types

import torch
import torch.nn.functional as F

SHIM_NAME = "mmcv.ops"


def full_mmcv_available() -> bool:
    """True when mmcv's compiled extension can be imported (a full mmcv build)."""
    try:
        return importlib.util.find_spec("mmcv._ext") is not None
    except (ImportError, ValueError):
        return False


def point_sample(
    input: torch.Tensor, points: torch.Tensor, align_corners: bool = False, **kwargs
) -> torch.Tensor:
    """Sample ``input`` (N,C,H,W) at normalised ``points`` (N,P,2) or (N,Hp,Wp,2) in [0, 1]."""
    add_dim = points.dim() == 3
    grid = points.unsqueeze(2) if add_dim else points
    out = F.grid_sample(input, 2.0 * grid - 1.0, align_corners=align_corners, **kwargs)
    return out.squeeze(3) if add_dim else out


def _needs_full_mmcv(name: str):
    def unavailable(*args, **kwargs):
        raise RuntimeError(
            f"mmcv.ops.{name} needs mmcv's compiled operators; install the full mmcv package "
            "(pip install mmcv) to use it"
        )

    unavailable.__name__ = name
    return unavailable


def _module_getattr(name: str):
    # mmseg guards its optional imports with ``except ModuleNotFoundError``, so a missing
    # operator must look like a missing module, not a missing attribute.
    if name.startswith("__"):
        raise AttributeError(name)
    raise ModuleNotFoundError(
        f"mmcv.ops.{name} is not available with mmcv-lite; install the full mmcv package",
        name=f"{SHIM_NAME}.{name}",
    )


def make_module() -> types.ModuleType:
    """A fresh stand-in ``mmcv.ops`` module holding the pure-PyTorch operators."""
    module = types.ModuleType(SHIM_NAME, "pure-PyTorch subset of mmcv.ops (mmcv-lite)")
    module.__alcore_shim__ = True
    module.point_sample = point_sample
    module.sigmoid_focal_loss = _needs_full_mmcv("sigmoid_focal_loss")
    module.__getattr__ = _module_getattr
    return module


def install() -> bool:
    """Install the stand-in ``mmcv.ops`` unless a full mmcv is present; returns True if installed."""
    current = sys.modules.get(SHIM_NAME)
    if getattr(current, "__alcore_shim__", False):
        return True
    if full_mmcv_available():
        return False
    import mmcv

    module = make_module()
    sys.modules[SHIM_NAME] = module
    mmcv.ops = module
    return True
