"""The greedy furthest-first loop: set-up, seeding, then one pick at a time."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from alcore.sdk.errors import DataError
from alcore_acquisition.kcenter.bounds import _U64, Bounds, gamma
from alcore_acquisition.kcenter.intervals import Intervals
from alcore_acquisition.kcenter.passes import Passes
from alcore_acquisition.kcenter.result import KCenterResult
from alcore_acquisition.kcenter.seeding import Seeding
from alcore_acquisition.kcenter.storage import Rows
from alcore_acquisition.kcenter.tree import Tree
from alcore_acquisition.kcenter_reference import cold_start_index


class Greedy(Bounds, Intervals, Tree, Seeding, Passes):
    """State of one exact greedy k-center run: clusters, bounds, nearest-centre intervals.

    For every row ``x`` the run keeps ``owner[x]`` (a centre at the exact nearest distance) and
    ``lo[x] <= d(x) <= hi[x]`` where ``d(x)`` is the reference's float64 squared distance to
    ``owner[x]``; ``exact[x]`` says ``lo == hi == d(x)``. Centres hold ``-inf``.
    """

    def __init__(
        self,
        rows: Rows,
        labeled: np.ndarray,
        rng: np.random.Generator | None,
        n_clusters: int | None,
        compiled: bool | None = None,
    ) -> None:
        self.rows = rows
        self.labeled = labeled
        self.rng = rng
        n, dim, unit = rows.n, rows.dim, rows.unit
        wanted = n_clusters or int(min(4096, max(8, 3 * math.sqrt(n))))
        self.n_clusters = max(1, min(wanted, n))
        # relative error of a fast direct distance sum(fl(x - s)²) or sum of squares
        self.g_direct = 2.0 * gamma(dim + 4, unit)
        # relative error of a dot product in the compute dtype (any summation order, FMA or not)
        self.g_dot = gamma(dim + 1, unit)
        # relative error of the exact (reference) float64 distance
        self.g_exact = 2.0 * gamma(dim + 4, _U64)
        self.unit = unit
        # absolute slack for underflow of tiny squares and products
        self.eta = 4.0 * (dim + 8) * rows.tiny
        # largest magnitude for which no square or product of the search can overflow
        self.max_abs = math.sqrt(float(np.finfo(rows.np_dtype).max) / (16.0 * (dim + 8)))
        self.dense_ratio = {"numpy": 12.0, "h5py": 24.0, "torch": 4.0}[rows.kind]
        self.index_dtype = np.int32 if n < 2**31 else np.int64
        self.dense_passes = 0
        self.picks_since_test = 0
        #: moving-average seconds per pick of each way of updating (measured as the run goes)
        self.seconds: dict[str, float] = {}
        self.rows_checked = 0
        self.exact_distances = 0
        self.stats: dict[str, int] = {}
        self.forced_tree = n_clusters is not None
        # the cost switches compare this process's CPU seconds on the CPU: wall time counts the
        # time other processes held the core, and a busy machine then flips a switch the wrong
        # way (measured: the seeding fell back to the plain way, 0.67x the plain loop)
        on_cpu = rows.torch is None or rows.device.type == "cpu"
        self.clock = time.process_time if on_cpu else time.perf_counter
        if compiled and not kernels_fit(rows):
            raise DataError("compiled k-center needs in-memory float32 or float64 NumPy features")
        self.compiled = compiled
        #: the compiled kernels of :mod:`.compiled`, loaded when they fit the features
        self.kernels: Any = None

    def load_kernels(self) -> None:
        """Load the compiled kernels if they fit the features (numba compiles them on first use
        after an install, about 9 s, and caches them; later processes load them in about 0.5 s)."""
        if not kernels_fit(self.rows):
            return
        try:
            from alcore_acquisition.kcenter import compiled as kernels
        except ImportError:  # numba missing on this platform: the NumPy path gives the same picks
            if self.compiled:
                raise
            return
        self.kernels = kernels
        self.x = np.asarray(self.rows.source)
        # relative error of the kernels' float64 distance, summed in any order
        self.g_fast = 2.0 * gamma(self.rows.dim + 4, _U64)
        self.count("compiled")

    def count(self, what: str) -> None:
        """Count one use of a path (reported in the result's ``stats``)."""
        self.stats[what] = self.stats.get(what, 0) + 1

    def tree_pays(self, k: int, n_labeled: int) -> bool:
        """Whether the cluster tree's set-up (a few passes' worth) can be repaid by this run.

        Without a tree every pick costs at most one pass (less with stored products) and every
        labeled row a product column; the tree costs about as much as five passes, so it is
        built when the picks plus the labeled rows' share are worth many times that.
        """
        if self.forced_tree:
            return True
        return self.rows.n >= 4096 and k + n_labeled / 10 >= 100

    def run(self, k: int, took_all: bool) -> KCenterResult:
        """Seed from the labeled rows (or the cold-start pick), then pick furthest-first."""
        picks: list[int] = []
        radii: list[float] = []
        centre_rows = np.flatnonzero(self.labeled)
        if len(centre_rows) == 0:
            first = cold_start_index(~self.labeled, self.rng)
            centre_rows = np.asarray([first])
            picks.append(first)
            radii.append(math.inf)
        began = time.perf_counter()
        pool, block, norms = self.choose_centring()
        self.has_tree = self.tree_pays(k, len(centre_rows) if self.labeled.any() else 0)
        self.count("tree" if self.has_tree else "no-tree")
        if self.compiled is not False:
            self.load_kernels()
        self.basis = None
        if self.has_tree and self.kernels is not None and PROJECTION_DIMS * 4 * 64 <= self.rows.row_bytes:
            self.basis = principal_basis(block, PROJECTION_DIMS)
            self.count("projected")
        if self.has_tree:
            self.build_tree(pool, block, norms)
            del block
            self.assign_pass()
            self.build_clusters(centre_rows)
        else:
            del block
            self.norms_pass()
        self.prepare_rows()
        self.start_intervals()
        self.stats["setup-ms"] = int(1000 * (time.perf_counter() - began))
        began = time.perf_counter()
        if self.has_tree:
            self.count("seed-pruned")
            self.seed_pass(centre_rows)
        elif self.labeled.any():
            self.count("seed-dense")
            self.seed_dense(centre_rows)
        else:
            self.count("pass")
            self.hi[centre_rows] = -np.inf
            self.stream_pass(int(centre_rows[0]), speculate=False)
        self.lo[centre_rows] = self.hi[centre_rows] = -np.inf
        self.exact[centre_rows] = True
        self.owner[centre_rows] = centre_rows
        if self.has_tree:
            self.refresh(np.arange(self.n_clusters))
        self.stats["seed-ms"] = int(1000 * (time.perf_counter() - began))
        began = time.perf_counter()
        while len(picks) < k:
            i = self.next_pick()
            if i < 0:
                break
            picks.append(i)
            radii.append(math.sqrt(self.hi[i]))
            self.add_centre(i)
        last = self.next_pick()
        self.stats["pick-ms"] = int(1000 * (time.perf_counter() - began))
        return KCenterResult(
            indices=np.asarray(picks, dtype=np.int64),
            radii=np.asarray(radii),
            radius=math.sqrt(self.hi[last]) if last >= 0 else 0.0,
            took_all=took_all,
            dense_passes=self.dense_passes,
            rows_checked=self.rows_checked,
            exact_distances=self.exact_distances,
            stats=dict(self.stats),
        )


#: principal directions the compiled picks project onto (when rows are at least 64x as wide)
PROJECTION_DIMS = 8


def principal_basis(block: np.ndarray, dims: int) -> np.ndarray:
    """An orthonormal D x ``dims`` float64 basis of a centred sample's main directions
    (randomized range finder: two small products and a QR, not a full SVD)."""
    probe = np.random.default_rng(0x6B65).standard_normal((block.shape[1], 2 * dims)).astype(block.dtype)
    q, _ = np.linalg.qr((block @ probe).astype(np.float64))
    _, _, vt = np.linalg.svd((q.T.astype(block.dtype) @ block).astype(np.float64), full_matrices=False)
    basis, _ = np.linalg.qr(vt[:dims].T)
    return basis


def kernels_fit(rows: Rows) -> bool:
    """Whether the compiled kernels can read these features in place: an in-memory, native,
    C-ordered float32 or float64 NumPy array (float16, h5py and torch keep the NumPy path)."""
    if rows.kind != "numpy" or not isinstance(rows.source, np.ndarray):
        return False
    source = np.asarray(rows.source)
    return source.dtype in (np.float32, np.float64) and source.dtype.isnative and source.flags.c_contiguous
