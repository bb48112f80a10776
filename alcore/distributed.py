"""Rank awareness for runs launched with ``torchrun``: who scores what, who writes, who waits.

Every helper is a no-op in a single process, so the loop reads the same either way. torch is
imported only when a launcher started several processes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alcore.atomic import read_json
from alcore.dataset import Sample


def launched() -> bool:
    """True when this process is one of several started by a launcher such as ``torchrun``."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def _group() -> Any:
    """``torch.distributed`` when a process group is up, else None (torch is never imported here)."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return dist


def init() -> bool:
    """Join the launcher's process group (gloo on CPU, NCCL on GPUs) if launched; True if distributed."""
    if not launched():
        return _group() is not None
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group(backend="nccl", init_method="env://")
        else:
            dist.init_process_group(backend="gloo", init_method="env://")
    return True


def rank() -> int:
    dist = _group()
    return dist.get_rank() if dist else 0


def world_size() -> int:
    dist = _group()
    return dist.get_world_size() if dist else 1


def is_main() -> bool:
    """True in the one process that selects and writes run state (rank 0, or a single process)."""
    return rank() == 0


def barrier() -> None:
    """Wait for every process (no-op in a single process)."""
    dist = _group()
    if dist:
        dist.barrier()


def gather(obj: Any) -> list[Any]:
    """Every rank's ``obj`` in rank order, on every rank (``[obj]`` in a single process)."""
    dist = _group()
    if not dist:
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast(obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank."""
    dist = _group()
    if not dist:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def shard_range(n: int, world: int, rank: int, unit: int = 1) -> tuple[int, int]:
    """This rank's contiguous block ``[lo, hi)`` of ``n`` rows, split at multiples of ``unit``.

    Splitting at whole batches keeps every batch the same as in a single process, so scores do
    not depend on how many processes computed them.
    """
    unit = max(1, unit)
    blocks = -(-n // unit)
    per, extra = divmod(blocks, world)
    lo_block = rank * per + min(rank, extra)
    hi_block = lo_block + per + (1 if rank < extra else 0)
    return min(n, lo_block * unit), min(n, hi_block * unit)


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


class _Missing(Exception):
    """Raised by a compute function that must not be called: the rows should be stored already."""


def _stored_only(rows: list[int], names: list[str], progress: Any) -> dict:
    raise _Missing


def score_shards(
    cache_path: Path,
    model: Any,
    fingerprint: str,
    pool: Sequence[Sample],
    names: Sequence[str],
    progress: Any = None,
) -> None:
    """Fill the run's cache for ``pool`` with every rank scoring one contiguous shard.

    Each rank stores its shard as its own id list (the cache's flock keeps writers apart); rank 0
    then merges the shards into the whole pool's rows, so the single-process read that follows
    (``cache.fetch`` over the pool) finds everything. Shards split at ``model.eval_batch_size``.
    """
    from alcore.cache import FeatureCache

    names = list(names)
    if not names:
        return
    cache = FeatureCache(cache_path)
    ids = [s.id for s in pool]
    try:
        cache.fetch(fingerprint, ids, names, _stored_only)
        complete = True
    except _Missing:
        complete = False
    barrier()
    if complete:
        return
    world = world_size()
    unit = int(getattr(model, "eval_batch_size", 1) or 1)
    bounds = [shard_range(len(pool), world, k, unit) for k in range(world)]
    lo, hi = bounds[rank()]
    if hi > lo:
        cache.fetch(
            fingerprint,
            ids[lo:hi],
            names,
            lambda rows, wanted, prog: model.compute([pool[lo + i] for i in rows], wanted, prog),
            progress,
        )
    barrier()
    if is_main():
        parts = [cache.fetch(fingerprint, ids[a:b], names, _stored_only) for a, b in bounds if b > a]
        merged = {n: np.concatenate([p[n] for p in parts]) for n in names}
        cache.fetch(fingerprint, ids, names, lambda rows, wanted, prog: {n: merged[n][rows] for n in wanted})
    barrier()
