"""The plugin contract: everything a plugin may import from alcore, and nothing else.

Hook specifications and markers, the dataset / model / SSL / acquisition protocols, plugin
options, domain errors and the strategy checker. Helpers for plugins that write files or run
under a multi-process launch live in :mod:`alcore.sdk.atomic`, :mod:`alcore.sdk.dist` and
:mod:`alcore.sdk.faults`. Nothing here imports the engine or loads a plugin.
"""

from __future__ import annotations

from alcore.sdk.acquisition import Acquisition
from alcore.sdk.dataset import Dataset, DatasetInfo, Sample
from alcore.sdk.errors import AlcoreError, ConfigError, DataError, PluginError, StateError
from alcore.sdk.hookspecs import hookimpl, hookspec
from alcore.sdk.model import Model, ModelExtras, Progress
from alcore.sdk.params import Param
from alcore.sdk.ssl import Predict, SSLMethod, UnlabeledBatch
from alcore.sdk.testing import check_strategy

__all__ = [
    "Acquisition",
    "AlcoreError",
    "ConfigError",
    "DataError",
    "Dataset",
    "DatasetInfo",
    "Model",
    "ModelExtras",
    "Param",
    "PluginError",
    "Predict",
    "Progress",
    "SSLMethod",
    "Sample",
    "StateError",
    "UnlabeledBatch",
    "check_strategy",
    "hookimpl",
    "hookspec",
]
