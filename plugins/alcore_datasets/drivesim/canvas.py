"""Pinhole camera over a curved road and a paired image/label canvas for the driving simulator.

World coordinates: ``x`` lateral in metres from the road centre line (right positive), ``y`` up
from the ground, ``s`` distance along the road. The ego camera sits at ``(ego_x, height, s_e)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

Colour = Sequence[float]
SHIFT = 4
SCALE = float(1 << SHIFT)
Z_NEAR = 1.0
Z_FAR = 90.0


class Camera:
    """Projects world points for the current ego position; the road bends by ``curve·z²``."""

    def __init__(
        self,
        width: int,
        height: int,
        focal: float,
        horizon: float,
        cam_height: float,
        ego_x: float,
        curve: float,
    ) -> None:
        self.width = width
        self.height = height
        self.focal = focal
        self.horizon = horizon
        self.cam_height = cam_height
        self.ego_x = ego_x
        self.curve = curve
        self.s_e = 0.0
        self.pitch = 0.0

    def at(self, s_e: float, pitch: float = 0.0) -> None:
        """Move the camera to road position ``s_e`` with a small vertical jitter (pixels)."""
        self.s_e = s_e
        self.pitch = pitch

    def depth(self, s: np.ndarray | float) -> np.ndarray | float:
        """Distance ahead of the camera of road position ``s``."""
        return s - self.s_e

    def project(self, x: np.ndarray | float, y: np.ndarray | float, s: np.ndarray | float) -> np.ndarray:
        """Pixel coordinates (N×2) of world points; callers keep depth above ``Z_NEAR``."""
        if np.ndim(s) == 0:
            z = float(s) - self.s_e
            a = self.focal / z
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            shape = x.shape if x.shape == y.shape else np.broadcast_shapes(x.shape, y.shape)
            out = np.empty(shape + (2,))
            out[..., 0] = x * a + (self.width * 0.5 - a * (self.ego_x + self.curve * z * z))
            out[..., 1] = (self.horizon + self.pitch + a * self.cam_height) - a * y
            return out
        z = np.asarray(s, dtype=np.float64) - self.s_e
        a = self.focal / z
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        out = np.empty(np.broadcast_shapes(x.shape, y.shape, z.shape) + (2,))
        out[..., 0] = self.width * 0.5 + a * (x - self.ego_x - self.curve * z * z)
        out[..., 1] = self.horizon + self.pitch - a * (y - self.cam_height)
        return out

    def scale(self, metres: float, s: float) -> float:
        """Pixel size of ``metres`` at road position ``s``."""
        return self.focal * metres / max(s - self.s_e, Z_NEAR)

    def visible_span(self, s0: float, s1: float) -> tuple[float, float] | None:
        """The part of ``[s0, s1]`` between the near and far planes, or None."""
        lo = max(s0, self.s_e + Z_NEAR)
        hi = min(s1, self.s_e + Z_FAR)
        return (lo, hi) if hi > lo else None


class Canvas:
    """A float RGB image and a uint8 label map drawn together with sub-pixel polygons."""

    def __init__(self, width: int, height: int) -> None:
        self.img = np.zeros((height, width, 3), dtype=np.float32)
        self.lab = np.zeros((height, width), dtype=np.uint8)

    def fill(self, pts: np.ndarray | None, color: Colour, label: int | None) -> None:
        """Fill one polygon (N×2 pixels) in the image and, unless ``label`` is None, the labels."""
        if pts is None:
            return
        poly = np.round(pts * SCALE).astype(np.int32)
        cv2.fillPoly(self.img, [poly], color, cv2.LINE_8, SHIFT)
        if label is not None:
            cv2.fillPoly(self.lab, [poly], int(label), cv2.LINE_8, SHIFT)

    def fill_many(self, polys: list[np.ndarray], color: Colour, label: int | None) -> None:
        """Fill several polygons of one colour and label in one call."""
        if not polys:
            return
        ints = [np.round(p * SCALE).astype(np.int32) for p in polys]
        cv2.fillPoly(self.img, ints, color, cv2.LINE_8, SHIFT)
        if label is not None:
            cv2.fillPoly(self.lab, ints, int(label), cv2.LINE_8, SHIFT)

    def disc(self, center: np.ndarray, radius: float, color: Colour, label: int | None) -> None:
        """A filled circle; a no-op below a quarter pixel."""
        if radius < 0.25:
            return
        c = (int(round(center[0] * SCALE)), int(round(center[1] * SCALE)))
        r = int(round(radius * SCALE))
        cv2.circle(self.img, c, r, color, -1, cv2.LINE_8, SHIFT)
        if label is not None:
            cv2.circle(self.lab, c, r, int(label), -1, cv2.LINE_8, SHIFT)

    def ring(self, center: np.ndarray, radius: float, width: float, color: Colour, label: int | None) -> None:
        """A circle outline at least one pixel wide."""
        if radius < 0.5:
            return
        c = (int(round(center[0] * SCALE)), int(round(center[1] * SCALE)))
        r = int(round(radius * SCALE))
        w = max(1, int(round(width)))
        cv2.circle(self.img, c, r, color, w, cv2.LINE_8, SHIFT)
        if label is not None:
            cv2.circle(self.lab, c, r, int(label), w, cv2.LINE_8, SHIFT)

    def line(self, p0: np.ndarray, p1: np.ndarray, width: float, color: Colour, label: int | None) -> None:
        """A straight stroke at least one pixel wide."""
        a = (int(round(p0[0] * SCALE)), int(round(p0[1] * SCALE)))
        b = (int(round(p1[0] * SCALE)), int(round(p1[1] * SCALE)))
        w = max(1, int(round(width)))
        cv2.line(self.img, a, b, color, w, cv2.LINE_8, SHIFT)
        if label is not None:
            cv2.line(self.lab, a, b, int(label), w, cv2.LINE_8, SHIFT)


def knots(lo: float, hi: float, step: float = 6.0) -> np.ndarray:
    """Sample positions along ``[lo, hi]`` dense enough to follow the road's curve."""
    n = max(2, int(np.ceil((hi - lo) / step)) + 1)
    return np.linspace(lo, hi, n)


