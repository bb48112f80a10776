"""The drive plan of the ``video`` family: which drives exist, their length, road, light and events.

Every choice here models a property of real driving recordings (see docs/drivesim.md):
drives differ in length; the car stops (runs of near-identical frames) and speeds up; road
types and weather/light conditions are unevenly common; rare classes occur in a few drives only;
validation drives are held out and cover every condition. Shares are allocated as exact quotas
(largest remainder), not drawn independently, so a pool's make-up is what the tables say.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: road types and the share of pool drives of each (common city/suburb, rare tunnel)
KIND_SHARES: dict[str, float] = {"city": 0.35, "suburb": 0.25, "highway": 0.2, "rural": 0.15, "tunnel": 0.05}
#: light/weather conditions and the share of pool drives recorded in each
CONDITION_SHARES: dict[str, float] = {"day": 0.55, "dusk": 0.15, "rain": 0.15, "night": 0.1, "fog": 0.05}
#: rare road users: share of pool drives in which they occur (at least one drive each)
RARE_SHARES: dict[str, float] = {"train": 0.05, "motorcycle": 0.08, "bicycle": 0.1, "bus": 0.12}
#: road types on which each rare road user can occur
RARE_KINDS: dict[str, tuple[str, ...]] = {
    "train": ("city", "suburb", "rural"),
    "motorcycle": ("city", "suburb", "rural", "highway"),
    "bicycle": ("city", "suburb", "rural"),
    "bus": ("city", "suburb", "highway"),
}
#: per road type: share of driving segments that are stops, and that are fast stretches
STOP_SHARE = {"city": 0.3, "suburb": 0.2, "rural": 0.06, "highway": 0.04, "tunnel": 0.03}
FAST_SHARE = {"city": 0.05, "suburb": 0.1, "rural": 0.3, "highway": 0.35, "tunnel": 0.2}
#: stop length in captured frames (city lights are long; elsewhere stops are short)
STOP_FRAMES = {"city": (8, 30), "suburb": (5, 18), "rural": (3, 10), "highway": (4, 16), "tunnel": (3, 8)}
#: moving segment length in captured frames, and the speed factor of each segment type
MOVE_FRAMES = (5, 25)
SLOW, CRUISE, FAST = (0.3, 0.6), (0.8, 1.2), (1.6, 2.4)
#: spread of drive lengths around the spec's mean (log-normal sigma) and their bounds (x mean)
LENGTH_SIGMA = 0.6
LENGTH_BOUNDS = (0.25, 4.0)


@dataclass(frozen=True)
class Drive:
    """One planned drive: road type, condition, rare road users and its capture times."""

    split: str
    index: int
    kind: str
    condition: str
    rare: tuple[str, ...]
    #: recorder clock of each captured frame (simulated frames since the drive's start)
    clock: tuple[int, ...]
    #: world time of each captured frame: how far the drive has progressed (frozen while stopped)
    times: tuple[float, ...]
    stops: bool

    @property
    def frames(self) -> int:
        """Number of captured frames."""
        return len(self.clock)

    def to_dict(self) -> dict:
        """JSON form for the manifest."""
        return {
            "split": self.split,
            "index": self.index,
            "kind": self.kind,
            "condition": self.condition,
            "rare": list(self.rare),
            "frames": self.frames,
            "stopped_frames": int(np.sum(np.diff(self.times) == 0)) if self.frames > 1 else 0,
        }


def quotas(shares: dict[str, float], n: int) -> dict[str, int]:
    """Split ``n`` items over ``shares`` by largest remainder (exact, ties by table order)."""
    raw = {k: v * n for k, v in shares.items()}
    out = {k: int(np.floor(x)) for k, x in raw.items()}
    left = n - sum(out.values())
    order = sorted(shares, key=lambda k: (-(raw[k] - out[k]), list(shares).index(k)))
    for k in order[:left]:
        out[k] += 1
    return out


def rare_counts(n: int) -> dict[str, int]:
    """How many pool drives carry each rare road user: its share, at least one drive."""
    return {k: max(1, int(round(v * n))) for k, v in RARE_SHARES.items()}


def speed_profile(rng: np.random.Generator, kind: str, n: int, stops: bool) -> np.ndarray:
    """Speed factor (x cruise) of each of ``n`` captured frames: segments of stop/slow/cruise/fast."""
    out: list[float] = []
    p_stop = STOP_SHARE[kind] if stops else 0.0
    p_fast = FAST_SHARE[kind]
    while len(out) < n:
        r = rng.random()
        if r < p_stop:
            out += [0.0] * int(rng.integers(STOP_FRAMES[kind][0], STOP_FRAMES[kind][1] + 1))
            continue
        length = int(rng.integers(MOVE_FRAMES[0], MOVE_FRAMES[1] + 1))
        band = FAST if r < p_stop + p_fast else (SLOW if rng.random() < 0.25 else CRUISE)
        out += [float(rng.uniform(*band))] * length
    return np.asarray(out[:n])


def _drive(seed: int, split: str, q: int, kind: str, condition: str, rare: tuple[str, ...],
           frames: int, step: int, stops: bool) -> Drive:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3, 0 if split == "train" else 1, q]))
    speed = speed_profile(rng, kind, frames, stops)
    times = np.concatenate([[0.0], np.cumsum(speed[:-1])]) * step
    clock = tuple(int(k * step) for k in range(frames))
    return Drive(split, q, kind, condition, rare, clock, tuple(float(t) for t in times), stops)


def _lengths(rng: np.random.Generator, n: int, mean: int) -> np.ndarray:
    lo, hi = max(1, int(LENGTH_BOUNDS[0] * mean)), max(1, int(LENGTH_BOUNDS[1] * mean))
    mu = np.log(mean) - LENGTH_SIGMA**2 / 2
    return np.clip(np.round(rng.lognormal(mu, LENGTH_SIGMA, n)), lo, hi).astype(int)


def _val_drive(seed: int, q: int, frames: int, step: int) -> Drive:
    """Validation drive ``q``: conditions in turn (so any 5 consecutive drives cover all of them)."""
    conds, kinds, rares = list(CONDITION_SHARES), list(KIND_SHARES), list(RARE_SHARES)
    kind = kinds[(q + q // len(conds)) % len(kinds)]
    rare = rares[q % len(rares)]
    return _drive(seed, "val", q, kind, conds[q % len(conds)],
                  (rare,) if kind in RARE_KINDS[rare] else (), frames, step, False)


@lru_cache(maxsize=64)
def _plan(seed: int, sequences: int, frames: int, step: int, val_sequences: int, val_frames: int,
          val_step: int, stops: bool) -> tuple[tuple[Drive, ...], tuple[Drive, ...]]:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    n = sequences
    kinds = rng.permutation(np.repeat(list(KIND_SHARES), list(quotas(KIND_SHARES, n).values())))
    conds = rng.permutation(np.repeat(list(CONDITION_SHARES), list(quotas(CONDITION_SHARES, n).values())))
    rare: list[list[str]] = [[] for _ in range(n)]
    for name, count in rare_counts(n).items():
        fits = [i for i in rng.permutation(n) if kinds[i] in RARE_KINDS[name]]
        for i in fits[:count]:
            rare[int(i)].append(name)
    lengths = _lengths(rng, n, frames) if stops or frames > 2 else np.full(n, frames)
    train = tuple(
        _drive(seed, "train", q, str(kinds[q]), str(conds[q]), tuple(rare[q]), int(lengths[q]), step, stops)
        for q in range(n)
    )
    val = tuple(_val_drive(seed, q, val_frames, val_step) for q in range(val_sequences))
    return train, val


def plan_drives(spec, split: str) -> tuple[Drive, ...]:
    """The planned drives of ``split`` ('train' or 'val') for a ``video``-family spec.

    Stops are part of recorded video; a spec with at most 2 frames per drive models curated
    stills (one or two frames picked per drive), which have neither stops nor varied lengths.
    """
    stops = spec.frames > 2
    train, val = _plan(
        spec.seed, spec.sequences, spec.frames, spec.step, spec.val_sequences, spec.val_frames,
        spec.val_step, stops,
    )
    return train if split == "train" else val
