"""Per-sequence look of the driving simulator: class colours, lighting, textures and noise."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, LIGHT, SIGN, VEG, TERRAIN, SKY = range(11)
PERSON, RIDER, CAR, TRUCK, BUS, TRAIN, MOTO, BIKE = range(11, 19)

#: (fine, coarse) texture amplitude per class; the look of each surface, jittered per sequence
_TEXTURE = {
    ROAD: (0.05, 0.08),
    SIDEWALK: (0.07, 0.05),
    BUILDING: (0.04, 0.10),
    WALL: (0.10, 0.10),
    FENCE: (0.12, 0.04),
    POLE: (0.02, 0.02),
    LIGHT: (0.02, 0.02),
    SIGN: (0.02, 0.02),
    VEG: (0.28, 0.25),
    TERRAIN: (0.14, 0.22),
    SKY: (0.01, 0.07),
    PERSON: (0.05, 0.04),
    RIDER: (0.05, 0.04),
    CAR: (0.02, 0.03),
    TRUCK: (0.03, 0.04),
    BUS: (0.02, 0.04),
    TRAIN: (0.02, 0.04),
    MOTO: (0.03, 0.03),
    BIKE: (0.03, 0.03),
}

CAR_COLOURS = np.array(
    [
        (235, 235, 235),
        (30, 30, 34),
        (150, 152, 158),
        (90, 92, 98),
        (170, 30, 30),
        (30, 60, 140),
        (40, 90, 60),
        (200, 180, 140),
        (110, 20, 30),
        (230, 200, 40),
    ],
    dtype=np.float32,
)

FACADES = np.array(
    [
        (150, 150, 152),
        (205, 190, 160),
        (150, 75, 55),
        (225, 222, 212),
        (190, 170, 190),
        (170, 190, 200),
        (120, 110, 100),
        (215, 170, 110),
    ],
    dtype=np.float32,
)

CLOTHES = np.array(
    [
        (30, 30, 40),
        (200, 200, 205),
        (40, 60, 120),
        (150, 30, 40),
        (80, 80, 80),
        (60, 100, 60),
        (180, 140, 90),
        (220, 120, 40),
        (100, 60, 120),
    ],
    dtype=np.float32,
)

SKIN = np.array([(230, 190, 160), (190, 140, 100), (120, 80, 55), (245, 210, 180)], np.float32)


def jitter(rng: np.random.Generator, colour: np.ndarray | tuple, amount: float = 12.0) -> np.ndarray:
    """A colour moved by a small random amount, clipped to the valid range."""
    return np.clip(np.asarray(colour, np.float32) + rng.normal(0, amount, 3), 0, 255)


@dataclass
class Style:
    """Everything about a sequence's appearance that is not geometry."""

    colours: dict[int, np.ndarray]
    vegetation_tones: np.ndarray
    lane_paint: np.ndarray
    sky_top: np.ndarray
    sky_bottom: np.ndarray
    gain: np.ndarray
    offset: float
    noise: float
    blur: float
    dusk: bool
    amp_fine: np.ndarray
    amp_coarse: np.ndarray
    #: haze strength at the horizon (0: none) and its colour; rain streak density (0: dry)
    fog: float = 0.0
    fog_colour: np.ndarray | None = None
    rain: float = 0.0


