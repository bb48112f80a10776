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
    """Samples from Samples or image paths (a path's id is the path as given)."""
    out = []
    for item in items:
        if isinstance(item, Sample):
            out.append(item)
        elif isinstance(item, (str, Path)):
            out.append(Sample(str(item), Path(item)))
        else:
            raise ConfigError(f"a pool item must be a Sample or an image path, got {type(item).__name__}")
    return out


def _info_of_module(module: Any, classes: Sequence[str] | None) -> DatasetInfo:
    """Class names of a segmentor: given, from its ``dataset_meta``, or numbered from its head."""
    if classes is None:
        meta = getattr(module, "dataset_meta", None) or {}
        classes = meta.get("classes")
    if classes is None:
        head = module.decode_head
        head = head[-1] if hasattr(head, "__getitem__") else head
        classes = [f"class{i}" for i in range(head.num_classes)]
    return DatasetInfo(list(classes), [(0, 0, 0)] * len(classes))


def build_model(
    model: Any,
    info: DatasetInfo | None,
    registry: Registry,
    checkpoint: str | Path | None = None,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> Any:
    """An alcore model (with ``compute``) from one, a model plugin name, a segmentor or a config file."""
    if hasattr(model, "compute"):
        return model
    quantities = {r.name: r.factory for r in registry.all("quantity")}
    reg = require(registry, "model", "mmseg")
    if isinstance(model, str) and model in registry.names("model"):
        if checkpoint is None or info is None:
            raise ConfigError(f"model plugin '{model}' needs a checkpoint and the dataset's classes")
        built = require(registry, "model", model).build(
            dict(options or {}), info=info, quantities=quantities, seed=seed
        )
        built.load(Path(checkpoint))
        return built
    if isinstance(model, (str, Path)):
        if checkpoint is None:
            raise ConfigError("a model given as a config file needs a checkpoint")
        if info is None:
            raise ConfigError("a model given as a config file needs the dataset's classes")
        built = reg.build(
            {**(options or {}), "config": str(model)}, info=info, quantities=quantities, seed=seed
        )
        built.load(Path(checkpoint))
        return built
    if hasattr(model, "decode_head"):
        info = info or _info_of_module(model, None)
        built = reg.build(dict(options or {}), info=info, quantities=quantities, seed=seed)
        first = next(model.parameters(), None)
        if first is not None:
            built.device = first.device
        built.segmentor = model.eval()
        return built
    raise ConfigError("model must be an alcore model, an MMSeg segmentor or an MMSeg config file path")


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
    if info is None and hasattr(model, "decode_head"):
        info = _info_of_module(model, None)
    scorer = build_model(model, info, registry, checkpoint, model_options, seed)
    known = {s.id for s in pool}
    unknown = [i for i in labeled if i not in known]
    if unknown:
        raise ConfigError(f"labeled id '{unknown[0]}' is not in the pool")
    done = set(labeled)
    mask = np.fromiter((s.id in done for s in pool), dtype=bool, count=len(pool))
    return select_batch(acquisition, acq, pool, mask, budget, seed, cycle,
                        lambda names: scorer.compute(pool, names))
