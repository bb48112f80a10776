"""Uniform access to feature rows (NumPy, torch on any device, h5py streamed in chunks)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from alcore.sdk.errors import DataError
from alcore_acquisition.kcenter.bounds import _U32, _U64

_MIB = 1 << 20


class Rows:
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

        Most products here are small or memory-bound; on a busy machine, multi-threaded BLAS
        calls wait for descheduled threads (milliseconds each). So NumPy's BLAS and torch run on
        one thread for the call (both restored after). NumPy multiplies NumPy arrays by a
        vector (faster than torch there); torch multiplies them by a few rows, in row tiles, so
        its packing buffers stay small.
        """
        import torch
        from threadpoolctl import threadpool_limits

        self.mm = torch
        precision, threads = torch.get_float32_matmul_precision(), torch.get_num_threads()
        torch.set_float32_matmul_precision("highest")
        on_cpu = self.torch is None or self.device.type == "cpu"
        if on_cpu:
            torch.set_num_threads(1)
        try:
            with warnings.catch_warnings(), threadpool_limits(1 if on_cpu else None, user_api="blas"):
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
        if b.ndim == 1 or len(b) == 1 or a.ndim == 1 or len(a) <= 4096:
            # vectors, and blocks of up to a few thousand rows (the tree's and the seeding's
            # tiles): NumPy's BLAS is as fast or 25-35% faster than torch there (measured)
            return a @ (b.T if b.ndim == 2 else b)
        # tall blocks by a few columns: torch's one-thread kernels are 2-3x faster than NumPy's
        # BLAS here (a multi-row pass of 2-4 columns costs about one matrix-vector product);
        # 256-row tiles keep torch's packing buffers small, and the results go into one array
        torch = self.mm
        out = np.empty((a.shape[0], b.shape[0]), dtype=np.result_type(a.dtype, b.dtype))
        tb = torch.from_numpy(b).T
        step = 256
        for r0 in range(0, a.shape[0], step):
            torch.matmul(torch.from_numpy(a[r0 : r0 + step]), tb, out=torch.from_numpy(out[r0 : r0 + step]))
        return out

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
