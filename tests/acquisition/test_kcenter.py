"""Exact greedy k-center: the fast search must pick exactly what the textbook reference picks."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest
import torch

from alcore.sdk.errors import DataError
from alcore_acquisition.kcenter import greedy_kcenter, kcenter
from alcore_acquisition.kcenter_reference import greedy_kcenter_reference, squared_distances


def gaussian(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d), dtype=np.float32)


def clustered(n: int, d: int, seed: int) -> np.ndarray:
    """Tight blobs around scattered centres, with a large common offset (like ReLU features)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 40), d)) * 4.0
    x = centres[rng.integers(len(centres), size=n)] + rng.standard_normal((n, d)) * 0.2
    return (x + 10.0).astype(np.float32)


def video(n: int, d: int, seed: int) -> np.ndarray:
    """Smooth random-walk trajectories (one per sequence) with small per-frame noise."""
    rng = np.random.default_rng(seed)
    frames = 60
    steps = rng.standard_normal((n // frames + 1, frames, d)) * 0.05
    paths = rng.standard_normal((n // frames + 1, 1, d)) * 2.0 + np.cumsum(steps, axis=1)
    x = paths.reshape(-1, d)[:n] + rng.standard_normal((n, d)) * 0.01
    return x.astype(np.float32)


def duplicated(n: int, d: int, seed: int) -> np.ndarray:
    """Every row repeated several times: exact ties everywhere."""
    base = gaussian(n // 7 + 1, d, seed)
    return np.repeat(base, 7, axis=0)[:n]


def grid(n: int, d: int, seed: int) -> np.ndarray:
    """Small integers: many distinct rows at exactly equal distances."""
    return np.random.default_rng(seed).integers(0, 3, (n, d)).astype(np.float32)


def mask(n: int, count: int, seed: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[np.random.default_rng(seed + 100).choice(n, count, replace=False)] = True
    return out


KINDS = {"gaussian": gaussian, "clustered": clustered, "video": video, "dup": duplicated, "grid": grid}


def test_reference_distance_depends_only_on_the_pair() -> None:
    """The shared float64 distance gives the same bits whatever else is in the batch."""
    rng = np.random.default_rng(0)
    for d in (1, 7, 64, 129, 2049):
        x = (rng.standard_normal((50, d)) * rng.uniform(0.01, 100)).astype(np.float32)
        full = squared_distances(x, x[3])
        for lo, hi in ((0, 1), (5, 6), (7, 40), (1, 50)):
            assert np.array_equal(squared_distances(x[lo:hi], x[3]), full[lo:hi])
        pairs = squared_distances(x[[9, 2, 9]], x[[3, 3, 3]])
        assert np.array_equal(pairs, full[[9, 2, 9]])


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("labeled", [0, 3, 120])
def test_matches_reference(kind: str, labeled: int) -> None:
    x = KINDS[kind](1500, 24, seed=len(kind) + labeled)
    lab = mask(len(x), labeled, labeled)
    k = 200
    want = greedy_kcenter_reference(x, lab, k, rng=np.random.default_rng(7))
    got = kcenter(x, lab, k, rng=np.random.default_rng(7))
    assert np.array_equal(got.indices, want)
    assert not lab[got.indices].any()
    assert len(set(got.indices.tolist())) == k


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cold_start_is_seeded(seed: int) -> None:
    x = video(900, 16, seed)
    lab = np.zeros(len(x), dtype=bool)
    got = greedy_kcenter(x, lab, 50, rng=np.random.default_rng(seed))
    assert np.array_equal(got, greedy_kcenter_reference(x, lab, 50, rng=np.random.default_rng(seed)))
    again = greedy_kcenter(x, lab, 50, rng=np.random.default_rng(seed))
    assert np.array_equal(got, again)
    assert np.array_equal(greedy_kcenter(x, lab, 5), greedy_kcenter_reference(x, lab, 5))


def test_whole_pool_order_and_radii() -> None:
    """Taking every unlabeled row gives the full furthest-first order; radii never grow."""
    x = clustered(400, 8, 3)
    lab = mask(len(x), 30, 3)
    result = kcenter(x, lab, int((~lab).sum()))
    assert np.array_equal(result.indices, greedy_kcenter_reference(x, lab, len(result.indices)))
    assert result.took_all and result.radius == 0.0
    assert np.all(np.diff(result.radii) <= 0)
    centres = list(np.flatnonzero(lab))
    for pick, radius in zip(result.indices[:20], result.radii[:20]):
        nearest = squared_distances(x[centres], x[pick]).min()
        assert radius == math.sqrt(nearest)
        centres.append(pick)


def test_budget_beyond_pool_is_clamped_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    x = gaussian(60, 4, 0)
    lab = mask(len(x), 50, 0)
    with caplog.at_level(logging.WARNING):
        result = kcenter(x, lab, 25)
    assert result.took_all
    assert sorted(result.indices.tolist()) == np.flatnonzero(~lab).tolist()
    assert "taking all" in caplog.text


def test_zero_budget() -> None:
    result = kcenter(gaussian(10, 3, 0), np.zeros(10, dtype=bool), 0)
    assert result.indices.shape == (0,) and result.indices.dtype == np.int64


def test_hdf5_streaming_matches(tmp_path) -> None:
    x = video(3000, 32, 5)
    lab = mask(len(x), 40, 5)
    want = greedy_kcenter_reference(x, lab, 150)
    path = tmp_path / "features.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("embedding", data=x, chunks=(256, 32))
    with h5py.File(path, "r") as f:
        got = kcenter(f["embedding"], lab, 150, chunk_rows=500)
    assert np.array_equal(got.indices, want)


def test_precisions_and_torch_inputs() -> None:
    x = clustered(1200, 20, 9)
    lab = mask(len(x), 25, 9)
    want = greedy_kcenter_reference(x, lab, 120)
    assert np.array_equal(greedy_kcenter(torch.from_numpy(x), lab, 120), want)
    # the torch code path (used for GPU tensors), run here on the CPU
    assert np.array_equal(greedy_kcenter(torch.from_numpy(x), lab, 120, device="cpu"), want)
    assert np.array_equal(greedy_kcenter(x, lab, 120, device="cpu"), want)
    for dtype in (np.float16, np.float64):
        xd = x.astype(dtype)
        assert np.array_equal(greedy_kcenter(xd, lab, 120), greedy_kcenter_reference(xd, lab, 120))
    xb = torch.from_numpy(x).to(torch.bfloat16)
    want_b = greedy_kcenter_reference(xb.float().numpy(), lab, 120)
    assert np.array_equal(greedy_kcenter(xb, lab, 120), want_b)


def test_unstructured_and_degenerate_trees() -> None:
    """Full passes (no structure) and trees with one or very many clusters stay exact."""
    x = gaussian(2000, 48, 11)
    lab = mask(len(x), 10, 11)
    want = greedy_kcenter_reference(x, lab, 100)
    for clusters in (None, 1, 5000):
        assert np.array_equal(kcenter(x, lab, 100, n_clusters=clusters).indices, want)
    y = video(2000, 48, 11)
    want_y = greedy_kcenter_reference(y, lab, 100)
    for clusters in (1, 2, 3000):
        assert np.array_equal(kcenter(y, lab, 100, n_clusters=clusters).indices, want_y)


def test_extreme_scales() -> None:
    """Offsets far larger than the spread, and tiny magnitudes, still match the reference."""
    rng = np.random.default_rng(4)
    base = rng.standard_normal((800, 16))
    lab = mask(800, 5, 4)
    for x in ((base * 1e-3 + 1e3).astype(np.float32), (base * 1e-20).astype(np.float32)):
        assert np.array_equal(greedy_kcenter(x, lab, 80), greedy_kcenter_reference(x, lab, 80))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_are_a_clear_error(bad: float) -> None:
    x = gaussian(500, 8, 0)
    x[321, 4] = bad
    with pytest.raises(DataError, match="row 321"):
        greedy_kcenter(x, np.zeros(500, dtype=bool), 5)


def test_invalid_inputs() -> None:
    x = gaussian(20, 4, 0)
    with pytest.raises(DataError, match="too large"):
        greedy_kcenter(x * np.float32(1e30), np.zeros(20, dtype=bool), 3)
    with pytest.raises(DataError, match="2-D"):
        greedy_kcenter(x[0], np.zeros(4, dtype=bool), 1)
    with pytest.raises(DataError, match="entries"):
        greedy_kcenter(x, np.zeros(19, dtype=bool), 1)
    with pytest.raises(DataError, match="float"):
        greedy_kcenter(x.astype(np.int32), np.zeros(20, dtype=bool), 1)
    with pytest.raises(DataError, match=">= 0"):
        greedy_kcenter(x, np.zeros(20, dtype=bool), -1)


MEMORY_PROBE = """
import numpy as np
from alcore_acquisition.kcenter import kcenter

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

n, d = 60000, 384
rng = np.random.default_rng(0)
x = np.empty((n, d), dtype=np.float32)
for s0 in range(0, n, 100):  # sequences of 100 frames, generated in place
    walk = np.cumsum(rng.standard_normal((100, d), dtype=np.float32) * np.float32(0.05), axis=0)
    x[s0 : s0 + 100] = walk + rng.standard_normal(d, dtype=np.float32) * np.float32(2.0)
labeled = np.zeros(n, dtype=bool)
labeled[rng.choice(n, n // 40, replace=False)] = True
kcenter(x[:6000], labeled[:6000], 120)  # same paths first: first-use library buffers are not counted
open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS:")
kcenter(x, labeled, 200)
print((status("VmHWM:") - before) / x.nbytes)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux peak-RSS reset")
def test_extra_memory_stays_a_fraction_of_the_features() -> None:
    """Peak resident memory added by a run (NumPy, torch and BLAS alike) stays under 25% of X."""
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True, check=True)
    fraction = float(out.stdout.strip().splitlines()[-1])
    assert fraction <= 0.25, f"extra peak RSS {fraction:.1%} of the feature matrix"


def test_each_path_is_taken_and_stays_exact() -> None:
    """The strategy switch: no tree for short cold starts, the tree when it pays, and both
    full-update kinds (plain and multi-row passes, stored products) when bounds cannot prune."""
    cold = np.zeros(6000, dtype=bool)
    x = gaussian(6000, 16, 21)
    short = kcenter(x, cold, 20, rng=np.random.default_rng(3))
    assert np.array_equal(short.indices, greedy_kcenter_reference(x, cold, 20, rng=np.random.default_rng(3)))
    assert short.stats["no-tree"] == 1 and "tree" not in short.stats
    assert short.stats["plain"] >= 1 and short.stats["multi-row"] >= 1 and short.stats["stored"] >= 1
    assert short.stats["pass"] + short.stats["stored"] == 20

    y = video(6000, 24, 21)
    lab = mask(6000, 200, 21)
    warm = kcenter(y, lab, 150)
    assert np.array_equal(warm.indices, greedy_kcenter_reference(y, lab, 150))
    assert warm.stats["tree"] == 1 and warm.stats["seed-pruned"] == 1
    assert warm.stats["pruned"] > 0

    lab_g = mask(6000, 300, 22)
    flat = kcenter(x, lab_g, 120)
    assert np.array_equal(flat.indices, greedy_kcenter_reference(x, lab_g, 120))
    assert flat.stats["tree"] == 1 and flat.stats["tree-rejected"] >= 1
    assert flat.stats.get("stored", 0) + flat.stats.get("pass", 0) > 0

    few = mask(6000, 30, 23)
    small = kcenter(y, few, 10)
    assert np.array_equal(small.indices, greedy_kcenter_reference(y, few, 10))
    assert small.stats["seed-dense"] == 1 and small.stats["no-tree"] == 1


HDF5_PROBE = """
import sys
import h5py
import numpy as np
from alcore_acquisition.kcenter import kcenter

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

path, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
with h5py.File(path, "w") as f:  # written in pieces: the whole matrix is never in memory
    ds = f.create_dataset("embedding", shape=(n, d), dtype="f4", chunks=(2048, d))
    for s0 in range(0, n, 8000):
        walk = np.cumsum(rng.standard_normal((8000, d), dtype=np.float32) * np.float32(0.05), axis=0)
        scenes = rng.standard_normal((80, 1, d), dtype=np.float32).repeat(100, 0).reshape(-1, d)
        ds[s0 : s0 + 8000] = walk + scenes
labeled = np.zeros(n, dtype=bool)
labeled[rng.choice(n, 400, replace=False)] = True
with h5py.File(path, "r") as f:
    # the same paths on a slice first: imports and first-use library buffers are not the selection's
    kcenter(f["embedding"][:6000], labeled[:6000], 120)
    open("/proc/self/clear_refs", "w").write("5")
    before = status("VmRSS:")
    result = kcenter(f["embedding"], labeled, 40)
    grown = status("VmHWM:") - before
np.save(path + ".labeled.npy", labeled)
np.save(path + ".picks.npy", result.indices)
print(grown)
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux peak-RSS reset")
def test_hdf5_pool_larger_than_the_memory_allowed(tmp_path) -> None:
    """Selecting from an HDF5 file streams it: the run's memory grows by far less than the file."""
    n, d = 80_000, 256
    path = str(tmp_path / "pool.h5")
    out = subprocess.run(
        [sys.executable, "-c", HDF5_PROBE, path, str(n), str(d)], capture_output=True, text=True, check=True
    )
    grown = int(out.stdout.strip().splitlines()[-1])
    allowed = n * d * 4 // 3
    assert grown < allowed, f"selection grew memory by {grown / 2**20:.0f} MiB, allowed {allowed / 2**20:.0f}"
    with h5py.File(path, "r") as f:
        x = f["embedding"][:]
    labeled = np.load(path + ".labeled.npy")
    assert np.array_equal(np.load(path + ".picks.npy"), kcenter(x, labeled, 40).indices)


@pytest.mark.parametrize("compiled", [True, False])
def test_float64_ties_through_stored_products(compiled: bool) -> None:
    """float64 features with exact ties everywhere, picks served by stored products: the
    products must be kept in float64, since the lean bound counts a float64 product's rounding
    (kept as float32 they were off by up to 2^-24 of their size, and ties went the wrong way)."""
    for seed in range(4):
        x = grid(2400, 16, seed).astype(np.float64)
        lab = mask(len(x), 100, seed)
        got = kcenter(x, lab, 100, compiled=compiled)
        assert got.stats.get("stored", 0) > 0
        assert np.array_equal(got.indices, greedy_kcenter_reference(x, lab, 100)), f"seed {seed}"