def facing_rect(cam: Camera, x0: float, x1: float, y0: float, y1: float, s: float) -> np.ndarray:
    """A rectangle facing the camera at road position ``s``."""
    return cam.project(np.array([x0, x1, x1, x0]), np.array([y0, y0, y1, y1]), np.full(4, s))


def side_quad(
    cam: Camera,
    x: float,
    y0: float,
    y1: float | Callable[[np.ndarray], np.ndarray],
    s0: float,
    s1: float,
    step: float = 6.0,
) -> np.ndarray | None:
    """A vertical plane parallel to the road at lateral ``x``; ``y1`` may be a callable of ``s``."""
    span = cam.visible_span(s0, s1)
    if span is None:
        return None
    s = knots(*span, step)
    top = y1(s) if callable(y1) else np.full_like(s, y1)
    upper = cam.project(np.full_like(s, x), top, s)
    lower = cam.project(np.full_like(s, x), np.full_like(s, y0), s)[::-1]
    return np.concatenate([upper, lower])


def ground_band(
    cam: Camera, x0: float, x1: float, s0: float, s1: float, y: float = 0.0, step: float = 6.0
) -> np.ndarray | None:
    """A horizontal strip between lateral ``x0`` and ``x1`` along ``[s0, s1]``."""
    span = cam.visible_span(s0, s1)
    if span is None:
        return None
    lo, hi = span
    n = max(2, int(np.ceil((hi - lo) / step)) + 1)
    s = lo + (hi - lo) * (np.linspace(0.0, 1.0, n) ** 2)
    left = cam.project(np.full_like(s, x0), np.full_like(s, y), s)
    right = cam.project(np.full_like(s, x1), np.full_like(s, y), s)[::-1]
    return np.concatenate([left, right])
