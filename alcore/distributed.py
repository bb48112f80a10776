"""The engine's side of multi-process runs: shared files and sharded scoring over the run's cache.

The process-group helpers themselves live in :mod:`alcore.sdk.dist`, where plugins reach them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alcore.sdk.atomic import read_json
from alcore.sdk.dataset import Sample
from alcore.sdk.dist import (  # noqa: F401  (re-exported for the engine's drivers)
    barrier,
    broadcast,
    gather,
    init,
    is_main,
    launched,
    rank,
    shard_range,
    world_size,
)


def on_main(path: Path, produce: Callable[[], Any]) -> Any:
    """Rank 0 runs ``produce`` (which writes ``path`` as JSON) unless it exists; every rank returns it.

    All ranks look for ``path`` before anyone writes it, so they all take the same branch.
    """
    exists = Path(path).is_file()
    barrier()
    if exists:
        return read_json(path)
    value = produce() if is_main() else None
    barrier()
    return value if is_main() else read_json(path)


def score_shards(
    cache_path: Path,
    model: Any,
    fingerprint: str,
    pool: Sequence[Sample],
    names: Sequence[str],
    progress: Any = None,
) -> None:
    """Fill the run's cache for ``pool`` with every rank scoring one contiguous shard.

    Every rank writes its rows straight into the whole pool's rows of the cache (its flock keeps
    writers apart), so the single-process read that follows finds everything, with nothing merged
    or written twice. Shards split at ``model.eval_batch_size``.
    """
    from alcore.cache import FeatureCache

    names = list(names)
    if not names:
        return
    cache = FeatureCache(cache_path)
    world = world_size()
    unit = int(getattr(model, "eval_batch_size", 1) or 1)
    lo, hi = shard_range(len(pool), world, rank(), unit)
    cache.fetch(
        fingerprint, [s.id for s in pool], names,
        lambda rows, wanted, prog: model.compute([pool[i] for i in rows], wanted, prog),
        progress, load=False, shard=(lo, hi),
    )
    barrier()
