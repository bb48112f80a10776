"""The k-center's seeding and cluster set-up against brute force, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from alcore_acquisition.kcenter import kcenter
from alcore_acquisition.kcenter.search import Greedy
from alcore_acquisition.kcenter.storage import Rows
from alcore_acquisition.kcenter_reference import greedy_kcenter_reference, squared_distances


def blobs(n: int, d: int, count: int, seed: int, tiny: int = 0) -> np.ndarray:
    """Tight, far-apart blobs, ``tiny`` of them with 3 rows: a sample misses some of those."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((count + tiny, d)) * 10.0
    small = np.repeat(np.arange(count, count + tiny), 3)
    which = np.concatenate([small, rng.integers(count, size=n - 3 * tiny)])
    x = centres[np.sort(which)] + rng.standard_normal((n, d)) * 0.1
    return (x + 3.0).astype(np.float32)


def ties(n: int, d: int, seed: int) -> np.ndarray:
    """Integer rows, each labeled row's mirror image also present: equal distances everywhere."""
    rng = np.random.default_rng(seed)
    half = rng.integers(-2, 3, (n // 2, d)).astype(np.float32)
    return np.concatenate([half, -half])


def mirrored_mask(n: int, count: int, seed: int) -> np.ndarray:
    """Labeled rows in mirror pairs, so many pool rows are equally near two centres."""
    out = np.zeros(n, dtype=bool)
    chosen = np.random.default_rng(seed).choice(n // 2, count // 2, replace=False)
    out[chosen] = True
    out[chosen + n // 2] = True
    return out


def seeded(
    x: np.ndarray, labeled: np.ndarray, n_clusters: int | None, compiled: bool | None = None
) -> tuple[Greedy, np.ndarray]:
    """A run stopped right after its first pick: the search state and every centre."""
    rows = Rows(x, None, None)
    greedy = Greedy(rows, labeled, np.random.default_rng(0), n_clusters, compiled)
    with rows.compute_settings():
        result = greedy.run(1, False)
    return greedy, np.concatenate([np.flatnonzero(labeled), result.indices])


def check_intervals(x: np.ndarray, greedy: Greedy, centres: np.ndarray) -> None:
    """Every row's interval holds the float64 nearest distance, which its owner attains."""
    x64 = x.astype(np.float64)
    best = np.full(len(x), np.inf)
    for c in centres:
        best = np.minimum(best, squared_distances(x64, np.broadcast_to(x64[c], x64.shape)))
    live = np.ones(len(x), dtype=bool)
    live[centres] = False
    owner = greedy.owner[live]
    assert np.isin(owner, centres).all()
    attained = squared_distances(x64[live], x64[owner])
    assert np.array_equal(attained, best[live])
    assert (greedy.lo[live] <= best[live]).all() and (best[live] <= greedy.hi[live]).all()
    exact = greedy.exact[live]
    assert np.array_equal(greedy.lo[live][exact], best[live][exact])


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("n_clusters", [None, 24, 200])
def test_seeding_matches_brute_force_with_ties(n_clusters: int | None, compiled: bool) -> None:
    x = ties(5000, 12, 3)
    labeled = mirrored_mask(len(x), 400, 4)
    greedy, centres = seeded(x, labeled, n_clusters, compiled)
    assert greedy.stats["seed-pruned" if greedy.has_tree else "seed-dense"] == 1
    assert (greedy.stats.get("compiled") == 1) == compiled
    check_intervals(x, greedy, centres)


@pytest.mark.parametrize("compiled", [True, False])
def test_seeding_matches_brute_force_on_blobs(compiled: bool) -> None:
    x = blobs(8000, 20, 300, 5)
    labeled = np.zeros(len(x), dtype=bool)
    labeled[np.random.default_rng(6).choice(len(x), 1200, replace=False)] = True
    greedy, centres = seeded(x, labeled, None, compiled)
    assert greedy.has_tree and greedy.stats["seed-pruned"] == 1
    check_intervals(x, greedy, centres)


@pytest.mark.parametrize("compiled", [True, False])
def test_rows_far_from_their_cluster_move_and_picks_stay_exact(compiled: bool) -> None:
    """Blobs the sample missed: their rows end in a near cluster (the NumPy path moves them
    there with the all-cluster reassignment; the compiled walk reaches one directly); every
    cluster radius then bounds its rows, and the picks are the reference's."""
    x = blobs(8000, 20, 120, 7, tiny=100)
    labeled = np.zeros(len(x), dtype=bool)
    labeled[np.random.default_rng(8).choice(len(x), 300, replace=False)] = True
    got = kcenter(x, labeled, 200, compiled=compiled)
    assert got.stats["tree"] == 1
    if not compiled:
        assert got.stats.get("reassigned", 0) > 0
    assert np.array_equal(got.indices, greedy_kcenter_reference(x, labeled, 200))
    greedy, _ = seeded(x, labeled, 150, compiled)
    x64 = x.astype(np.float64)
    centres = x64[greedy.centre_ids]  # each cluster is centred on one of the rows
    dist = np.sqrt(squared_distances(x64, centres[greedy.cid]))
    assert (greedy.rho_lo <= dist * (1 + 1e-6)).all() and (dist <= greedy.rho_hi * (1 + 1e-6)).all()
    # no row sits in a cluster much farther than its nearest one among all clusters
    nearest = min_distance_to(x64, centres)
    assert (dist <= 4.0 * np.median(dist) + nearest).all()


def min_distance_to(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each row's Euclidean distance to its nearest centre (brute force)."""
    out = np.full(len(x), np.inf)
    for c in centres:
        out = np.minimum(out, np.sqrt(((x - c) ** 2).sum(axis=1)))
    return out


def noisy_video(n: int, d: int, length: int, noise: float, seed: int) -> np.ndarray:
    """Sequences of frames: a random walk in a rank-8 subspace around a scene point, with
    per-frame isotropic noise ``noise`` relative to the distance between scene points."""
    rng = np.random.default_rng(seed)
    scale = np.sqrt(2.0 * d)
    parts = []
    for _ in range(-(-n // length)):
        basis = rng.standard_normal((8, d)) / np.sqrt(d)
        walk = np.cumsum(rng.standard_normal((length, 8)), axis=0)
        walk *= 0.25 * scale / np.sqrt((walk**2).sum(axis=1)).max()
        jitter = rng.standard_normal((length, d)) * noise * scale / np.sqrt(d)
        parts.append(walk @ basis + rng.standard_normal(d) + jitter)
    return (np.concatenate(parts)[:n] + 1.0).astype(np.float32)


def test_noisy_clusters_seed_few_pairs_and_stay_exact() -> None:
    """Per-row bounds keep the seeding's pruning on noisy clusters, whose radius (set by the
    noisiest row) would leave most labeled rows possible for every row of the cluster."""
    x = noisy_video(8000, 256, 80, 0.2, 0)
    labeled = np.zeros(len(x), dtype=bool)
    labeled[np.random.default_rng(1).choice(len(x), 500, replace=False)] = True
    got = kcenter(x, labeled, 100)
    assert got.stats["seed-pruned"] == 1
    assert got.stats["seed-pairs"] < 0.3 * len(x) * labeled.sum()
    assert np.array_equal(got.indices, greedy_kcenter_reference(x, labeled, 100))
    greedy, centres = seeded(x, labeled, None)
    check_intervals(x, greedy, centres)
