"""alcore: plugin-based active learning for semantic segmentation."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: public names, imported on first use so that ``import alcore`` loads no plugin
_LAZY = {
    "select": "alcore.api",
    "Selection": "alcore.api",
    "Experiment": "alcore.experiment",
    "RunConfig": "alcore.config",
    "Sample": "alcore.dataset",
    "get_registry": "alcore.plugins",
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
