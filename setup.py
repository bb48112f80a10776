"""Installs the start-up hook that makes plain MMSeg work with mmcv-lite (all else: pyproject.toml).

``alcore-mmcv-lite.pth`` goes into site-packages, where Python runs it at start-up (see
``plugins/alcore_mmseg/autoshim.py``): in a wheel next to the packages, and in an editable
install next to setuptools' own ``__editable__`` file.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH = "alcore-mmcv-lite.pth"
PTH_SOURCE = Path(__file__).parent / "plugins" / "alcore_mmseg" / PTH


class BuildWithHook(build_py):
    """build_py that also puts the start-up hook at the top of the wheel."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            self.copy_file(str(PTH_SOURCE), str(Path(self.build_lib) / PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        extra = [] if self.editable_mode else [str(Path(self.build_lib) / PTH)]
        return super().get_outputs(include_bytecode) + extra


class _WithHook:
    """An editable-install strategy that also writes the start-up hook into the wheel."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __call__(self, wheel, files, mapping) -> None:
        self.inner(wheel, files, mapping)
        wheel.writestr(PTH, PTH_SOURCE.read_text())

    def __enter__(self):
        self.inner.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        return self.inner.__exit__(*exc)


class EditableWithHook(editable_wheel):
    """editable_wheel whose install strategy also installs the start-up hook."""

    def _select_strategy(self, *args, **kwargs):
        return _WithHook(super()._select_strategy(*args, **kwargs))


setup(cmdclass={"build_py": BuildWithHook, "editable_wheel": EditableWithHook})
