"""Exact greedy k-center (furthest-first) selection that skips the work bounds prove useless.

The picks are, bit for bit, those of the textbook algorithm in
:mod:`alcore_acquisition.kcenter_reference` (same float64 squared distance, lowest index on
ties, same seeded cold start). Speed comes from not computing what cannot change the outcome:

1. A two-level cluster tree is built once from a sample (group centres, and inside each group a
   furthest-first cover as cluster centres), and every row is assigned to a cluster with
   rigorous bounds on its distance to the cluster centre. Clusters keep their radius and the
   largest nearest-centre distance of their rows; groups keep the same for their clusters.
2. When a new centre ``s`` arrives, the triangle inequality bounds ``||x - s||`` from below
   from ``||s - group/cluster centre||`` (small matrix-vector products) and the stored radii.
   A row whose bound is not below its nearest-centre distance cannot change: whole groups and
   clusters are skipped, then single rows. The labeled rows seed the distances the same way:
   each cluster only meets the labeled rows that its bounds leave possible.
3. The remaining rows get a fast distance in the features' precision with a rigorous error
   bound (every rounding counted). Each row keeps its nearest-centre distance as an interval
   that always contains the reference's float64 value, plus the centre attaining it; the exact
   value is computed only when an interval cannot decide a comparison or the row is a candidate
   for the furthest-first argmax.
4. When pruning leaves too many rows (unstructured data, or a radius still as large as the
   distances between clusters), one streaming matrix product over all rows handles the new
   centre together with the rows most likely to be picked next, whose results are kept.

Features may be a NumPy array, a torch tensor (the products run on its device, e.g. a GPU) or
an ``h5py`` dataset read in row chunks, so a matrix larger than memory works. Extra memory is
per-row bookkeeping (about 50 bytes a row), the cluster centres, and work tiles of about 1/64 of
the feature matrix (at most 64 MiB each): measured peaks stay under 25% of the matrix for rows
of 1 KiB and more (D >= 256 in float32).
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from alcore.sdk.errors import DataError
from alcore_acquisition.kcenter_reference import cold_start_index, squared_distances

log = logging.getLogger(__name__)

_U32 = 2.0**-24
_U64 = 2.0**-53
_MIB = 1 << 20


def _gamma(n: int, unit: float) -> float:
    """Higham's gamma_n = n·u / (1 - n·u): the relative error bound of n roundings."""
    return n * unit / (1.0 - n * unit)


@dataclass
class KCenterResult:
    """What a greedy k-center run selected, with the coverage radii it saw along the way."""

    #: row indices in pick order
    indices: np.ndarray
    #: Euclidean distance of each pick to its nearest earlier centre (inf for a cold-start pick)
    radii: np.ndarray
    #: largest distance of a remaining unlabeled row to its nearest centre after the last pick
    radius: float
    #: True when the budget covered every unlabeled row
    took_all: bool
    #: picks that fell back to a full pass over the features (pruning did not pay)
    dense_passes: int = 0
    #: rows whose fast distance to a new centre was computed, summed over picks
    rows_checked: int = 0
    #: exact float64 distances computed to settle a comparison or an argmax
    exact_distances: int = 0


def greedy_kcenter(
    features: Any,
    labeled_mask: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator | None = None,
    device: Any = None,
    chunk_rows: int | None = None,
) -> np.ndarray:
    """Return ``k`` row indices picked furthest-first from the labeled centres, in pick order."""
    return kcenter(features, labeled_mask, k, rng=rng, device=device, chunk_rows=chunk_rows).indices


def kcenter(
    features: Any,
    labeled_mask: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator | None = None,
    device: Any = None,
    chunk_rows: int | None = None,
    n_clusters: int | None = None,
) -> KCenterResult:
    """Run exact greedy k-center; return picks, radii and work counters.

    ``features``: N×D float16/32/64 NumPy array, torch tensor or h5py dataset. ``labeled_mask``:
    N booleans, the initial centres. ``k`` is clamped to the number of unlabeled rows (with a
    warning). ``rng`` only draws the cold-start pick. ``device`` runs the products on a torch
    device; ``chunk_rows`` sets the rows per streamed chunk; ``n_clusters`` the pruning clusters.
    """
    rows = _Rows(features, device, chunk_rows)
    labeled = np.asarray(labeled_mask, dtype=bool).reshape(-1)
    if labeled.shape[0] != rows.n:
        raise DataError(f"labeled mask has {labeled.shape[0]} entries but the features have {rows.n} rows")
    k = int(k)
    if k < 0:
        raise DataError(f"budget must be >= 0, got {k}")
    n_unlabeled = int(rows.n - labeled.sum())
    took_all = k >= n_unlabeled
    if k > n_unlabeled:
        log.warning("core-set budget %d exceeds the %d unlabeled rows; taking all of them", k, n_unlabeled)
        k = n_unlabeled
    if k == 0:
        return KCenterResult(np.zeros(0, dtype=np.int64), np.zeros(0), math.nan, took_all)
    if rows.dim == 0:
        raise DataError("features have no columns")
    with rows.compute_settings():
        return _Greedy(rows, labeled, rng, n_clusters).run(k, took_all)


