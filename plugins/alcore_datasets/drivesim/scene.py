"""Random layout of one simulated drive: road geometry, roadside structures and traffic."""

from __future__ import annotations

import numpy as np

from .canvas import Z_FAR
from .conditions import condition_style
from .items import (
    Barrier,
    Building,
    CrossStreet,
    Cyclist,
    Paint,
    Pedestrian,
    Pole,
    Tree,
    Vehicle,
)
from .layout import Road, Scene
from .roads import fast_road, fast_roadside
from .style import (
    BUS,
    CAR,
    CAR_COLOURS,
    CLOTHES,
    FACADES,
    FENCE,
    MOTO,
    SIDEWALK,
    SKIN,
    TERRAIN,
    TRAIN,
    TRUCK,
    VEG,
    WALL,
    Style,
    jitter,
    make_textures,
    sample_style,
)

KINDS = ("city", "suburb", "rural")
#: road types of the ``video`` family: the original three plus highway and tunnel
VIDEO_KINDS = KINDS + ("highway", "tunnel")
#: ego speed range (metres per simulated frame) per road type
SPEEDS = {
    "city": (0.25, 0.42),
    "suburb": (0.3, 0.5),
    "rural": (0.45, 0.75),
    "highway": (0.8, 1.2),
    "tunnel": (0.6, 0.9),
}
#: rare road users of a drive plan -> the scene's presence keys
RARE_KEYS = {"train": TRAIN, "motorcycle": MOTO, "bus": BUS, "bicycle": "cyclists"}


def _look(rng: np.random.Generator) -> tuple:
    shirt = jitter(rng, CLOTHES[rng.integers(len(CLOTHES))], 15)
    trousers = jitter(rng, CLOTHES[rng.integers(len(CLOTHES))], 15)
    return shirt, trousers, jitter(rng, SKIN[rng.integers(len(SKIN))], 8)


def _road(rng: np.random.Generator, kind: str) -> Road:
    if kind in ("highway", "tunnel"):
        return fast_road(rng, kind)
    lane = rng.uniform(2.9, 3.6)
    two_way = kind != "city" or rng.random() < 0.7
    lanes_right = int(rng.integers(1, 3)) if kind != "rural" else 1
    lanes_left = int(rng.integers(1, 3)) if two_way else int(rng.integers(0, 2))
    park = rng.uniform(2.0, 2.5) if kind == "city" and rng.random() < 0.6 else 0.0
    if kind == "rural":
        sidewalk = (0.0, 0.0)
        verge = (rng.uniform(2, 6), rng.uniform(2, 6))
        setback = (rng.uniform(3, 20), rng.uniform(3, 20))
    elif kind == "suburb":
        sidewalk = (rng.uniform(1.5, 2.5), rng.uniform(1.5, 2.5))
        verge = (rng.uniform(1.0, 4.0), rng.uniform(1.0, 4.0))
        setback = (rng.uniform(3, 10), rng.uniform(3, 10))
    else:
        sidewalk = (rng.uniform(2.5, 5.0), rng.uniform(2.5, 5.0))
        verge = (0.0, 0.0) if rng.random() < 0.7 else (rng.uniform(1, 2), rng.uniform(1, 2))
        setback = (0.0, 0.0)
    return Road(
        left=-lanes_left * lane - park,
        right=lanes_right * lane + park,
        lane=lane,
        lanes_left=lanes_left,
        lanes_right=lanes_right,
        two_way=two_way,
        sidewalk=sidewalk,
        verge=verge,
        setback=setback,
    )


