"""Things that populate a simulated street, each drawing itself for the current camera."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .canvas import Z_FAR, Z_NEAR, Camera, Canvas, facing_rect, ground_band, side_quad
from .style import (
    BIKE,
    BUILDING,
    BUS,
    CAR,
    FENCE,
    LIGHT,
    MOTO,
    PERSON,
    POLE,
    RIDER,
    ROAD,
    SIGN,
    TRAIN,
    TRUCK,
    VEG,
    WALL,
    Style,
)

DARK = (25.0, 25.0, 28.0)


@dataclass
class Item:
    """Something spanning ``[s0, s1]`` along the road at time 0, moving ``v`` metres per frame."""

    s0: float
    s1: float
    v: float = 0.0

    def span(self, t: float) -> tuple[float, float]:
        """Its extent along the road at time ``t``."""
        return self.s0 + self.v * t, self.s1 + self.v * t

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        """Paint the image and labels for time ``t``."""
        raise NotImplementedError


@dataclass
class Building(Item):
    """A facade parallel to the road with a grid of windows and a visible front end."""

    x: float = 0.0
    side: int = 1
    height: float = 10.0
    colour: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    glass: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    floor: float = 3.2
    col_step: float = 3.0

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        span = cam.visible_span(self.s0, self.s1)
        if span is None:
            return
        if self.s0 > cam.s_e + Z_NEAR:
            xs = sorted([self.x, self.x + self.side * 12.0])
            front = facing_rect(cam, xs[0], xs[1], 0.0, self.height, self.s0)
            cv.fill(front, tuple(float(c) for c in self.colour * 0.75), BUILDING)
        quad = side_quad(cam, self.x, 0.0, self.height, self.s0, self.s1)
        cv.fill(quad, tuple(float(c) for c in self.colour), BUILDING)
        lo, hi = span
        cols = np.arange(self.s0 + 0.8, self.s1 - 1.6, self.col_step)
        cols = cols[(cols > lo) & (cols + 1.2 < hi)]
        rows = np.arange(1.2, self.height - 1.2, self.floor)
        if cols.size == 0 or rows.size == 0 or cam.scale(1.4, float(cols[0])) < 0.8:
            return
        s = cols[:, None, None] + np.array([0.0, 1.2, 1.2, 0.0])[None, None, :]
        y = rows[None, :, None] + np.array([0.0, 0.0, 1.5, 1.5])[None, None, :]
        s, y = np.broadcast_arrays(s, y)
        pts = cam.project(np.full(s.shape, self.x), y, s).reshape(-1, 4, 2)
        cv.fill_many(list(pts), tuple(float(c) for c in self.glass), None)


@dataclass
class Barrier(Item):
    """A wall, fence or hedge along the road; fences are see-through rails, hedges are bumpy."""

    x: float = 0.0
    height: float = 1.5
    label: int = WALL
    colour: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    bumps: np.ndarray | None = None

    def _top(self, s: np.ndarray) -> np.ndarray:
        if self.bumps is None:
            return np.full_like(s, self.height)
        grid = self.s0 + 2.0 * np.arange(len(self.bumps))
        return self.height + np.interp(s, grid, self.bumps)

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        quad = side_quad(cam, self.x, 0.0, self._top, self.s0, self.s1, step=2.0)
        if quad is None:
            return
        colour = tuple(float(c) for c in self.colour)
        if self.label != FENCE:
            cv.fill(quad, colour, self.label)
            if self.label == WALL:
                cap = side_quad(cam, self.x, self.height - 0.12, self.height, self.s0, self.s1)
                cv.fill(cap, tuple(float(c) for c in np.clip(self.colour * 1.25, 0, 255)), None)
            return
        cv.fill(quad, tuple(float(c) for c in self.colour * 0.45), FENCE)
        for y0, y1 in ((self.height * 0.88, self.height), (self.height * 0.4, self.height * 0.48)):
            rail = side_quad(cam, self.x, y0, y1, self.s0, self.s1)
            cv.fill(rail, colour, None)
        lo, hi = cam.visible_span(self.s0, self.s1) or (0.0, 0.0)
        posts = np.arange(self.s0, self.s1, 2.5)
        posts = posts[(posts > lo) & (posts < min(hi, cam.s_e + 40.0))]
        polys = [side_quad(cam, self.x, 0.0, self.height, p, p + 0.12, step=1.0) for p in posts]
        cv.fill_many([p for p in polys if p is not None], colour, None)


@dataclass
class Tree(Item):
    """A trunk and a canopy of overlapping discs in several greens."""

    x: float = 0.0
    trunk: float = 2.5
    radius: float = 2.0
    seed: int = 0

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        s = self.s0
        if s - cam.s_e < Z_NEAR + 0.5:
            return
        bark = (95.0, 75.0, 55.0)
        cv.fill(facing_rect(cam, self.x - 0.15, self.x + 0.15, 0.0, self.trunk + 0.5, s), bark, VEG)
        rng = np.random.default_rng(self.seed)
        r = self.radius
        for k in range(4):
            dx, dy = rng.uniform(-0.5, 0.5) * r, rng.uniform(-0.3, 0.5) * r
            centre = cam.project(np.array([self.x + dx]), np.array([self.trunk + r + dy]), s)[0]
            tone = style.vegetation_tones[k % 3]
            cv.disc(centre, cam.scale(r * rng.uniform(0.6, 0.9), s), tuple(float(c) for c in tone), VEG)


@dataclass
class Pole(Item):
    """A pole, optionally with a street-lamp arm, a traffic sign or a traffic light."""

    x: float = 0.0
    side: int = 1
    height: float = 6.0
    width: float = 0.18
    arm: bool = False
    sign: str | None = None
    sign_height: float = 2.4
    light: str | None = None
    light_over_road: float = 0.0

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        s = self.s0
        if s - cam.s_e < Z_NEAR + 0.3:
            return
        metal = tuple(float(c) for c in style.colours[POLE])
        w = self.width / 2
        cv.fill(facing_rect(cam, self.x - w, self.x + w, 0.0, self.height, s), metal, POLE)
        reach = self.light_over_road or (2.0 if self.arm else 0.0)
        if reach:
            tip = self.x - self.side * reach
            xs = sorted([self.x, tip])
            cv.fill(facing_rect(cam, xs[0], xs[1], self.height - 0.15, self.height, s), metal, POLE)
        if self.arm and not self.light_over_road:
            lamp = facing_rect(cam, tip - 0.3, tip + 0.3, self.height - 0.3, self.height - 0.1, s)
            cv.fill(lamp, (210.0, 210.0, 190.0), POLE)
        if self.sign:
            draw_sign(cv, cam, self.x, self.sign_height, s, self.sign)
        if self.light:
            lx = self.x - self.side * self.light_over_road if self.light_over_road else self.x
            ly = self.height - 1.1 if self.light_over_road else self.height - 1.6
            draw_traffic_light(cv, cam, lx, ly, s, self.light, style)


def draw_sign(cv: Canvas, cam: Camera, x: float, y: float, s: float, shape: str) -> None:
    """A traffic sign face: red-rimmed disc or triangle, or a blue or yellow panel."""
    r = 0.35
    centre = cam.project(np.array([x]), np.array([y + r]), s)[0]
    pr = cam.scale(r, s)
    if shape == "round":
        cv.disc(centre, pr, (200.0, 30.0, 35.0), SIGN)
        cv.disc(centre, pr * 0.7, (235.0, 235.0, 235.0), None)
    elif shape == "triangle":
        tri = cam.project(np.array([x - r, x + r, x]), np.array([y, y, y + 2 * r]), np.full(3, s))
        cv.fill(tri, (200.0, 30.0, 35.0), SIGN)
        inner = cam.project(
            np.array([x - 0.6 * r, x + 0.6 * r, x]),
            np.array([y + 0.2 * r, y + 0.2 * r, y + 1.4 * r]),
            np.full(3, s),
        )
        cv.fill(inner, (235.0, 235.0, 235.0), None)
    else:
        face = (30.0, 80.0, 170.0) if shape == "blue" else (235.0, 200.0, 30.0)
        cv.fill(facing_rect(cam, x - r, x + r, y, y + 2 * r, s), face, SIGN)
        cv.fill(
            facing_rect(cam, x - 0.4 * r, x + 0.4 * r, y + 0.5 * r, y + 1.5 * r, s),
            (240.0, 240.0, 240.0),
            None,
        )


def draw_traffic_light(
    cv: Canvas, cam: Camera, x: float, y: float, s: float, state: str, style: Style
) -> None:
    """A housing with three lamps, one of them lit."""
    housing = tuple(float(c) for c in style.colours[LIGHT])
    cv.fill(facing_rect(cam, x - 0.25, x + 0.25, y, y + 1.2, s), housing, LIGHT)
    lit = {"red": 2, "amber": 1, "green": 0}[state]
    colours = [(60.0, 230.0, 120.0), (255.0, 180.0, 30.0), (255.0, 40.0, 30.0)]
    for k in range(3):
        centre = cam.project(np.array([x]), np.array([y + 0.22 + 0.38 * k]), s)[0]
        colour = colours[k] if k == lit else (55.0, 55.0, 55.0)
        cv.disc(centre, cam.scale(0.14, s), colour, None)


@dataclass
class Vehicle(Item):
    """A car, truck, bus, tram or motorcycle: its visible side and its near end."""

    x: float = 0.0
    kind: int = CAR
    width: float = 1.8
    height: float = 1.5
    facing: int = 1
    colour: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    rider: tuple | None = None

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        s0, s1 = self.span(t)
        if s1 - cam.s_e < Z_NEAR or s0 - cam.s_e > Z_FAR:
            return
        if self.kind == MOTO:
            self._draw_moto(cv, cam, s0)
            return
        label = self.kind
        body = tuple(float(c) for c in self.colour)
        glass = (45.0, 55.0, 65.0)
        z = max(s0 - cam.s_e, Z_NEAR)
        dx = self.x - cam.ego_x - cam.curve * z * z
        w, h, length = self.width / 2, self.height, s1 - s0
        if abs(dx) - w - 1.0 > z * cam.width / (2 * cam.focal) and s0 > cam.s_e + Z_NEAR:
            return
        if cam.scale(h, s0) < 5 and s0 > cam.s_e + Z_NEAR:
            far = facing_rect(cam, self.x - w, self.x + w, 0.0, h, s0)
            cv.fill(far, body, label)
            return
        if abs(dx) > w:
            xs = self.x - w if dx > 0 else self.x + w
            self._draw_side(cv, cam, xs, s0, length, body, glass, label)
        if s0 - cam.s_e < Z_NEAR + 0.2:
            return
        x = self.x
        if self.kind == CAR:
            cv.fill(facing_rect(cam, x - w, x + w, 0.25, 0.6 * h, s0), body, label)
            cab = cam.project(
                np.array([x - 0.85 * w, x + 0.85 * w, x + 0.68 * w, x - 0.68 * w]),
                np.array([0.6 * h, 0.6 * h, h, h]),
                np.full(4, s0 + 0.6),
            )
            cv.fill(cab, body, label)
            win = facing_rect(cam, x - 0.66 * w, x + 0.66 * w, 0.64 * h, 0.93 * h, s0 + 0.6)
            cv.fill(win, glass, label)
            lamp = (200.0, 25.0, 25.0) if self.facing > 0 else (235.0, 230.0, 200.0)
            for sx in (-1, 1):
                cv.fill(
                    facing_rect(cam, x + sx * 0.9 * w, x + sx * 0.65 * w, 0.45 * h, 0.53 * h, s0 - 0.01),
                    lamp,
                    label,
                )
                cv.fill(
                    facing_rect(cam, x + sx * 0.95 * w, x + sx * 0.7 * w, 0.0, 0.3, s0 + 0.3), DARK, label
                )
        elif self.kind == TRUCK and self.facing < 0:
            cv.fill(facing_rect(cam, x - w, x + w, 0.5, h, s0 + 2.5), body, label)
            cab = tuple(float(c) for c in np.clip(self.colour * 0.6 + 60, 0, 255))
            cv.fill(facing_rect(cam, x - w, x + w, 0.3, 0.7 * h, s0), cab, label)
            cv.fill(facing_rect(cam, x - 0.8 * w, x + 0.8 * w, 0.45 * h, 0.65 * h, s0), glass, label)
        else:
            cv.fill(facing_rect(cam, x - 0.85 * w, x + 0.85 * w, 0.2, 0.55, s0 + 0.2), DARK, label)
            cv.fill(facing_rect(cam, x - w, x + w, 0.5, h, s0), body, label)
            if self.kind in (BUS, TRAIN):
                top = 0.9 * h
                bottom = 0.45 * h if self.facing < 0 else 0.62 * h
                cv.fill(facing_rect(cam, x - 0.85 * w, x + 0.85 * w, bottom, top, s0), glass, label)
            else:
                cv.fill(facing_rect(cam, x - 0.02, x + 0.02, 0.6, h - 0.1, s0), DARK, label)

    def _draw_side(self, cv, cam, xs, s0, length, body, glass, label) -> None:
        h = self.height
        if self.kind == CAR:
            cv.fill(side_quad(cam, xs, 0.25, 0.6 * h, s0, s0 + length, step=1.5), body, label)
            cab = side_quad(cam, xs, 0.6 * h, h, s0 + 0.25 * length, s0 + 0.78 * length, 1.5)
            if cab is not None:
                cv.fill(cab, glass, label)
            wheel_r, wheel_at = 0.33, (0.18, 0.8)
        elif self.kind == TRUCK:
            cv.fill(side_quad(cam, xs, 0.5, h, s0, s0 + 0.72 * length, step=2.0), body, label)
            cab = side_quad(cam, xs, 0.3, 0.75 * h, s0 + 0.75 * length, s0 + length, step=1.0)
            if cab is not None:
                cabin = tuple(float(c) for c in np.clip(self.colour * 0.6 + 60, 0, 255))
                cv.fill(cab, cabin, label)
            wheel_r, wheel_at = 0.5, (0.12, 0.3, 0.85)
        else:
            cv.fill(side_quad(cam, xs, 0.3, h, s0, s0 + length, step=2.0), body, label)
            band = side_quad(cam, xs, 0.55 * h, 0.88 * h, s0 + 0.3, s0 + length - 0.3, step=2.0)
            if band is not None:
                cv.fill(band, glass, label)
            wheel_r, wheel_at = 0.5, (0.15, 0.8) if self.kind == BUS else (0.1, 0.35, 0.65, 0.9)
        for f in wheel_at:
            sw = s0 + f * length
            if sw - cam.s_e > Z_NEAR + 0.3:
                centre = cam.project(np.array([xs]), np.array([wheel_r]), sw)[0]
                cv.disc(centre, cam.scale(wheel_r, sw), DARK, label)

    def _draw_moto(self, cv: Canvas, cam: Camera, s0: float) -> None:
        if s0 - cam.s_e < Z_NEAR + 0.3:
            return
        x = self.x
        body = tuple(float(c) for c in self.colour)
        cv.fill(facing_rect(cam, x - 0.06, x + 0.06, 0.0, 0.6, s0), DARK, MOTO)
        cv.fill(facing_rect(cam, x - 0.3, x + 0.3, 0.45, 0.95, s0 + 0.3), body, MOTO)
        if self.rider is not None:
            draw_person(cv, cam, x, s0 + 0.5, 1.75, self.rider, 0.0, RIDER, seated=0.75)


def draw_person(
    cv: Canvas,
    cam: Camera,
    x: float,
    s: float,
    height: float,
    look: tuple,
    phase: float,
    label: int,
    seated: float = 0.0,
) -> None:
    """A walking (or, with ``seated`` > 0, riding) figure seen from the front or back."""
    if s - cam.s_e < Z_NEAR + 0.3:
        return
    shirt, trousers, skin = (tuple(float(c) for c in part) for part in look)
    h = height
    if cam.scale(h, s) < 5:
        cv.fill(facing_rect(cam, x - 0.2, x + 0.2, seated, seated + h * 0.6, s), trousers, label)
        cv.fill(facing_rect(cam, x - 0.2, x + 0.2, seated + h * 0.45, seated + h, s), shirt, label)
        return
    base = seated
    swing = 0.07 * math.sin(phase)
    hip = base + (0.3 * h if seated else 0.5 * h)
    legs = []
    for side, sw in ((-1, swing), (1, -swing)):
        inner, outer = x + side * 0.03, x + side * 0.17
        legs.append(
            cam.project(
                np.array([inner + sw, outer + sw, outer, inner]),
                np.array([base, base, hip, hip]),
                np.full(4, s),
            )
        )
    cv.fill_many(legs, trousers, label)
    shoulder = hip + 0.33 * h
    torso = cam.project(
        np.array([x - 0.18, x + 0.18, x + 0.22, x - 0.22]),
        np.array([hip - 0.05, hip - 0.05, shoulder, shoulder]),
        np.full(4, s),
    )
    cv.fill(torso, shirt, label)
    arms = [
        cam.project(
            np.array([x + side * 0.22, x + side * 0.29, x + side * (0.27 + sw), x + side * (0.21 + sw)]),
            np.array([shoulder, shoulder, hip, hip]),
            np.full(4, s),
        )
        for side, sw in ((-1, -swing), (1, swing))
    ]
    cv.fill_many(arms, shirt, label)
    head = cam.project(np.array([x]), np.array([shoulder + 0.09 * h]), s)[0]
    cv.disc(head, cam.scale(0.075 * h, s), skin, label)


@dataclass
class Pedestrian(Item):
    """A person walking along the sidewalk (or standing when ``v`` is 0)."""

    x: float = 0.0
    height: float = 1.75
    look: tuple = ()
    phase: float = 0.0

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        s, _ = self.span(t)
        phase = self.phase + (t * 0.35 if self.v else 0.0)
        draw_person(cv, cam, self.x, s, self.height, self.look, phase, PERSON)


@dataclass
class Cyclist(Item):
    """A rider on a bicycle, both seen at a slant from behind."""

    x: float = 0.0
    look: tuple = ()
    frame_colour: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        s, _ = self.span(t)
        if s - cam.s_e < Z_NEAR + 0.5:
            return
        x = self.x
        colour = tuple(float(c) for c in self.frame_colour)
        rear, front = s, s + 1.05
        pts = cam.project(
            np.array([x, x, x, x]),
            np.array([0.34, 0.34, 0.85, 0.95]),
            np.array([rear, front, rear + 0.3, front - 0.1]),
        )
        thick = max(2.0, cam.scale(0.06, s))
        cv.ring(pts[0], cam.scale(0.33, rear), thick, DARK, BIKE)
        cv.ring(pts[1], cam.scale(0.33, front), thick, DARK, BIKE)
        cv.line(pts[0], pts[2], thick, colour, BIKE)
        cv.line(pts[2], pts[3], thick, colour, BIKE)
        cv.line(pts[3], pts[1], thick, colour, BIKE)
        cv.line(pts[0], pts[1], thick, colour, BIKE)
        draw_person(cv, cam, x, rear + 0.25, 1.75, self.look, 0.0, RIDER, seated=0.6)


@dataclass
class Paint(Item):
    """Road paint (lane dashes, zebra crossings, stop lines): image only, labelled road."""

    x0: float = 0.0
    x1: float = 0.1

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        band = ground_band(cam, self.x0, self.x1, self.s0, self.s1, step=3.0)
        if band is not None:
            cv.fill(band, tuple(float(c) for c in style.lane_paint), None)


@dataclass
class CrossStreet(Item):
    """A side street crossing the road: road surface cutting through sidewalks and verges."""

    reach: float = 60.0

    def draw(self, cv: Canvas, cam: Camera, t: float, style: Style) -> None:
        colour = tuple(float(c) for c in style.colours[ROAD])
        for x0, x1 in ((-self.reach, 0.0), (0.0, self.reach)):
            band = ground_band(cam, x0, x1, self.s0, self.s1, step=3.0)
            if band is not None:
                cv.fill(band, colour, ROAD)