class _Rows:
    """Uniform access to the feature rows: chunks, gathers and the few kernels the search needs."""

    def __init__(self, features: Any, device: Any, chunk_rows: int | None) -> None:
        kind = type(features).__module__.split(".")[0]
        if kind not in ("torch", "h5py", "numpy"):
            features, kind = np.asarray(features), "numpy"
        if kind == "torch" and device is None and features.device.type == "cpu":
            if str(features.dtype) in ("torch.float16", "torch.float32", "torch.float64"):
                # a CPU tensor shares its memory with NumPy, whose small kernels are cheaper
                features, kind = features.detach().numpy(), "numpy"
        self.torch: Any = None
        if kind == "torch" or device is not None:
            import torch

            self.torch = torch
            self.device = torch.device(device) if device is not None else features.device
            if kind == "numpy":
                features, kind = torch.from_numpy(np.ascontiguousarray(features)), "torch"
            if kind == "torch" and features.device != self.device:
                features = features.to(self.device)
        self.source = features
        self.kind = kind
        shape = tuple(features.shape)
        if len(shape) != 2:
            raise DataError(f"features must be a 2-D (rows x dims) array, got shape {shape}")
        self.n, self.dim = int(shape[0]), int(shape[1])
        if kind == "torch":
            name = str(features.dtype).replace("torch.", "")
            floating = name in ("float16", "bfloat16", "float32", "float64")
            self.wide = name == "float64"
            native = name in ("float32", "float64")
        else:
            dtype = np.dtype(features.dtype)
            name = str(dtype)
            floating = dtype.kind == "f" and dtype.itemsize <= 8
            self.wide = dtype.itemsize == 8
            native = dtype.isnative and dtype.itemsize >= 4
        if not floating:
            raise DataError(f"features must be float16, float32 or float64, got {name}")
        self.np_dtype = np.dtype(np.float64 if self.wide else np.float32)
        self.unit = _U64 if self.wide else _U32
        self.tiny = float(np.finfo(self.np_dtype).tiny)
        self.itemsize = self.np_dtype.itemsize
        self.row_bytes = max(1, self.dim * self.itemsize)
        self.nbytes = self.n * self.row_bytes
        # transient work arrays stay near 1/64 of the feature matrix
        self.work_bytes = int(min(64 * _MIB, max(self.nbytes // 64, _MIB // 4)))
        self.work_rows = max(1, self.work_bytes // self.row_bytes)
        if chunk_rows is None:
            views = kind != "h5py" and native
            chunk_bytes = 64 * _MIB if views else self.work_bytes
            chunk_rows = chunk_bytes // self.row_bytes
        self.chunk_rows = max(1, int(chunk_rows))
        if self.torch is not None:
            self.t_dtype = self.torch.float64 if self.wide else self.torch.float32

    @contextlib.contextmanager
    def compute_settings(self) -> Iterator[None]:
        """Full float32 products (the error bounds assume no TF32 or bf16) and one CPU thread.

        Most products here are small; on a busy machine, multi-threaded BLAS calls wait for
        descheduled threads (milliseconds each), so small products run on one thread through
        torch and only large ones use NumPy's multi-threaded BLAS.
        """
        import torch

        self.mm = torch
        precision, threads = torch.get_float32_matmul_precision(), torch.get_num_threads()
        torch.set_float32_matmul_precision("highest")
        on_cpu = self.torch is None or self.device.type == "cpu"
        if on_cpu:
            torch.set_num_threads(1)
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                yield
        finally:
            torch.set_float32_matmul_precision(precision)
            if on_cpu:
                torch.set_num_threads(threads)

    def chunks(self) -> Iterator[tuple[int, int, Any]]:
        """Yield ``(start, stop, block)`` over all rows, blocks in the compute dtype."""
        for start in range(0, self.n, self.chunk_rows):
            stop = min(self.n, start + self.chunk_rows)
            yield start, stop, self.read(start, stop)

    def read(self, start: int, stop: int) -> Any:
        """Rows ``start:stop`` in the compute dtype, on the compute device."""
        if self.kind == "torch":
            return self.source[start:stop].to(self.t_dtype)
        return self.put(np.asarray(self.source[start:stop], dtype=self.np_dtype))

    def take(self, idx: np.ndarray) -> Any:
        """Rows ``idx`` (sorted, unique) in the compute dtype, on the compute device."""
        if self.kind == "torch":
            index = self.torch.as_tensor(idx, dtype=self.torch.long, device=self.device)
            return self.source.index_select(0, index).to(self.t_dtype)
        if self.kind == "h5py":
            return self.put(np.asarray(self._h5_take(idx), dtype=self.np_dtype))
        return self.put(np.take(self.source, idx, axis=0).astype(self.np_dtype, copy=False))

    def _h5_take(self, idx: np.ndarray) -> np.ndarray:
        """Read scattered rows from HDF5: nearby rows as slices (fast), isolated ones by selection."""
        out = np.empty((len(idx), self.dim), dtype=self.source.dtype)
        if len(idx) == 0:
            return out
        # runs of at least 64 rows, each at most 8 apart, are read as one slice each
        breaks = np.flatnonzero(np.diff(idx) > 8) + 1
        starts = np.concatenate([[0], breaks])
        stops = np.concatenate([breaks, [len(idx)]])
        long = stops - starts >= 64
        rest = np.ones(len(idx), dtype=bool)
        for a, b in zip(starts[long], stops[long]):
            lo, hi = int(idx[a]), int(idx[b - 1]) + 1
            out[a:b] = self.source[lo:hi][idx[a:b] - lo]
            rest[a:b] = False
        if rest.any():
            out[rest] = self.source[idx[rest]]
        return out

    def put(self, block: np.ndarray) -> Any:
        """Move a host array (compute dtype) to the compute device."""
        if self.torch is None:
            return block
        return self.torch.from_numpy(np.ascontiguousarray(block)).to(self.device)

    def host(self, block: Any) -> np.ndarray:
        """A compute-device block as a host array in the compute dtype."""
        if self.torch is None:
            return block
        return block.detach().to("cpu").numpy()

    def matmul_t(self, a: Any, b: Any) -> np.ndarray:
        """``a @ b.T`` (``a @ b`` for a vector ``b``) in the compute dtype, as a host array."""
        if self.torch is not None:
            return self.host(a @ (b.T if b.ndim == 2 else b))
        if a.shape[0] * a.shape[1] * (b.shape[0] if b.ndim == 2 else 1) >= 1 << 28:
            return a @ (b.T if b.ndim == 2 else b)
        ta, tb = self.mm.from_numpy(a), self.mm.from_numpy(b)
        return (ta @ (tb.T if b.ndim == 2 else tb)).numpy()

    def sqdist(self, a: Any, b: Any) -> np.ndarray:
        """Row-wise ``||a_i - b||²`` in the compute dtype (blocked), returned as float64."""
        out = np.empty(a.shape[0])
        step = max(1, self.work_rows // 2)
        for r0 in range(0, a.shape[0], step):
            part = a[r0 : r0 + step]
            if self.torch is not None:
                diff = part - b
                out[r0 : r0 + step] = self.host((diff * diff).sum(dim=1))
            else:
                diff = np.subtract(part, b)
                np.multiply(diff, diff, out=diff)
                out[r0 : r0 + step] = diff.sum(axis=1)
        return out

    def check_finite(self, block: Any, index: np.ndarray, max_abs: float) -> None:
        """Raise a clear error for NaN, infinite or overflow-prone values in ``block``."""
        if self.torch is not None:
            peak = float(block.abs().max()) if block.numel() else 0.0
        else:
            peak = max(float(np.max(block)), -float(np.min(block))) if block.size else 0.0
        if peak <= max_abs:
            return
        if self.torch is not None:
            finite = self.host(self.torch.isfinite(block).all(dim=1))
        else:
            finite = np.isfinite(block).all(axis=1)
        bad = np.flatnonzero(~finite)
        if len(bad):
            raise DataError(
                f"features contain NaN or infinite values ({len(bad)} rows in this chunk, "
                f"first at row {int(index[bad[0]])})",
                hint="recompute the embedding or drop those samples",
            )
        raise DataError(
            f"feature values up to {peak:.3g} are too large for exact distances (limit {max_abs:.3g})",
            hint="rescale the features",
        )


class _Greedy:
    """State of one exact greedy k-center run: clusters, bounds, nearest-centre intervals.

    For every row ``x`` the run keeps ``owner[x]`` (a centre at the exact nearest distance) and
    ``lo[x] <= d(x) <= hi[x]`` where ``d(x)`` is the reference's float64 squared distance to
    ``owner[x]``; ``exact[x]`` says ``lo == hi == d(x)``. Centres hold ``-inf``.
    """

    def __init__(
        self,
        rows: _Rows,
        labeled: np.ndarray,
        rng: np.random.Generator | None,
        n_clusters: int | None,
    ) -> None:
        self.rows = rows
        self.labeled = labeled
        self.rng = rng
        n, dim, unit = rows.n, rows.dim, rows.unit
        wanted = n_clusters or int(min(4096, max(8, 3 * math.sqrt(n))))
        self.n_clusters = max(1, min(wanted, n))
        # relative error of a fast direct distance sum(fl(x - s)²) or sum of squares
        self.g_direct = 2.0 * _gamma(dim + 4, unit)
        # relative error of a dot product in the compute dtype (any summation order, FMA or not)
        self.g_dot = _gamma(dim + 1, unit)
        # relative error of the exact (reference) float64 distance
        self.g_exact = 2.0 * _gamma(dim + 4, _U64)
        self.unit = unit
        # absolute slack for underflow of tiny squares and products
        self.eta = 4.0 * (dim + 8) * rows.tiny
        # largest magnitude for which no square or product of the search can overflow
        self.max_abs = math.sqrt(float(np.finfo(rows.np_dtype).max) / (16.0 * (dim + 8)))
        self.dense_ratio = {"numpy": 12.0, "h5py": 24.0, "torch": 4.0}[rows.kind]
        self.index_dtype = np.int32 if n < 2**31 else np.int64
        self.dense_passes = 0
        self.dense_streak = 0
        # distances from the rows likely to be picked next, computed by the last full pass
        self.spec: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.spec_batch = 32
        self.rows_checked = 0
        self.exact_distances = 0

    # -- bounds -----------------------------------------------------------------------------------

    def exact_floor(self, true_sq: np.ndarray) -> np.ndarray:
        """A value the reference float64 distance cannot be below, given a bound on the true one."""
        return true_sq * (1.0 - self.g_exact)

    def exact_ceil(self, true_sq: np.ndarray) -> np.ndarray:
        """A value the reference float64 distance cannot exceed, given a bound on the true one."""
        return true_sq * (1.0 + self.g_exact) + self.eta

    def direct_bounds(self, approx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on the reference distance from a fast direct ``sum(fl(x - s)²)``."""
        lo = np.maximum(approx * (1.0 - self.g_direct) - self.eta, 0.0)
        return self.exact_floor(lo), self.exact_ceil(approx * (1.0 + self.g_direct) + self.eta)

    def centre_terms(self, block: np.ndarray) -> dict[str, Any]:
        """Per-centre quantities of the centred product bound, from host centre rows."""
        parts: dict[str, list[np.ndarray]] = {"centred": [], "q": [], "h": [], "habs": []}
        step = max(1, self.rows.work_rows // 8)
        for r0 in range(0, len(block), step):
            diff = np.subtract(block[r0 : r0 + step], self.m64, dtype=np.float64)
            parts["q"].append(np.add.reduce(diff * diff, axis=1))
            prod = diff * self.m64
            parts["h"].append(np.add.reduce(prod, axis=1))
            parts["habs"].append(np.add.reduce(np.abs(prod, out=prod), axis=1))
            parts["centred"].append(diff.astype(self.rows.np_dtype))
        out: dict[str, Any] = {key: np.concatenate(value) for key, value in parts.items()}
        out["centred"] = self.rows.put(out["centred"])
        out["norm"] = np.sqrt(out["q"]) * (1.0 + 4.0 * self.g_direct) + self.eta
        return out

    def product_bounds(
        self, g: np.ndarray, qx: np.ndarray, xnorm: np.ndarray, c: dict[str, Any], centred: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on the true ``||x - c||²`` from a product ``g`` in the compute dtype.

        With ``centred``, ``g = fl(fl(x - m) · fl(c - m))`` and ``xnorm >= ||x - m||``; then
        ``||x - c||² = ||x - m||² + ||c - m||² - 2 (x - m)·(c - m)``. Otherwise
        ``g = fl(x · fl(c - m))``, ``xnorm >= ||x||`` and the identity gains ``+ 2 m·(c - m)``.
        Centring by the mean ``m`` makes the cancellation error scale with the spread of the
        features rather than their offset. Every rounding is counted: the true value lies inside.
        """
        qc = c["q"]
        if centred:
            est = qx + qc - 2.0 * g
            dot_err = (self.g_dot + 2.05 * self.unit) * xnorm * c["norm"]
            extra = self.g_exact * qc + 8.0 * _U64 * (qx + qc + 2.0 * np.abs(g))
        else:
            h = c["h"]
            est = qx + qc - 2.0 * g + 2.0 * h
            dot_err = (self.g_dot + 1.01 * self.unit) * xnorm * c["norm"]
            extra = self.g_exact * (qc + 2.0 * c["habs"]) + 8.0 * _U64 * (
                qx + qc + 2.0 * np.abs(g) + 2.0 * np.abs(h)
            )
        err = (2.0 * dot_err + self.g_direct * qx + extra + self.eta) * 1.01
        return np.maximum(est - err, 0.0), est + err

    # -- exact distances and the interval rule ----------------------------------------------------

    def exact_pairs(self, xs: np.ndarray, cs: np.ndarray) -> np.ndarray:
        """The reference float64 distances ``||x_i - c_i||²`` for row-index pairs."""
        out = np.empty(len(xs))
        step = max(1, self.rows.work_rows // 4)
        for p0 in range(0, len(xs), step):
            x, c = xs[p0 : p0 + step], cs[p0 : p0 + step]
            need, inverse = np.unique(np.concatenate([x, c]), return_inverse=True)
            block = self.rows.host(self.rows.take(need))
            out[p0 : p0 + step] = squared_distances(block[inverse[: len(x)]], block[inverse[len(x) :]])
        self.exact_distances += len(xs)
        return out

    def settle(self, idx: np.ndarray) -> None:
        """Replace the intervals of rows ``idx`` by their exact distances to their owners."""
        idx = idx[~self.exact[idx]]
        if len(idx):
            value = self.exact_pairs(idx, self.owner[idx])
            self.lo[idx] = value
            self.hi[idx] = value
            self.exact[idx] = True

    def offer(self, idx: np.ndarray, centre: Any, c_lo: np.ndarray, c_hi: np.ndarray) -> np.ndarray:
        """Offer centre(s) with reference-distance bounds ``[c_lo, c_hi]`` to rows ``idx``.

        A row moves to the centre when it is surely nearer, ignores it when surely not nearer,
        and settles exactly otherwise. Returns the rows whose nearest distance went down.
        """
        centre = np.broadcast_to(np.asarray(centre, dtype=np.int64), idx.shape)
        lo, hi = self.lo[idx], self.hi[idx]
        wins = c_hi < lo
        unsure = ~wins & (c_lo < hi)
        at = np.flatnonzero(wins)
        win_rows = idx[at]
        self.owner[win_rows] = centre[at]
        self.lo[win_rows] = c_lo[at]
        self.hi[win_rows] = c_hi[at]
        self.exact[win_rows] = False
        moved = [win_rows]
        if unsure.any():
            at = np.flatnonzero(unsure)
            rows_u, centres_u = idx[at], centre[at]
            self.settle(rows_u)
            value = self.exact_pairs(rows_u, centres_u)
            better = value < self.lo[rows_u]
            for key, arr in (("owner", centres_u), ("lo", value), ("hi", value)):
                getattr(self, key)[rows_u[better]] = arr[better]
            moved.append(rows_u[better])
        return np.concatenate(moved)

    # -- set-up: centring vector and a two-level cluster tree --------------------------------------

    def farthest_first(self, centred: Any, norms: np.ndarray, count: int, start: int) -> np.ndarray:
        """Approximate furthest-first order of up to ``count`` rows of a centred block."""
        nearest = np.full(len(norms), np.inf)
        chosen = [start]
        for _ in range(min(count, len(norms)) - 1):
            current = chosen[-1]
            g = self.rows.matmul_t(centred, centred[current])
            np.minimum(nearest, norms + norms[current] - 2.0 * g, out=nearest)
            nearest[current] = -np.inf
            following = int(np.argmax(nearest))
            if not nearest[following] > 0:
                break
            chosen.append(following)
        return np.asarray(chosen, dtype=np.int64)

    def build_tree(self) -> None:
        """A two-level cluster tree from a sample: groups, then clusters inside each group.

        Group centres are sample rows (half a furthest-first cover, half random); each group's
        sample rows get their own furthest-first cover (starting at the group centre) as cluster
        centres, as many as the group's share of the sample. Only the pruning power depends on
        this tree, never the result.
        """
        rows, n, want = self.rows, self.rows.n, self.n_clusters
        n_groups = max(1, int(math.ceil(math.sqrt(want))))
        size = int(min(n, max(2 * want, min(8 * want, 4 * rows.work_rows))))
        sample_rng = np.random.default_rng(0x6B63)
        pool = np.sort(sample_rng.choice(n, size, replace=False)) if size < n else np.arange(n)
        block = rows.take(pool)
        rows.check_finite(block, pool, self.max_abs)
        mean = np.add.reduce(rows.host(block), axis=0, dtype=np.float64) / len(pool)
        self.m64 = mean.astype(rows.np_dtype).astype(np.float64)
        self.m = rows.put(self.m64.astype(rows.np_dtype))
        self.m_norm = math.sqrt(float(np.add.reduce(self.m64 * self.m64))) * (1 + 1e-9)
        block -= self.m
        norms = rows.sqdist(block, 0.0)
        # half the group centres spread out (furthest-first), half random: random ones split the
        # dense regions that would otherwise gather most rows in one group and slow assignment
        spread = self.farthest_first(block, norms, max(1, n_groups // 2), 0)
        rest = np.setdiff1d(np.arange(len(pool)), spread)
        extra = sample_rng.choice(rest, min(len(rest), n_groups - len(spread)), replace=False)
        tops = np.sort(np.concatenate([spread, extra]))
        est = norms[tops][None, :] - 2.0 * rows.matmul_t(block, self.gather(block, tops))
        group = np.argmin(est, axis=1)
        group[tops] = np.arange(len(tops))
        del est
        fine, sizes = [], []
        for g, top in enumerate(tops):
            members = np.flatnonzero(group == g)
            count = max(1, int(round(want * len(members) / len(pool))))
            start = int(np.searchsorted(members, top))
            part = self.gather(block, members)
            picked = self.farthest_first(part, norms[members], count, start)
            fine.append(members[picked])
            sizes.append(len(picked))
        del block
        centres = pool[np.concatenate(fine)]
        self.n_clusters = len(centres)
        self.n_groups = len(tops)
        self.group_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.group_of = np.repeat(np.arange(self.n_groups), sizes)
        order = np.argsort(centres)
        raw = np.empty((len(centres), rows.dim), dtype=rows.np_dtype)
        raw[order] = rows.host(rows.take(centres[order]))
        self.tree = self.centre_terms(raw)
        self.top_rows = self.gather(self.tree["centred"], self.group_offsets[:-1])

    def gather(self, block: Any, idx: np.ndarray) -> Any:
        """Rows ``idx`` of a compute-device block (a copy)."""
        if self.rows.torch is not None:
            index = self.rows.torch.as_tensor(idx, dtype=self.rows.torch.long, device=block.device)
            return block.index_select(0, index)
        return np.take(block, idx, axis=0)

    def assign_pass(self) -> None:
        """One pass: check values, row terms, and each row's cluster with rigorous radius bounds."""
        rows, n, tree = self.rows, self.rows.n, self.tree
        self.qx = np.zeros(n)
        self.cid = np.zeros(n, dtype=self.index_dtype)
        rho_lo2 = np.zeros(n)
        rho_hi2 = np.zeros(n)
        q_tops = tree["q"][self.group_offsets[:-1]]
        tile = int(max(1, min(rows.chunk_rows, max(1024, rows.work_rows))))
        for start, stop, chunk in rows.chunks():
            rows.check_finite(chunk, np.arange(start, stop), self.max_abs)
            for t0 in range(start, stop, tile):
                t1 = min(stop, t0 + tile)
                centred = chunk[t0 - start : t1 - start] - self.m
                q = rows.sqdist(centred, 0.0)
                self.qx[t0:t1] = q
                cnorm = np.sqrt(q * (1.0 + self.g_direct))
                group = np.argmin(q_tops[None, :] - 2.0 * rows.matmul_t(centred, self.top_rows), axis=1)
                for g in np.unique(group):
                    j0, j1 = self.group_offsets[g], self.group_offsets[g + 1]
                    members = np.flatnonzero(group == g)
                    step = int(max(1, rows.work_bytes // (16 * (j1 - j0))))
                    for a0 in range(0, len(members), step):
                        at = members[a0 : a0 + step]
                        gk = rows.matmul_t(self.gather(centred, at), tree["centred"][j0:j1])
                        pick = np.argmin(tree["q"][None, j0:j1] - 2.0 * gk, axis=1)
                        j = j0 + pick
                        terms = {"q": tree["q"][j], "norm": tree["norm"][j]}
                        g_sel = gk[np.arange(len(at)), pick]
                        lo, hi = self.product_bounds(g_sel, q[at], cnorm[at], terms, centred=True)
                        self.cid[t0 + at] = j
                        rho_lo2[t0 + at] = lo
                        rho_hi2[t0 + at] = hi
        self.rho_lo = _round32(np.sqrt(rho_lo2) * (1.0 - 4 * _U64), down=True)
        self.rho_hi = _round32(np.sqrt(rho_hi2) * (1.0 + 4 * _U64), down=False)

    def build_clusters(self, centre_rows: np.ndarray) -> None:
        """Cluster member lists and radii, and each group's radius around its top cluster."""
        c, tree = self.n_clusters, self.tree
        self.members = np.argsort(self.cid, kind="stable").astype(self.index_dtype)
        self.counts = np.bincount(self.cid, minlength=c)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        live = np.ones(self.rows.n, dtype=bool)
        live[centre_rows] = False
        self.cluster_radius = np.zeros(c)
        np.maximum.at(self.cluster_radius, self.cid[live], self.rho_hi[live])
        self.group_radius = np.zeros(self.n_groups)
        for g in range(self.n_groups):
            j0, j1 = self.group_offsets[g], self.group_offsets[g + 1]
            top = {"q": tree["q"][j0], "norm": tree["norm"][j0]}
            gk = self.rows.matmul_t(tree["centred"][j0:j1], tree["centred"][j0])
            _, hi = self.product_bounds(gk, tree["q"][j0:j1], tree["norm"][j0:j1], top, centred=True)
            reach = np.sqrt(hi) * (1.0 + 4 * _U64) + self.cluster_radius[j0:j1]
            self.group_radius[g] = reach.max() * (1.0 + 4 * _U64)

    def centre_blocks(self, centre_rows: np.ndarray) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
        """Blocks of (sorted) centre row ids with their product terms, sized to the work memory."""
        rows = self.rows
        width = int(max(1, min(rows.work_rows, rows.work_bytes // self.n_clusters)))
        for b0 in range(0, len(centre_rows), width):
            ids = centre_rows[b0 : b0 + width]
            yield ids, self.centre_terms(rows.host(rows.take(ids)))

    def cluster_centre_bounds(self, terms: dict[str, Any]) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """Bounds on true distances (not squared) from every cluster centre to slices of centres."""
        tree = self.tree
        step = int(max(1, self.rows.work_bytes // (48 * self.n_clusters)))
        for c0 in range(0, len(terms["q"]), step):
            cols = slice(c0, c0 + step)
            part = {key: value[cols] for key, value in terms.items()}
            g = self.rows.matmul_t(tree["centred"], part["centred"])
            lo, hi = self.product_bounds(g, tree["q"][:, None], tree["norm"][:, None], part, centred=True)
            yield cols, np.sqrt(lo) * (1.0 - 4 * _U64), np.sqrt(hi) * (1.0 + 4 * _U64)

    def seed_pass(self, centre_rows: np.ndarray) -> None:
        """First intervals: each row meets only the centres its cluster's bounds leave possible.

        A row ``x`` of cluster ``j`` is within ``r_j + min_c ||μ_j - c||`` of some centre, and at
        least ``||μ_j - c|| - r_j`` from centre ``c``; centres whose lower bound exceeds the upper
        one are skipped for the whole cluster. Rows are visited sorted by cluster, so a tile's
        product only involves the union of its clusters' remaining centres.
        """
        rows, n = self.rows, self.rows.n
        self.lo = np.full(n, np.inf)
        self.hi = np.full(n, np.inf)
        self.owner = np.full(n, -1, dtype=self.index_dtype)
        self.exact = np.zeros(n, dtype=bool)
        reach = np.full(self.n_clusters, np.inf)
        for _, terms in self.centre_blocks(centre_rows):
            for _, _, hi in self.cluster_centre_bounds(terms):
                np.minimum(reach, hi.min(axis=1), out=reach)
        reach_ceil = self.exact_ceil(((reach + self.cluster_radius) * (1.0 + 8 * _U64)) ** 2)
        for ids, terms in self.centre_blocks(centre_rows):
            relevant = np.empty((self.n_clusters, len(ids)), dtype=bool)
            for cols, lo, _ in self.cluster_centre_bounds(terms):
                gap = np.maximum(lo - self.cluster_radius[:, None], 0.0) * (1.0 - 8 * _U64)
                relevant[:, cols] = self.exact_floor(gap**2) <= reach_ceil[:, None]
            width = len(ids)
            per_cluster = relevant.sum(axis=1)
            for start, stop, chunk in rows.chunks():
                if 2 * per_cluster[self.cid[start:stop]].mean() > width:
                    tile = int(max(256, rows.work_bytes // (rows.itemsize * width)))
                    for t0 in range(start, stop, tile):
                        t1 = min(stop, t0 + tile)
                        block = chunk[t0 - start : t1 - start] - self.m
                        self.seed_rows(np.arange(t0, t1), block, ids, terms)
                    continue
                order = np.argsort(self.cid[start:stop], kind="stable")
                for a0, a1 in _tiles(self.cid[start:stop][order]):
                    at = order[a0:a1]
                    idx = start + at
                    cols = np.flatnonzero(relevant[np.unique(self.cid[idx])].any(axis=0))
                    if len(cols) == 0:
                        continue
                    if 2 * len(cols) > width:
                        cols, part = np.arange(width), terms
                    else:
                        part = {key: value[cols] for key, value in terms.items() if key != "centred"}
                        part["centred"] = self.gather(terms["centred"], cols)
                    self.seed_rows(idx, self.gather(chunk, at) - self.m, ids[cols], part)

    def seed_rows(self, idx: np.ndarray, centred: Any, col_ids: np.ndarray, terms: dict[str, Any]) -> None:
        """Seed rows ``idx`` (given centred) against centres ``col_ids`` with product terms."""
        g_all = self.rows.matmul_t(centred, terms["centred"])
        sub = int(max(1, self.rows.work_bytes // (80 * len(col_ids))))
        for s0 in range(0, len(idx), sub):
            qx = self.qx[idx[s0 : s0 + sub], None]
            cnorm = np.sqrt(qx * (1.0 + self.g_direct))
            lo, hi = self.product_bounds(g_all[s0 : s0 + sub], qx, cnorm, terms, centred=True)
            self.seed_tile(idx[s0 : s0 + sub], col_ids, lo, hi)

    def seed_tile(self, idx: np.ndarray, col_ids: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Offer a tile's centres to its rows: the surely-nearest one, or settle the close calls."""
        floor = self.exact_floor(lo)
        ceil = self.exact_ceil(hi)
        best = np.argmin(ceil, axis=1)
        at = np.arange(len(lo))
        best_ceil = ceil[at, best]
        rivals = (floor <= best_ceil[:, None]).sum(axis=1) > 1
        clear = ~rivals
        self.offer(idx[clear], col_ids[best[clear]], floor[clear, best[clear]], best_ceil[clear])
        if rivals.any():
            r_at = np.flatnonzero(rivals)
            ri, ci = np.nonzero(floor[r_at] <= best_ceil[r_at, None])
            rows_r, cols_r = idx[r_at][ri], col_ids[ci]
            value = self.exact_pairs(rows_r, cols_r)
            order = np.lexsort((value, rows_r))
            rows_r, cols_r, value = rows_r[order], cols_r[order], value[order]
            first = np.concatenate([[True], rows_r[1:] != rows_r[:-1]])
            self.offer(rows_r[first], cols_r[first], value[first], value[first])

    # -- the greedy loop --------------------------------------------------------------------------

    def refresh(self, clusters: np.ndarray) -> None:
        """Recompute the largest upper nearest-centre distance of some clusters and their groups."""
        if len(clusters) > 64 or not hasattr(self, "cmax"):
            nonempty = self.counts > 0
            self.cmax = np.full(self.n_clusters, -np.inf)
            self.cmax[nonempty] = np.maximum.reduceat(self.hi[self.members], self.offsets[:-1][nonempty])
            self.gmax = np.maximum.reduceat(self.cmax, self.group_offsets[:-1])
            return
        for j in clusters:
            seg = self.members[self.offsets[j] : self.offsets[j + 1]]
            self.cmax[j] = self.hi[seg].max() if len(seg) else -np.inf
        for g in np.unique(self.group_of[clusters]):
            self.gmax[g] = self.cmax[self.group_offsets[g] : self.group_offsets[g + 1]].max()

    def next_pick(self) -> int:
        """The row furthest from its nearest centre (lowest index on ties), or -1 if none is left.

        The largest upper bound is taken; if that row's distance is not exact yet it is settled
        and the search repeats. An exact row whose value is the largest upper bound is the
        reference's argmax: every other row is at most its upper bound, and an equal row with a
        lower index would have had an equal upper bound and been found first.
        """
        while True:
            i = int(np.argmax(self.hi))
            if not self.hi[i] > -np.inf:
                return -1
            if self.exact[i]:
                return i
            self.settle(np.asarray([i]))

    def lower_gap(self, dist_lo: np.ndarray, radius: np.ndarray) -> np.ndarray:
        """Floor of the reference distance implied by ``||x - s|| >= dist_lo - radius``."""
        gap = np.maximum(dist_lo - radius, 0.0) * (1.0 - 8 * _U64)
        return np.where(dist_lo > radius, self.exact_floor(gap**2), -np.inf)

    def add_centre(self, i: int) -> None:
        """Lower every row's nearest-centre interval to account for new centre row ``i``."""
        rows, tree = self.rows, self.tree
        self.lo[i] = self.hi[i] = -np.inf
        self.owner[i] = i
        self.exact[i] = True
        touched = [np.asarray([self.cid[i]])]
        if i in self.spec:
            # distances to this centre were computed, with others', by an earlier full pass
            rows_c, floor, ceil = self.spec.pop(i)
            near = floor < self.hi[rows_c]
            moved = self.offer(rows_c[near], i, floor[near], ceil[near])
            self.refresh(np.unique(np.concatenate([touched[0], self.cid[moved]])))
            return
        s_block = rows.take(np.asarray([i]))
        single = {key: value[0] for key, value in self.centre_terms(rows.host(s_block)).items()}
        if self.dense_streak >= 8 and self.dense_passes % 16:
            # the bounds have not paid for a while: go straight to the full pass, re-test later
            moved = self.dense_update(i)
            self.refresh(np.unique(np.concatenate([touched[0], self.cid[moved]])))
            return

        tops = self.group_offsets[:-1]
        g = rows.matmul_t(self.top_rows, single["centred"])
        lo, _ = self.product_bounds(g, tree["q"][tops], tree["norm"][tops], single, centred=True)
        floor = self.lower_gap(np.sqrt(lo) * (1.0 - 4 * _U64), self.group_radius)
        groups = np.flatnonzero((self.gmax > -np.inf) & (floor < self.gmax))
        if len(groups) == self.n_groups:
            clusters, block = np.arange(self.n_clusters), tree["centred"]
        else:
            clusters = _ranges(self.group_offsets, groups)
            block = self.gather(tree["centred"], clusters)
        if len(clusters):
            g = rows.matmul_t(block, single["centred"])
            lo, hi = self.product_bounds(g, tree["q"][clusters], tree["norm"][clusters], single, centred=True)
            dlo = np.sqrt(lo) * (1.0 - 4 * _U64)
            dhi = np.sqrt(hi) * (1.0 + 4 * _U64)
            cmax = self.cmax[clusters]
            hit = (cmax > -np.inf) & (self.lower_gap(dlo, self.cluster_radius[clusters]) < cmax)
            clusters, dlo, dhi = clusters[hit], dlo[hit], dhi[hit]
        if len(clusters):
            idx = self.members[_ranges(self.offsets, clusters)]
            where = np.repeat(np.arange(len(clusters)), self.counts[clusters])
            floor = np.maximum(
                self.lower_gap(dlo[where], self.rho_hi[idx]),
                self.lower_gap(self.rho_lo[idx], dhi[where]),
            )
            idx = idx[floor < self.hi[idx]]
            if len(idx) * self.dense_ratio > rows.n:
                moved = self.dense_update(i)
                self.dense_streak += 1
            else:
                moved = self.direct_update(i, np.sort(idx), s_block[0])
                self.dense_streak = 0
            touched.append(self.cid[moved])
        self.refresh(np.unique(np.concatenate(touched)))

    def direct_update(self, i: int, idx: np.ndarray, s: Any) -> np.ndarray:
        """Fast direct distances from centre ``i`` to rows ``idx``, offered to those rows."""
        moved = [np.zeros(0, dtype=np.int64)]
        self.rows_checked += len(idx)
        step = max(1, self.rows.work_rows // 2)
        for p0 in range(0, len(idx), step):
            part = idx[p0 : p0 + step]
            c_lo, c_hi = self.direct_bounds(self.rows.sqdist(self.rows.take(part), s))
            near = c_lo < self.hi[part]
            moved.append(self.offer(part[near], i, c_lo[near], c_hi[near]))
        return np.concatenate(moved)

    def dense_update(self, i: int) -> np.ndarray:
        """One streaming product pass over all rows for centre ``i`` and likely next centres.

        When bounds cannot prune, reading the features dominates; the same pass therefore also
        computes distances to the rows most likely to be picked next (the largest upper bounds)
        and keeps, for each, the rows it might become nearest to. Those lists stay valid, since
        distances only shrink, and a later pick found there needs no pass of its own.
        """
        rows, n = self.rows, self.rows.n
        self.dense_passes += 1
        self.rows_checked += n
        self.spec = {}
        live = np.flatnonzero(self.hi > -np.inf)
        extra = min(self.spec_batch - 1, len(live))
        if extra:
            top = live[np.argpartition(self.hi[live], len(live) - extra)[len(live) - extra :]]
        else:
            top = np.zeros(0, dtype=np.int64)
        cands = np.sort(np.concatenate([[i], top]))
        first = int(np.searchsorted(cands, i))
        terms = self.centre_terms(rows.host(rows.take(cands)))
        cap = max(256, n // 32)
        kept: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        counts = np.zeros(len(cands), dtype=np.int64)
        moved = [np.zeros(0, dtype=np.int64)]
        sub = int(max(1, rows.work_bytes // (64 * len(cands))))
        for start, stop, block in rows.chunks():
            g_all = rows.matmul_t(block, terms["centred"])
            for s0 in range(start, stop, sub):
                s1 = min(stop, s0 + sub)
                g = g_all[s0 - start : s1 - start]
                qx = self.qx[s0:s1, None]
                xnorm = np.sqrt(qx * (1.0 + self.g_direct)) + self.m_norm
                lo, hi = self.product_bounds(g, qx, xnorm, terms, centred=False)
                floor = self.exact_floor(lo)
                near = np.flatnonzero(floor[:, first] < self.hi[s0:s1])
                ceil = self.exact_ceil(hi[near, first])
                moved.append(self.offer(near + s0, i, floor[near, first], ceil))
                r, b = np.nonzero(floor < self.hi[s0:s1, None])
                keep = b != first
                r, b = r[keep], b[keep]
                counts += np.bincount(b, minlength=len(cands))
                kept.append((r + s0, b, floor[r, b], self.exact_ceil(hi[r, b])))
            full = np.flatnonzero(counts > cap)
            if len(full):
                kept = [tuple(a[~np.isin(part[1], full)] for a in part) for part in kept]
        if kept:
            r, b, floor, ceil = (np.concatenate(a) for a in zip(*kept))
            order = np.argsort(b, kind="stable")
            r, b, floor, ceil = r[order], b[order], floor[order], ceil[order]
            bounds = np.searchsorted(b, np.arange(len(cands) + 1))
            for j in range(len(cands)):
                if j != first and counts[j] <= cap:
                    part = slice(bounds[j], bounds[j + 1])
                    self.spec[int(cands[j])] = (r[part], floor[part], ceil[part])
        return np.concatenate(moved)

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
        self.build_tree()
        self.assign_pass()
        self.build_clusters(centre_rows)
        self.seed_pass(centre_rows)
        self.lo[centre_rows] = self.hi[centre_rows] = -np.inf
        self.exact[centre_rows] = True
        self.owner[centre_rows] = centre_rows
        self.refresh(np.arange(self.n_clusters))
        while len(picks) < k:
            i = self.next_pick()
            if i < 0:
                break
            picks.append(i)
            radii.append(math.sqrt(self.hi[i]))
            self.add_centre(i)
        last = self.next_pick()
        return KCenterResult(
            indices=np.asarray(picks, dtype=np.int64),
            radii=np.asarray(radii),
            radius=math.sqrt(self.hi[last]) if last >= 0 else 0.0,
            took_all=took_all,
            dense_passes=self.dense_passes,
            rows_checked=self.rows_checked,
            exact_distances=self.exact_distances,
        )


def _ranges(offsets: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(offsets[w], offsets[w + 1])`` over ``w`` in ``which``."""
    sizes = offsets[which + 1] - offsets[which]
    shift = np.repeat(offsets[which] - np.cumsum(sizes) + sizes, sizes)
    return np.arange(int(sizes.sum()), dtype=np.int64) + shift


def _tiles(sorted_ids: np.ndarray, small: int = 64, most: int = 512) -> Iterator[tuple[int, int]]:
    """Split rows sorted by cluster into tiles: a large cluster alone, small ones together."""
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_ids)) + 1, [len(sorted_ids)]])
    begin = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b - a >= small:
            if begin < a:
                yield begin, a
            for t in range(a, b, most):
                yield t, min(b, t + most)
            begin = b
        elif b - begin > most:
            yield begin, a
            begin = a
    if begin < len(sorted_ids):
        yield begin, len(sorted_ids)


def _round32(values: np.ndarray, down: bool) -> np.ndarray:
    """float64 bounds stored as float32, rounded outward so they remain bounds."""
    out = values.astype(np.float32)
    if down:
        wrong = out > values
        out[wrong] = np.nextafter(out[wrong], np.float32(-np.inf))
    else:
        wrong = out < values
        out[wrong] = np.nextafter(out[wrong], np.float32(np.inf))
    return out