def _skyline(rng: np.random.Generator, kind: str, style: Style):
    """Far-away silhouettes above the horizon as (x-fractions, heights) polygons."""
    out = []
    if kind == "tunnel":
        return out
    kind = "rural" if kind == "highway" else kind
    haze = style.sky_bottom
    if kind != "rural" or rng.random() < 0.6:
        u = np.linspace(0, 1, 40)
        h = np.clip(0.05 + 0.03 * np.cumsum(rng.normal(0, 0.4, 40)) / 4, 0.01, 0.12)
        tone = style.colours[VEG] * 0.55 + haze * 0.45
        out.append((np.stack([u, h], 1), tuple(float(c) for c in tone), VEG))
    if kind != "rural":
        edges = np.cumsum(rng.uniform(0.03, 0.12, 30))
        edges = edges[edges < 1.2]
        for a, b in zip(edges[:-1], edges[1:]):
            if rng.random() < 0.7:
                hgt = rng.uniform(0.04, 0.22 if kind == "city" else 0.08)
                u = np.array([a, b, b, a])
                tone = FACADES[rng.integers(len(FACADES))] * 0.5 + haze * 0.5
                out.append((np.stack([u, [0, 0, hgt, hgt]], 1), tuple(float(c) for c in tone), 2))
    return out


def _facade(rng: np.random.Generator, style: Style) -> tuple[np.ndarray, np.ndarray]:
    colour = jitter(rng, FACADES[rng.integers(len(FACADES))], 14)
    lit = style.dusk and rng.random() < 0.5
    glass = jitter(rng, (235, 210, 120) if lit else (50, 60, 75), 10)
    return colour, glass


def sample_scene(
    rng: np.random.Generator,
    width: int,
    height: int,
    duration: float,
    supersample: int = 2,
    kind: str | None = None,
    condition: str | None = None,
    rare: tuple[str, ...] | None = None,
) -> Scene:
    """Lay out one drive long enough for ``duration`` simulated frames at the drawn speed.

    Road type, condition and rare road users are drawn unless given (the ``video`` plan gives them).
    """
    if kind is None:
        kind = str(rng.choice(KINDS, p=[0.45, 0.35, 0.2]))
    if condition is None:
        style = sample_style(rng, kind)
    else:
        style = condition_style(rng, kind, condition)
    road = _road(rng, kind)
    W, H = width * supersample, height * supersample
    speed = float(rng.uniform(*SPEEDS[kind]))
    ego_lane = int(rng.integers(0, road.lanes_right)) if road.lanes_right else 0
    scene = Scene(
        kind=kind,
        width=W,
        height=H,
        focal=W * rng.uniform(0.78, 1.0),
        horizon=H * rng.uniform(0.36, 0.47),
        cam_height=rng.uniform(1.3, 1.75),
        ego_x=(ego_lane + 0.5) * road.lane + rng.normal(0, 0.2),
        curve=float(rng.choice([0.0, 1.0]) * rng.uniform(-0.0035, 0.0035)),
        speed=speed,
        pitch=(rng.uniform(0.0, 0.006) * H, rng.uniform(20, 60), rng.uniform(0, 2 * np.pi)),
        road=road,
        base_label=SIDEWALK if kind == "city" else TERRAIN,
        skyline=_skyline(rng, kind, style),
        style=style,
        textures=make_textures(rng, W, H, style),
    )
    given, rare = rare, {
        WALL: rng.random() < 0.35,
        FENCE: rng.random() < (0.6 if kind == "rural" else 0.3),
        TRUCK: rng.random() < 0.35,
        BUS: kind != "rural" and rng.random() < 0.3,
        TRAIN: rng.random() < 0.12,
        MOTO: rng.random() < 0.18,
        "cyclists": rng.random() < 0.3,
        "lights": kind == "city" and rng.random() < 0.7 or kind == "suburb" and rng.random() < 0.3,
    }
    if given is not None:
        for name, key in RARE_KEYS.items():
            rare[key] = name in given
        rare[TRUCK] = rare[TRUCK] or kind == "highway" and rng.random() < 0.6
    present = {k for k, v in rare.items() if v}
    scene.rare = {k for k in present if isinstance(k, int)}
    if kind == "tunnel":
        scene.ceiling = float(rng.uniform(4.8, 6.0))
    lo = -40.0
    hi = speed * duration + Z_FAR + 40.0
    crossings = _crossings(rng, kind, lo, hi)
    _paint(rng, scene, lo, hi, crossings)
    for side in (-1, 1):
        _roadside(rng, scene, side, lo, hi, crossings, present)
    _traffic(rng, scene, lo, hi, duration, present)
    return scene