def sample_style(rng: np.random.Generator, kind: str, weather: str | None = None) -> Style:
    """Draw one sequence's colours, lighting (day, overcast, dusk or night), textures and noise."""
    if weather is None:
        weather = rng.choice(["sunny", "overcast", "dusk"], p=[0.5, 0.32, 0.18])
    road_grey = rng.uniform(65, 115)
    autumn = rng.random() < 0.2
    veg_base = (150, 130, 45) if autumn else (rng.uniform(40, 90), rng.uniform(95, 140), 40)
    colours = {
        ROAD: jitter(rng, (road_grey, road_grey, road_grey + rng.uniform(-4, 8)), 5),
        SIDEWALK: jitter(
            rng,
            [(175, 170, 165), (190, 160, 140), (150, 150, 158), (200, 195, 180)][rng.integers(4)],
            10,
        ),
        WALL: jitter(rng, [(160, 155, 145), (140, 80, 60), (120, 120, 125)][rng.integers(3)]),
        FENCE: jitter(rng, [(110, 115, 110), (120, 90, 60), (60, 90, 70)][rng.integers(3)]),
        POLE: jitter(rng, [(125, 128, 132), (60, 70, 60), (95, 95, 100)][rng.integers(3)], 8),
        LIGHT: jitter(rng, [(35, 35, 38), (200, 170, 40)][int(rng.random() < 0.25)], 6),
        VEG: jitter(rng, veg_base, 10),
        TERRAIN: jitter(rng, [(120, 160, 70), (165, 150, 95), (140, 170, 90)][rng.integers(3)], 12),
    }
    veg = colours[VEG]
    tones = np.stack([veg * 0.75, veg, np.clip(veg * 1.2, 0, 255)])
    if weather == "sunny":
        sky_top, sky_bottom = (60, 120, 215), (165, 200, 235)
        gain = rng.uniform(0.95, 1.15)
    elif weather == "overcast":
        g = rng.uniform(170, 215)
        sky_top, sky_bottom = (g - 15, g - 10, g), (g + 20, g + 20, g + 22)
        gain = rng.uniform(0.8, 1.0)
    elif weather == "dusk":
        sky_top, sky_bottom = (70, 70, 130), (240, 150, 90)
        gain = rng.uniform(0.55, 0.8)
    else:
        sky_top, sky_bottom = (8, 10, 24), (30, 32, 50)
        gain = rng.uniform(0.25, 0.4)
    tint = np.array([1.0, 1.0, 1.0], np.float32) + rng.normal(0, 0.04, 3).astype(np.float32)
    if weather == "dusk":
        tint *= np.array([1.12, 0.95, 0.82], np.float32)
    amp_fine = np.zeros(256, np.float32)
    amp_coarse = np.zeros(256, np.float32)
    scale = rng.uniform(0.6, 1.4)
    for cls, (fine, coarse) in _TEXTURE.items():
        amp_fine[cls] = fine * scale
        amp_coarse[cls] = coarse * rng.uniform(0.6, 1.4)
    return Style(
        colours=colours,
        vegetation_tones=tones,
        lane_paint=np.array((230, 230, 225) if rng.random() < 0.8 else (230, 200, 60), np.float32),
        sky_top=jitter(rng, sky_top, 8),
        sky_bottom=jitter(rng, sky_bottom, 8),
        gain=(gain * tint).astype(np.float32),
        offset=float(rng.uniform(-10, 10)),
        noise=float(rng.uniform(1.0, 7.0)),
        blur=float(rng.choice([0.0, 0.0, 0.0, 0.6, 0.9])),
        dusk=weather in ("dusk", "night"),
        amp_fine=amp_fine,
        amp_coarse=amp_coarse,
    )


@dataclass
class Textures:
    """Static per-sequence noise fields that give each class its surface texture."""

    fine: np.ndarray
    coarse: np.ndarray
    sky: np.ndarray


def make_textures(rng: np.random.Generator, width: int, height: int, style: Style) -> Textures:
    """Fine per-pixel grain, blotchy low-frequency variation and the sky gradient image."""
    fine = rng.standard_normal((height, width), dtype=np.float32)
    small = rng.standard_normal((max(2, height // 6), max(2, width // 6)), dtype=np.float32)
    coarse = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    coarse /= max(float(coarse.std()), 1e-6)
    ramp = np.clip(np.linspace(0.0, 2.2, height, dtype=np.float32), 0, 1)[:, None, None] ** 0.7
    sky = style.sky_top[None, None, :] * (1 - ramp) + style.sky_bottom[None, None, :] * ramp
    sky = np.ascontiguousarray(np.broadcast_to(sky, (height, width, 3)), dtype=np.float32)
    return Textures(fine=fine[..., None], coarse=coarse[..., None], sky=sky)
