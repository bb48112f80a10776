"""Make plain MMSeg work wherever alcore is installed: the mmcv-lite shim as an import hook.

A ``.pth`` file installed with alcore calls :func:`register` at interpreter start. It adds a
finder that answers the import of ``mmcv.ops`` with :mod:`alcore_mmseg.shim`'s stand-in when
mmcv's compiled extension is missing, so ``Runner.from_cfg(Config.fromfile(...)).train()``
and ``tools/train.py`` run as they would with a full mmcv. With a full mmcv installed the
finder steps aside and the real ``mmcv.ops`` loads. Importing this module costs nothing else:
torch and mmcv load only when something imports ``mmcv.ops``. ``ALCORE_NO_MMCV_SHIM=1``
turns the hook off.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

TARGET = "mmcv.ops"


class _ShimLoader(importlib.abc.Loader):
    """Creates the stand-in ``mmcv.ops`` module."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        from alcore_mmseg import shim

        return shim.make_module()

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class ShimFinder(importlib.abc.MetaPathFinder):
    """Answers ``import mmcv.ops`` with the stand-in when the compiled extension is missing."""

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        if fullname != TARGET:
            return None
        from alcore_mmseg import shim

        if shim.full_mmcv_available():
            return None
        return importlib.machinery.ModuleSpec(TARGET, _ShimLoader())


def register() -> bool:
    """Put the finder first on ``sys.meta_path`` (once); False when turned off by the environment."""
    if os.environ.get("ALCORE_NO_MMCV_SHIM", "").strip() not in ("", "0"):
        return False
    if not any(isinstance(f, ShimFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, ShimFinder())
    return True
