"""Process-group helpers for runs launched with ``torchrun``: who scores what, who writes, who waits.

Every helper is a no-op in a single process, so the loop reads the same either way. torch is
imported only when a launcher started several processes.
"""

from __future__ import annotations

import os
import sys
from typing import Any


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