def _crossings(rng: np.random.Generator, kind: str, lo: float, hi: float) -> list[tuple[float, float]]:
    if kind in ("highway", "tunnel"):
        return []
    if kind == "rural" and rng.random() < 0.7:
        return []
    out, s = [], lo + rng.uniform(10, 80)
    while s < hi:
        width = rng.uniform(9, 14)
        out.append((s, s + width))
        s += width + rng.uniform(50, 140)
    return out


def _free(s0: float, s1: float, crossings: list[tuple[float, float]]) -> bool:
    return all(s1 < a - 1.0 or s0 > b + 1.0 for a, b in crossings)


def _paint(rng, scene: Scene, lo: float, hi: float, crossings) -> None:
    road = scene.road
    scene.ground.extend(CrossStreet(a, b) for a, b in crossings)
    w = 0.12
    for side in (-1, 1):
        edge = road.edge(side) - side * 0.35
        scene.paint.append(Paint(lo, hi, x0=edge - w, x1=edge + w))
    bounds = [road.left + k * road.lane for k in range(1, road.lanes_left + road.lanes_right)]
    dash, gap = rng.uniform(2.5, 4.0), rng.uniform(5.0, 9.0)
    for b in bounds:
        if abs(b) < 0.01 and road.two_way:
            scene.paint.append(Paint(lo, hi, x0=-w, x1=w))
            continue
        s = lo + rng.uniform(0, gap)
        while s < hi:
            if _free(s, s + dash, crossings):
                scene.paint.append(Paint(s, s + dash, x0=b - w / 2, x1=b + w / 2))
            s += dash + gap
    for a, _ in crossings:
        if rng.random() < 0.6:
            x = road.left + 0.3
            while x < road.right - 0.5:
                scene.paint.append(Paint(a - 4.0, a - 1.0, x0=x, x1=x + 0.5))
                x += 1.0


