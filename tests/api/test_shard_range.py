"""Shards of the pool: contiguous, covering, split at whole batches; single-process helpers are no-ops."""

from __future__ import annotations

import pytest

from alcore import distributed as dist


@pytest.mark.parametrize("n,world,unit", [(24, 2, 4), (25, 2, 4), (7, 3, 2), (3, 4, 16), (100, 3, 1)])
def test_shards_cover_the_pool_in_order_at_batch_boundaries(n, world, unit):
    bounds = [dist.shard_range(n, world, r, unit) for r in range(world)]
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert all(lo % unit == 0 for lo, hi in bounds if hi > lo)


def test_single_process_helpers(tmp_path):
    assert (dist.rank(), dist.world_size(), dist.is_main()) == (0, 1, True)
    assert dist.gather(5) == [5] and dist.broadcast(5) == 5
    path = tmp_path / "x.json"

    def produce():
        path.write_text("[1]")
        return [1]

    assert dist.on_main(path, produce) == [1]
    assert dist.on_main(path, lambda: pytest.fail("must read, not produce")) == [1]
