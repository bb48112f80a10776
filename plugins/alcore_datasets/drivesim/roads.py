"""Highways and tunnels of the ``video`` family: wide fast roads without sidewalks or pedestrians."""

from __future__ import annotations

import numpy as np

from .items import Barrier, Pole, Tree
from .layout import Road, Scene
from .style import VEG, WALL, jitter


def fast_road(rng: np.random.Generator, kind: str) -> Road:
    """A highway (2-3 lanes each way, wide verges) or a tunnel (2 lanes one way, narrow walkways)."""
    lane = rng.uniform(3.5, 3.75)
    if kind == "tunnel":
        walk = rng.uniform(0.8, 1.2)
        return Road(
            left=-lane,
            right=lane,
            lane=lane,
            lanes_left=1,
            lanes_right=1,
            two_way=False,
            sidewalk=(walk, walk),
            verge=(0.0, 0.0),
            setback=(0.0, 0.0),
        )
    lanes = int(rng.integers(2, 4))
    return Road(
        left=-lanes * lane - 0.6,
        right=lanes * lane,
        lane=lane,
        lanes_left=lanes,
        lanes_right=lanes,
        two_way=True,
        sidewalk=(0.0, 0.0),
        verge=(rng.uniform(3, 8), rng.uniform(3, 8)),
        setback=(rng.uniform(20, 60), rng.uniform(20, 60)),
    )


def fast_roadside(rng: np.random.Generator, scene: Scene, side: int, lo: float, hi: float) -> None:
    """Walls of a tunnel, or a highway's median barrier, embankment, sparse trees and gantry poles."""
    road, style = scene.road, scene.style
    i = 0 if side < 0 else 1
    curb = road.edge(side)
    if scene.kind == "tunnel":
        colour = jitter(rng, style.colours[WALL], 8)
        scene.structures.append(
            Barrier(lo, hi, x=curb + side * road.sidewalk[i], height=scene.ceiling or 5.5, label=WALL,
                    colour=colour)
        )
        return
    if side < 0:
        scene.structures.append(
            Barrier(lo, hi, x=-0.3, height=0.9, label=WALL, colour=jitter(rng, (165, 165, 160), 8))
        )
    outer = curb + side * road.verge[i]
    s = lo
    while s < hi:
        length = rng.uniform(30, 120)
        if rng.random() < 0.7:
            bumps = rng.normal(0, 1.2, int(length / 2) + 2)
            scene.structures.append(
                Barrier(s, s + length, x=outer, height=rng.uniform(3, 9), label=VEG,
                        colour=jitter(rng, style.colours[VEG], 8), bumps=bumps)
            )
        s += length + rng.uniform(0, 40)
    s = lo + rng.uniform(0, 30)
    while s < hi:
        scene.objects.append(
            Tree(s, s + 0.3, x=curb + side * road.verge[i] * 0.6, trunk=rng.uniform(2.0, 3.5),
                 radius=rng.uniform(1.5, 3.0), seed=int(rng.integers(1 << 30)))
        )
        s += rng.uniform(15, 70)
    s = lo + rng.uniform(0, 40)
    while s < hi:
        sign = str(rng.choice(["round", "blue"])) if rng.random() < 0.3 else None
        scene.objects.append(
            Pole(s, s + 0.2, x=curb + side * 1.0, side=side, height=rng.uniform(9, 12), width=0.25,
                 arm=True, sign=sign, sign_height=rng.uniform(2.2, 3.0))
        )
        s += rng.uniform(40, 70)
