"""The Python API: pick a batch from a model, a pool and a labeled set without a run directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alcore.plugins import Registry, get_registry, require
from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import ConfigError
from alcore.selection import Selection, select_batch


def as_samples(items: Sequence[Sample | str | Path]) -> list[Sample]:
    """Samples from Samples or image paths (a path's id is the path as given).

    A path's group and frame come from its file name where the name follows the Cityscapes or
    A2D2 convention; otherwise they stay unknown.
    """
    from alcore.diagnostics import group_from_name

    out = []
    for item in items:
        if isinstance(item, Sample):
            out.append(item)
        elif isinstance(item, (str, Path)):
            group, frame = group_from_name(item)
            out.append(Sample(str(item), Path(item), None, group, frame))
        else:
            raise ConfigError(f"a pool item must be a Sample or an image path, got {type(item).__name__}")
    return out


def _info_of_module(module: Any, classes: Sequence[str] | None) -> DatasetInfo | None:
    """Dataset info from given class names; None leaves the classes to the model plugin."""
    del module  # the model plugin reads a model object's classes itself
    return DatasetInfo(list(classes), [(0, 0, 0)] * len(classes)) if classes else None


def build_model(
    model: Any,
    info: DatasetInfo | None,
    registry: Registry,
    checkpoint: str | Path | None = None,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> Any:
    """An alcore model (with ``compute``) from one, a model plugin name, a model object or a config file.

    A model object (such as an MMSeg segmentor) or a config file goes to the default model plugin
    as ``segmentor=`` / option ``config``; a checkpoint goes to the plugin as ``checkpoint=``.
    """
    from alcore.config import RunConfig

    if hasattr(model, "compute"):
        return model
    context: dict[str, Any] = {
        "info": info,
        "quantities": {r.name: r.factory for r in registry.all("quantity")},
        "seed": seed,
    }
    opts = dict(options or {})
    if isinstance(model, str) and model in registry.names("model"):
        name = model
        if checkpoint is None:
            raise ConfigError(f"model plugin '{model}' needs a checkpoint")
    elif isinstance(model, (str, Path)):
        name = RunConfig().model
        if checkpoint is None:
            raise ConfigError("a model given as a config file needs a checkpoint")
        opts["config"] = str(model)
    else:
        name = RunConfig().model
        context["segmentor"] = model
    reg = require(registry, "model", name)
    if checkpoint is None:
        return reg.build(opts, **context)
    if _accepts(reg.factory, "checkpoint"):
        return reg.build(opts, checkpoint=Path(checkpoint), **context)
    built = reg.build(opts, **context)  # a plugin whose factory takes no checkpoint loads it after
    built.load(Path(checkpoint))
    return built


def _accepts(factory: Any, name: str) -> bool:
    """Whether a factory takes keyword ``name`` (named, or through ``**kwargs``)."""
    import inspect

    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)


def select(
    model: Any,
    dataset: str | Sequence[Sample | str | Path],
    labeled: Sequence[str] = (),
    acq: str = "entropy",
    budget: int = 8,
    *,
    acq_options: Mapping[str, Any] | None = None,
    dataset_options: Mapping[str, Any] | None = None,
    model_options: Mapping[str, Any] | None = None,
    checkpoint: str | Path | None = None,
    classes: Sequence[str] | None = None,
    seed: int = 0,
    cycle: int = 0,
    registry: Registry | None = None,
) -> Selection:
    """Score the pool with ``model`` in one pass and pick ``budget`` unlabeled samples with ``acq``.

    ``model`` is an MMSeg segmentor, an MMSeg config file or a model plugin name (both with
    ``checkpoint``), or an alcore model. ``dataset`` is a registered dataset name (built with
    ``dataset_options``; its pool is used) or a list of Samples or image paths. ``labeled`` holds
    the ids already labeled. The pick is the one ``alcore run`` makes in cycle ``cycle`` with
    seed ``seed`` from the same quantities.
    """
    registry = registry or get_registry()
    acquisition = require(registry, "acquisition", acq).build(acq_options or {})
    info = DatasetInfo(list(classes), [(0, 0, 0)] * len(classes)) if classes else None
    if isinstance(dataset, str):
        built = require(registry, "dataset", dataset).build(dict(dataset_options or {}))
        pool = list(built.pool())
        info = info or built.info
    else:
        pool = as_samples(dataset)
    if not pool:
        raise ConfigError("the pool is empty; nothing to select from")
    scorer = build_model(model, info, registry, checkpoint, model_options, seed)
    known = {s.id for s in pool}
    unknown = [i for i in labeled if i not in known]
    if unknown:
        raise ConfigError(f"labeled id '{unknown[0]}' is not in the pool")
    done = set(labeled)
    mask = np.fromiter((s.id in done for s in pool), dtype=bool, count=len(pool))
    return select_batch(acquisition, acq, pool, mask, budget, seed, cycle,
                        lambda names: scorer.compute(pool, names))