def _roadside(rng, scene: Scene, side: int, lo: float, hi: float, crossings, rare) -> None:
    road, kind, style = scene.road, scene.kind, scene.style
    if kind in ("highway", "tunnel"):
        fast_roadside(rng, scene, side, lo, hi)
        return
    i = 0 if side < 0 else 1
    curb = road.edge(side)
    line = road.building_line(side)
    s = lo
    while s < hi:
        if kind == "city":
            length, gap, height = (
                rng.uniform(10, 35),
                rng.choice([0.0, 0.0, rng.uniform(3, 10)]),
                rng.uniform(9, 28),
            )
        elif kind == "suburb":
            length, gap, height = rng.uniform(8, 15), rng.uniform(4, 15), rng.uniform(5, 9)
        else:
            length, gap, height = rng.uniform(8, 14), rng.uniform(60, 200), rng.uniform(4, 7)
        if _free(s, s + length, crossings):
            colour, glass = _facade(rng, style)
            scene.structures.append(
                Building(
                    s,
                    s + length,
                    x=line + side * rng.uniform(0, 1.0 if kind != "city" else 0),
                    side=side,
                    height=height,
                    colour=colour,
                    glass=glass,
                    floor=rng.uniform(2.8, 3.6),
                    col_step=rng.uniform(2.2, 3.8),
                )
            )
        s += length + gap
    outer = curb + side * (road.sidewalk[i] + road.verge[i])
    if kind == "rural" or (kind == "suburb" and rng.random() < 0.5):
        x = line - side * 0.5 if kind == "rural" else outer + side * 0.3
        h = rng.uniform(5, 14) if kind == "rural" else rng.uniform(0.9, 1.6)
        s = lo
        while s < hi:
            length = rng.uniform(20, 80)
            if _free(s, s + length, crossings) and rng.random() < 0.8:
                bumps = rng.normal(0, 0.25 if kind == "suburb" else 1.5, int(length / 2) + 2)
                scene.structures.append(
                    Barrier(
                        s,
                        s + length,
                        x=x,
                        height=h,
                        label=VEG,
                        colour=jitter(rng, style.colours[VEG], 8),
                        bumps=bumps,
                    )
                )
            s += length + rng.uniform(0, 30)
    for label in (WALL, FENCE):
        if label not in rare or rng.random() < 0.3:
            continue
        x = outer + side * (0.15 if label == FENCE else 0.4)
        h = rng.uniform(1.0, 2.5) if label == WALL else rng.uniform(1.0, 1.8)
        colour = jitter(rng, style.colours[label], 8)
        s = lo
        while s < hi:
            length = rng.uniform(15, 60)
            if _free(s, s + length, crossings):
                scene.structures.append(Barrier(s, s + length, x=x, height=h, label=label, colour=colour))
            s += length + rng.uniform(5, 40)
    tree_gap = {"city": (15, 40), "suburb": (6, 18), "rural": (8, 40)}[kind]
    if kind != "city" or rng.random() < 0.6:
        s = lo + rng.uniform(0, 10)
        while s < hi:
            x = curb + side * (road.sidewalk[i] * 0.8 + road.verge[i] * 0.5 + (0.5 if kind == "rural" else 0))
            if _free(s - 3, s + 3, crossings):
                scene.objects.append(
                    Tree(
                        s,
                        s + 0.3,
                        x=x,
                        trunk=rng.uniform(1.8, 3.5),
                        radius=rng.uniform(1.3, 2.8),
                        seed=int(rng.integers(1 << 30)),
                    )
                )
            s += rng.uniform(*tree_gap)
    spacing = rng.uniform(18, 35) if kind != "rural" else rng.uniform(30, 50)
    s = lo + rng.uniform(0, spacing)
    pole_x = curb + side * (0.5 if kind != "rural" else road.verge[i] * 0.7)
    while s < hi:
        if _free(s - 1, s + 1, crossings):
            sign = None
            if rng.random() < 0.25:
                sign = str(rng.choice(["round", "triangle", "blue", "yellow"]))
            scene.objects.append(
                Pole(
                    s,
                    s + 0.2,
                    x=pole_x,
                    side=side,
                    height=rng.uniform(6, 9),
                    width=rng.uniform(0.15, 0.3),
                    arm=kind != "rural",
                    sign=sign,
                    sign_height=rng.uniform(2.2, 3.0),
                )
            )
        if rng.random() < 0.25 and _free(s + 5, s + 7, crossings):
            scene.objects.append(
                Pole(
                    s + 6,
                    s + 6.1,
                    x=pole_x,
                    side=side,
                    height=2.9,
                    width=0.08,
                    sign=str(rng.choice(["round", "triangle", "blue", "yellow"])),
                    sign_height=2.1,
                )
            )
        s += spacing
    if "lights" in rare:
        state = str(rng.choice(["red", "amber", "green"]))
        for a, _ in crossings:
            over = (road.lane * rng.uniform(0.8, 1.6)) if rng.random() < 0.5 else 0.0
            scene.objects.append(
                Pole(
                    a - 1.5,
                    a - 1.4,
                    x=curb + side * 0.6,
                    side=side,
                    height=5.5 if over else 3.8,
                    width=0.2,
                    light=state,
                    light_over_road=over,
                )
            )
    if kind != "rural":
        density = 0.12 if kind == "city" else 0.03
        count = rng.poisson(density * (hi - lo))
        for _ in range(count):
            s = rng.uniform(lo, hi)
            x = curb + side * rng.uniform(0.4, max(0.5, road.sidewalk[i] - 0.3))
            v = rng.choice([0.0, 1.0, -1.0], p=[0.3, 0.35, 0.35]) * rng.uniform(0.03, 0.05)
            scene.objects.append(
                Pedestrian(
                    s,
                    s + 0.3,
                    v=float(v),
                    x=x,
                    height=rng.uniform(1.55, 1.95),
                    look=_look(rng),
                    phase=rng.uniform(0, 6.3),
                )
            )


