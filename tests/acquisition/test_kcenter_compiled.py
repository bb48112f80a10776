"""The compiled k-center kernels: bit-exact reference distances, and the same picks as the
NumPy path and the textbook reference on every kind of input, ties and degenerate trees included."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from test_kcenter import KINDS, clustered, gaussian, mask, video

from alcore.sdk.errors import DataError
from alcore_acquisition.kcenter import compiled, kcenter
from alcore_acquisition.kcenter.search import Greedy
from alcore_acquisition.kcenter.storage import Rows
from alcore_acquisition.kcenter_reference import greedy_kcenter_reference, squared_distances


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_distance_is_the_reference_bit_for_bit(dtype: type) -> None:
    """NumPy's pairwise summation, reproduced: every width around its block boundaries."""
    rng = np.random.default_rng(0)
    widths = list(range(1, 140)) + [255, 256, 257, 383, 511, 512, 513, 1000, 1024, 1031, 2048, 2049, 4099]
    for d in widths:
        x = (rng.standard_normal((12, d)) * rng.uniform(1e-3, 1e3, size=(12, 1))).astype(dtype)
        want = squared_distances(x, x[5])
        got = np.array([compiled.exact_sq(x, i, 5) for i in range(len(x))])
        assert np.array_equal(got, want), f"width {d}"


def test_fast_distance_stays_within_its_bound() -> None:
    """The any-order float64 sum the kernels prune with is within its stated relative error."""
    rng = np.random.default_rng(1)
    for d in (3, 64, 700, 2048):
        x = (rng.standard_normal((40, d)) + 50.0).astype(np.float32)
        exact = squared_distances(x.astype(np.float64), x[0].astype(np.float64))
        fast = np.array([compiled.fast_sq(x, i, 0) for i in range(len(x))])
        gf = 2.0 * (d + 4) * 2.0**-53 / (1.0 - (d + 4) * 2.0**-53)
        assert (np.abs(fast - exact) <= gf * exact + 1e-300).all()


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("labeled", [0, 150])
def test_compiled_and_numpy_paths_pick_the_reference(kind: str, labeled: int) -> None:
    x = KINDS[kind](3000, 24, seed=len(kind) + labeled)
    lab = mask(len(x), labeled, labeled)
    want = greedy_kcenter_reference(x, lab, 150, rng=np.random.default_rng(5))
    fast = kcenter(x, lab, 150, rng=np.random.default_rng(5), n_clusters=60, compiled=True)
    plain = kcenter(x, lab, 150, rng=np.random.default_rng(5), n_clusters=60, compiled=False)
    assert np.array_equal(fast.indices, want)
    assert np.array_equal(plain.indices, want)
    assert np.allclose(fast.radii[1:], plain.radii[1:], rtol=1e-12)
    assert fast.stats["compiled"] == 1 and "compiled" not in plain.stats


def test_float64_features_and_many_picks() -> None:
    x = video(5000, 40, 3).astype(np.float64)
    lab = mask(len(x), 200, 3)
    got = kcenter(x, lab, 1200)
    assert got.stats["compiled"] == 1 and got.stats["pruned"] > 0
    assert np.array_equal(got.indices, greedy_kcenter_reference(x, lab, 1200))


def test_without_stored_centre_bounds() -> None:
    """Many clusters on narrow rows: the centre-to-centre bounds are not stored (they would
    outweigh the features) and the picks are still the reference's."""
    x = clustered(6000, 3, 4)
    lab = mask(len(x), 100, 4)
    got = kcenter(x, lab, 300, n_clusters=800, compiled=True)
    assert got.stats["compiled"] == 1
    assert np.array_equal(got.indices, greedy_kcenter_reference(x, lab, 300))


def test_assignment_walks_structure_and_falls_back_without_it() -> None:
    """Video rows are assigned by walking between neighbouring clusters; i.i.d. rows, which
    would meet most clusters, go back to group products. Both give the reference's picks."""
    for data, walks in ((video(8000, 48, 5), True), (gaussian(8000, 48, 5), False)):
        lab = mask(len(data), 300, 5)
        got = kcenter(data, lab, 120)
        assert got.stats["compiled"] == 1
        assert ("assign-products" not in got.stats) == walks
        assert np.array_equal(got.indices, greedy_kcenter_reference(data, lab, 120))


