"""Light and weather conditions of the ``video`` family, applied to a drive's style.

day: sun or overcast; dusk: low warm light; night: dark scene, lit windows, strong sensor noise
(high gain); rain: overcast, darker wet road, soft focus and streaks on the windscreen; fog: haze
that thickens towards the horizon. Tunnels replace daylight by dim, tinted artificial light.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .style import ROAD, SIDEWALK, Style, sample_style

CONDITIONS = ("day", "dusk", "rain", "night", "fog")


def condition_style(rng: np.random.Generator, kind: str, condition: str) -> Style:
    """A drive's style for road type ``kind`` recorded in ``condition``."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}")
    weather = {
        "day": "sunny" if rng.random() < 0.6 else "overcast",
        "dusk": "dusk",
        "night": "night",
        "rain": "overcast",
        "fog": "overcast",
    }[condition]
    style = sample_style(rng, kind, weather)
    colours = dict(style.colours)
    changes: dict = {}
    if condition == "night":
        changes["noise"] = float(rng.uniform(6.0, 11.0))
    elif condition == "rain":
        colours[ROAD] = colours[ROAD] * 0.7
        colours[SIDEWALK] = colours[SIDEWALK] * 0.8
        changes.update(
            gain=(style.gain * rng.uniform(0.75, 0.9)).astype(np.float32),
            blur=float(rng.uniform(0.7, 1.1)),
            rain=float(rng.uniform(0.5, 1.0)),
        )
    elif condition == "fog":
        grey = float(rng.uniform(170, 210))
        changes.update(
            fog=float(rng.uniform(0.55, 0.8)),
            fog_colour=np.array([grey, grey, grey + 4.0], np.float32),
            sky_top=np.full(3, grey, np.float32),
            sky_bottom=np.full(3, grey + 6.0, np.float32),
        )
    if kind == "tunnel":
        tint = np.array([1.15, 0.95, 0.7] if rng.random() < 0.6 else [0.95, 1.0, 1.05], np.float32)
        dim = rng.uniform(0.45, 0.65) * tint
        changes["gain"] = (changes.get("gain", style.gain) * dim).astype(np.float32)
    return replace(style, colours=colours, **changes)