def _lane_traffic(
    rng,
    scene: Scene,
    x: float,
    speed: float,
    facing: int,
    lo: float,
    hi: float,
    rare,
    parked: bool = False,
    ahead_of: float | None = None,
) -> None:
    s = lo + rng.uniform(0, 20)
    while s < hi:
        kind = CAR
        r = rng.random()
        if TRUCK in rare and r < 0.12:
            kind = TRUCK
        elif BUS in rare and r < 0.2 and not parked:
            kind = BUS
        elif MOTO in rare and r < 0.26 and not parked:
            kind = MOTO
        dims = {
            CAR: (rng.uniform(1.7, 1.9), rng.uniform(1.35, 1.6), rng.uniform(4.0, 4.8)),
            TRUCK: (2.45, rng.uniform(3.0, 3.8), rng.uniform(7, 11)),
            BUS: (2.55, 3.1, 12.0),
            MOTO: (0.7, 1.2, 2.0),
        }[kind]
        colour = jitter(rng, CAR_COLOURS[rng.integers(len(CAR_COLOURS))], 10)
        if kind in (TRUCK, BUS) and rng.random() < 0.5:
            colour = jitter(rng, (225, 225, 220), 10)
        if ahead_of is None or s > ahead_of:
            scene.objects.append(
                Vehicle(
                    s,
                    s + dims[2],
                    v=speed,
                    x=x + rng.normal(0, 0.15),
                    kind=kind,
                    width=dims[0],
                    height=dims[1],
                    facing=facing,
                    colour=colour,
                    rider=_look(rng) if kind == MOTO else None,
                )
            )
        s += dims[2] + (rng.uniform(1.0, 3.0) if parked else rng.uniform(8, 45))


def _traffic(rng, scene: Scene, lo: float, hi: float, duration: float, rare) -> None:
    road, ego = scene.road, scene.speed
    reach = duration * 0.9
    for k in range(road.lanes_left + road.lanes_right):
        x = road.left + (k + 0.5) * road.lane
        if road.left + (road.lanes_left * road.lane) > x and road.two_way:
            v = -ego * rng.uniform(0.7, 1.3)
            _lane_traffic(rng, scene, x, v, -1, lo, hi + reach * abs(v), rare)
        else:
            ego_lane = abs(x - scene.ego_x) < road.lane / 2
            v = ego * (rng.uniform(1.0, 1.15) if ego_lane else rng.uniform(0.6, 1.3))
            start = lo - reach * max(v - ego, 0.0) * 2
            _lane_traffic(rng, scene, x, v, 1, start, hi, rare, ahead_of=8.0 if ego_lane else None)
    if scene.kind == "city":
        for side in (-1, 1):
            lanes = road.lanes_left if side < 0 else road.lanes_right
            edge = road.edge(side) - side * 1.1
            if abs(edge) > lanes * road.lane and rng.random() < 0.8:
                _lane_traffic(rng, scene, edge, 0.0, 1, lo, hi, rare, parked=True)
    if "cyclists" in rare:
        x = road.right - 0.8
        s = lo
        while s < hi:
            s += rng.uniform(15, 60)
            scene.objects.append(
                Cyclist(
                    s,
                    s + 1.2,
                    v=ego * rng.uniform(0.4, 0.7),
                    x=x,
                    look=_look(rng),
                    frame_colour=jitter(rng, CAR_COLOURS[rng.integers(len(CAR_COLOURS))]),
                )
            )
    if TRAIN in rare:
        x = (
            road.left - (road.sidewalk[0] + road.verge[0]) * 0.5 - 3.0
            if scene.kind != "city"
            else road.left + 1.6
        )
        v = -ego * rng.uniform(0.3, 0.9) if rng.random() < 0.5 else ego * rng.uniform(0.5, 1.3)
        facing = 1 if v > 0 else -1
        s0 = rng.uniform(10, 40) if v < 0 else rng.uniform(5, 30)
        length = rng.uniform(25, 45)
        scene.objects.append(
            Vehicle(
                s0,
                s0 + length,
                v=float(v),
                x=x,
                kind=TRAIN,
                width=2.6,
                height=3.5,
                facing=facing,
                colour=jitter(rng, [(220, 220, 225), (190, 40, 40), (40, 90, 170)][rng.integers(3)]),
            )
        )