def test_inputs_the_kernels_cannot_read(tmp_path) -> None:
    """Forcing the kernels on float16, HDF5, torch-device or Fortran-ordered features is a clear
    error; by default those inputs take the NumPy path and still pick the reference's rows."""
    x = video(5000, 16, 6)
    lab = mask(len(x), 100, 6)
    want = greedy_kcenter_reference(x, lab, 60)
    with h5py.File(tmp_path / "f.h5", "w") as f:
        f["x"] = x
    with h5py.File(tmp_path / "f.h5", "r") as f:
        for features in (x.astype(np.float16), f["x"], np.asfortranarray(x)):
            with pytest.raises(DataError, match="compiled k-center"):
                kcenter(features, lab, 60, compiled=True)
        fortran = kcenter(np.asfortranarray(x), lab, 60)
        assert "compiled" not in fortran.stats and np.array_equal(fortran.indices, want)
        streamed = kcenter(f["x"], lab, 60)
        assert "compiled" not in streamed.stats and np.array_equal(streamed.indices, want)
    with pytest.raises(DataError, match="compiled k-center"):
        kcenter(x, lab, 60, device="cpu", compiled=True)


def test_argmax_survives_a_stale_cluster_maximum() -> None:
    """A cluster maximum above all its rows (a bound that was not refreshed) must not end the
    search early: the true furthest row is still found, lowest index first on ties."""
    x = np.zeros((6, 2), dtype=np.float32)
    hi = np.array([1.0, 3.0, 2.0, 3.0, -np.inf, 0.5])
    lo, owner = hi.copy(), np.zeros(6, dtype=np.int64)
    exact = np.ones(6, dtype=bool)
    members, offsets = np.array([0, 1, 2, 3, 4, 5]), np.array([0, 3, 6])
    cid = np.array([0, 0, 0, 1, 1, 1])
    cmax = np.array([3.0, 9.0])  # cluster 1's maximum is stale: its rows reach 3.0 at most
    counts = np.zeros(1, dtype=np.int64)
    assert compiled.next_pick(x, lo, hi, owner, exact, counts, members, offsets, cid, cmax) == 1
    assert cmax[1] == 3.0


def test_settling_an_interval_counts_as_a_change() -> None:
    """An offer that only tightens a row's interval (the centre is not nearer) still lowers its
    upper bound, which its cluster's maximum must follow."""
    x = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], dtype=np.float32)
    lo, hi = np.array([8.0, -np.inf, -np.inf]), np.array([10.0, -np.inf, -np.inf])
    owner, exact = np.array([1, 1, 2]), np.array([False, True, True])
    counts = np.zeros(1, dtype=np.int64)
    gf = 2.0 * 6 * 2.0**-53
    lowered = compiled._offer(x, 0, 2, 9.0, gf, gf, 0.0, lo, hi, owner, exact, counts)
    assert lowered and hi[0] == 9.0 and lo[0] == 9.0 and exact[0] and owner[0] == 1


@pytest.mark.parametrize("offset", [0.0, 300.0])
def test_projection_bound_stays_below_every_distance(offset: float) -> None:
    """Wide rows get a few principal coordinates whose distance, less each row's slack, bounds
    the true distance from below (a large common offset makes the rounding slack largest)."""
    x = video(6000, 512, 8) + np.float32(offset)
    lab = mask(len(x), 200, 8)
    rows = Rows(x, None, None)
    greedy = Greedy(rows, lab, np.random.default_rng(0), None, True)
    with rows.compute_settings():
        result = greedy.run(300, False)
    assert result.stats["projected"] == 1 and greedy.proj.shape[1] > 0
    assert np.array_equal(result.indices, greedy_kcenter_reference(x, lab, 300))
    rng = np.random.default_rng(9)
    a, b = rng.integers(len(x), size=(2, 4000))
    near = np.concatenate([b[:2000], np.minimum(a[2000:] + 1, len(x) - 1)])  # neighbouring frames too
    true = np.sqrt(squared_distances(x[a].astype(np.float64), x[near].astype(np.float64)))
    projected = np.sqrt(((greedy.proj[a].astype(np.float64) - greedy.proj[near]) ** 2).sum(axis=1))
    bound = projected * (1.0 - 1e-9) - greedy.proj_slack[a] - greedy.proj_slack[near]
    assert (bound <= true).all()
    apart = true > 0
    assert np.median(bound[apart] / true[apart]) > 0.1  # and it is not vacuous
