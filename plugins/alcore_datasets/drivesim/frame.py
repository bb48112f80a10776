"""Render one frame of a simulated drive: geometry, then textures, lighting and sensor noise."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .canvas import Z_FAR, Z_NEAR, Camera, Canvas, ground_band
from .layout import Scene
from .style import BUILDING, ROAD, SIDEWALK, SKY, TERRAIN, Style

GROUND_FAR = 400.0


def make_camera(scene: Scene) -> Camera:
    """The scene's camera, placed at the start of the drive."""
    return Camera(
        scene.width, scene.height, scene.focal, scene.horizon, scene.cam_height, scene.ego_x, scene.curve
    )


def _visible(items, cam: Camera, t: float):
    near, far = cam.s_e, cam.s_e + Z_FAR
    out = []
    for it in items:
        s0, s1 = it.span(t)
        if s1 > near and s0 < far:
            out.append((max(s0, near), it))
    out.sort(key=lambda p: -p[0])
    return [it for _, it in out]


def _ground(cv: Canvas, cam: Camera, scene: Scene) -> None:
    st, road = scene.style, scene.road
    pitch = cam.pitch
    W, H = scene.width, scene.height
    horizon = scene.horizon + pitch
    base = np.array([[0, horizon], [W, horizon], [W, H], [0, H]], np.float64)
    colours = st.colours
    cv.fill(base, tuple(float(c) for c in colours[scene.base_label]), scene.base_label)
    for pts, tone, label in scene.skyline:
        u = pts[:, 0] * W
        v = horizon - pts[:, 1] * H
        poly = np.concatenate([np.stack([u, v], 1), [[u[-1], horizon + 1], [u[0], horizon + 1]]])
        cv.fill(poly, tone, label)
    lo, hi = -1e9, 1e9
    for side in (-1, 1):
        i = 0 if side < 0 else 1
        curb = road.edge(side)
        bands = [
            (curb, curb + side * road.sidewalk[i], SIDEWALK),
            (curb + side * road.sidewalk[i], curb + side * (road.sidewalk[i] + road.verge[i] + 60), TERRAIN),
        ]
        for x0, x1, label in bands:
            if abs(x1 - x0) < 1e-3:
                continue
            band = _band(cam, x0, x1, lo, hi)
            if scene.kind == "city" and label == TERRAIN:
                label, colour = SIDEWALK, colours[SIDEWALK] * 0.9
            else:
                colour = colours[label]
            cv.fill(band, tuple(float(c) for c in colour), label)
        if road.sidewalk[i] > 0:
            curb_band = _band(cam, curb, curb + side * 0.18, lo, hi)
            if curb_band is not None:
                cv.fill(curb_band, tuple(float(c) for c in np.clip(colours[SIDEWALK] * 1.15, 0, 255)), None)
    band = _band(cam, road.left, road.right, lo, hi)
    cv.fill(band, tuple(float(c) for c in colours[ROAD]), ROAD)


def _band(cam: Camera, x0: float, x1: float, lo: float, hi: float):
    s = cam.s_e + Z_NEAR + (GROUND_FAR - Z_NEAR) * np.linspace(0.0, 1.0, 28) ** 3
    left = cam.project(np.full_like(s, min(x0, x1)), np.zeros_like(s), s)
    right = cam.project(np.full_like(s, max(x0, x1)), np.zeros_like(s), s)[::-1]
    return np.concatenate([left, right])


def render(
    scene: Scene, cam: Camera, t: float, rng: np.random.Generator, out_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The RGB image (uint8) and train-id label map of the drive at simulated time ``t``."""
    amp, period, phase = scene.pitch
    cam.at(scene.speed * t, amp * math.sin(2 * math.pi * t / period + phase))
    cv = Canvas(scene.width, scene.height)
    tex, st = scene.textures, scene.style
    cv.img[:] = tex.sky
    cv.lab[:] = SKY
    _ground(cv, cam, scene)
    if scene.ceiling:
        _ceiling(cv, cam, scene)
    for group in (scene.ground, scene.paint):
        for it in _visible(group, cam, t):
            it.draw(cv, cam, t, st)
    for it in _visible(scene.structures, cam, t):
        it.draw(cv, cam, t, st)
    for it in _visible(scene.objects, cam, t):
        it.draw(cv, cam, t, st)
    lab = cv.lab
    img = cv.img
    img *= 1.0 + st.amp_fine[lab][..., None] * tex.fine + st.amp_coarse[lab][..., None] * tex.coarse
    img *= st.gain
    img += st.offset
    if st.fog:
        _fog(img, scene.horizon + cam.pitch, st)
    width, height = out_size
    ss = scene.width // width
    if ss > 1:
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
        lab = np.ascontiguousarray(lab[ss // 2 :: ss, ss // 2 :: ss])
    if st.rain:
        _streaks(img, rng, st.rain)
    if st.blur:
        img = cv2.GaussianBlur(img, (0, 0), st.blur)
    img += rng.standard_normal(img.shape, dtype=np.float32) * st.noise
    return np.clip(img, 0, 255).astype(np.uint8), lab


def _ceiling(cv: Canvas, cam: Camera, scene: Scene) -> None:
    """A tunnel's roof between its walls, as far as items are drawn (the exit shows beyond)."""
    road = scene.road
    x0, x1 = road.left - road.sidewalk[0], road.right + road.sidewalk[1]
    band = ground_band(cam, x0, x1, cam.s_e, cam.s_e + Z_FAR, y=scene.ceiling)
    colour = tuple(float(c) for c in scene.style.colours[ROAD] * 0.6)
    cv.fill(band, colour, BUILDING)


def _fog(img: np.ndarray, horizon: float, st: Style) -> None:
    """Blend towards the fog colour, fully at the horizon and above, fading towards the bottom."""
    height = img.shape[0]
    rows = np.arange(height, dtype=np.float32)
    near = np.clip((rows - horizon) / max(height - horizon, 1.0), 0.0, 1.0)
    weight = (st.fog * (1.0 - near) ** 1.5)[:, None, None]
    img *= 1.0 - weight
    img += weight * st.fog_colour


def _streaks(img: np.ndarray, rng: np.random.Generator, density: float) -> None:
    """Rain on the windscreen: short, faint, slanted bright strokes that change every frame."""
    height, width = img.shape[:2]
    count = int(density * width * height / 150)
    xs = rng.uniform(0, width, count)
    ys = rng.uniform(0, height, count)
    lengths = rng.uniform(2, 6, count)
    mask = np.zeros((height, width), np.float32)
    for x, y, n in zip(xs, ys, lengths):
        cv2.line(mask, (int(x), int(y)), (int(x + 0.3 * n), int(y + n)), 1.0, 1)
    img += 35.0 * mask[..., None]
