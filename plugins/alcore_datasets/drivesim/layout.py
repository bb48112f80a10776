"""The layout of one simulated drive: its road's cross-section and everything placed along it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .items import Item
from .style import Style, Textures


@dataclass
class Road:
    """Lateral layout: road edges, sidewalks, verges and where buildings start, per side."""

    left: float
    right: float
    lane: float
    lanes_left: int
    lanes_right: int
    two_way: bool
    sidewalk: tuple[float, float]
    verge: tuple[float, float]
    setback: tuple[float, float]

    def edge(self, side: int) -> float:
        """The curb position on ``side`` (-1 left, +1 right)."""
        return self.left if side < 0 else self.right

    def building_line(self, side: int) -> float:
        """Lateral position of facades on ``side``."""
        i = 0 if side < 0 else 1
        return self.edge(side) + side * (self.sidewalk[i] + self.verge[i] + self.setback[i])


@dataclass
class Scene:
    """Everything needed to render any frame of one drive."""

    kind: str
    width: int
    height: int
    focal: float
    horizon: float
    cam_height: float
    ego_x: float
    curve: float
    speed: float
    pitch: tuple[float, float, float]
    road: Road
    base_label: int
    skyline: list[tuple[np.ndarray, tuple[float, float, float], int]]
    paint: list[Item] = field(default_factory=list)
    ground: list[Item] = field(default_factory=list)
    structures: list[Item] = field(default_factory=list)
    objects: list[Item] = field(default_factory=list)
    style: Style | None = None
    textures: Textures | None = None
    rare: set[int] = field(default_factory=set)
    #: height of a tunnel ceiling (0: open sky)
    ceiling: float = 0.0
