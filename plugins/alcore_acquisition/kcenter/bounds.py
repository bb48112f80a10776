"""Rigorous error bounds: fast float32/float64 distances turned into intervals around the reference."""

from __future__ import annotations

from typing import Any

import numpy as np

_U32 = 2.0**-24
_U64 = 2.0**-53


def gamma(n: int, unit: float) -> float:
    """Higham's gamma_n = n·u / (1 - n·u): the relative error bound of n roundings."""
    return n * unit / (1.0 - n * unit)


class Bounds:
    """Turns fast distances into bounds on the reference float64 distance (every rounding counted)."""

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
        step = max(1, self.rows.work_rows // 8)
        parts = [self._step_terms(block[r0 : r0 + step]) for r0 in range(0, len(block), step)]
        if len(parts) == 1:
            out = parts[0]
        else:
            out = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        out["centred"] = self.rows.put(out["centred"])
        out["norm"] = np.sqrt(out["q"]) * (1.0 + 4.0 * self.g_direct) + self.eta
        return out

    def _step_terms(self, block: np.ndarray) -> dict[str, Any]:
        """Centred rows (compute dtype) and their float64 ``q``, ``h`` and ``habs`` terms."""
        diff = np.subtract(block, self.m64, dtype=np.float64)
        prod = diff * self.m64
        return {
            "q": np.add.reduce(diff * diff, axis=1),
            "h": np.add.reduce(prod, axis=1),
            "habs": np.add.reduce(np.abs(prod, out=prod), axis=1),
            "centred": diff.astype(self.rows.np_dtype),
        }

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

    def lower_gap(self, dist_lo: np.ndarray, radius: np.ndarray) -> np.ndarray:
        """Floor of the reference distance implied by ``||x - s|| >= dist_lo - radius``."""
        gap = np.maximum(dist_lo - radius, 0.0) * (1.0 - 8 * _U64)
        return np.where(dist_lo > radius, self.exact_floor(gap**2), -np.inf)


def round32(values: np.ndarray, down: bool) -> np.ndarray:
    """float64 bounds stored as float32, rounded outward so they remain bounds."""
    out = values.astype(np.float32)
    if down:
        wrong = out > values
        out[wrong] = np.nextafter(out[wrong], np.float32(-np.inf))
    else:
        wrong = out < values
        out[wrong] = np.nextafter(out[wrong], np.float32(np.inf))
    return out
