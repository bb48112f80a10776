"""alcore: plugin-based active learning for semantic segmentation."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: public names, imported on first use so that ``import alcore`` loads no plugin
_LAZY = {
    "select": "alcore.api",
    "Selection": "alcore.selection",
    "select_batch": "alcore.selection",
    "needed_quantities": "alcore.selection",
    "initial_selection": "alcore.selection",
    "write_report": "alcore.report",
    "Experiment": "alcore.experiment",
    "RunConfig": "alcore.config",
    "Sample": "alcore.sdk.dataset",
    "get_registry": "alcore.plugins",
    "hookimpl": "alcore.sdk",
    "Param": "alcore.sdk",
    "check_strategy": "alcore.sdk",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'alcore' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
