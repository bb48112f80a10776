"""Stratified random and the generic per-group limits, through the strategy checker and the registry."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from alcore.group_limits import GroupLimits
from alcore.plugins import build_registry
from alcore.sdk.errors import ConfigError
from alcore.sdk.testing import check_strategy
from alcore_acquisition.scores import entropy
from alcore_acquisition.stratified import StratifiedRandom

SIZES = (50, 10, 5, 5)


def pool() -> dict[str, np.ndarray]:
    """Four drives of unequal length; drive 0 is the longest and the most uncertain throughout."""
    group = np.concatenate([np.full(n, g) for g, n in enumerate(SIZES)])
    frame = np.concatenate([np.arange(n) for n in SIZES])
    score = np.where(group == 0, 10.0, 1.0) + frame * 0.01
    return {"group": group, "frame": frame, "entropy": score}


def test_stratified_random_passes_the_checker_and_spreads_evenly() -> None:
    q = pool()
    check_strategy(StratifiedRandom(), q, budget=8)
    picks = StratifiedRandom(count_labeled=False).select(q, np.zeros(70, bool), 8, np.random.default_rng(0))
    assert Counter(q["group"][picks].tolist()) == {0: 2, 1: 2, 2: 2, 3: 2}
    # plain random follows the density: drive 0 holds 5/7 of the pool
    rng = np.random.default_rng(1)
    share = np.mean([np.mean(q["group"][rng.permutation(70)[:8]] == 0) for _ in range(200)])
    assert share > 0.6


def test_stratified_counts_earlier_labels() -> None:
    q = pool()
    labeled = np.zeros(70, bool)
    labeled[50:53] = True  # three frames of drive 1 already labeled
    picks = StratifiedRandom().select(q, labeled, 5, np.random.default_rng(0))
    counts = Counter(q["group"][picks].tolist())
    assert counts[1] == 0 and sorted(counts.values()) == [1, 2, 2]


def test_max_per_group_decollapses_uncertainty() -> None:
    q = pool()
    plain = entropy().select(q, np.zeros(70, bool), 6, np.random.default_rng(0))
    assert set(q["group"][plain].tolist()) == {0}
    limited = GroupLimits(entropy(), max_per_group=2)
    assert set(limited.requires) == {"entropy", "group"}
    check_strategy(limited, q, budget=6)
    picks = limited.select(q, np.zeros(70, bool), 6, np.random.default_rng(0))
    assert max(Counter(q["group"][picks].tolist()).values()) <= 2
    # the highest-scoring frames of each group come first, in the strategy's order
    assert picks[:2].tolist() == [49, 48]


def test_min_frame_gap_keeps_picks_apart_and_away_from_labels() -> None:
    q = pool()
    gapped = GroupLimits(entropy(), min_frame_gap=5)
    assert set(gapped.requires) == {"entropy", "group", "frame"}
    check_strategy(gapped, q, budget=8)
    labeled = np.zeros(70, bool)
    labeled[47] = True
    picks = gapped.select(q, labeled, 8, np.random.default_rng(0))
    for g in range(4):
        frames = sorted(q["frame"][picks][q["group"][picks] == g].tolist() + ([47] if g == 0 else []))
        assert all(b - a >= 5 for a, b in zip(frames, frames[1:])), (g, frames)


def test_limits_fill_the_budget_when_nothing_eligible_is_left() -> None:
    q = pool()
    limited = GroupLimits(entropy(), max_per_group=1)
    picks = limited.select(q, np.zeros(70, bool), 10, np.random.default_rng(0))
    assert len(picks) == 10 and len(set(picks.tolist())) == 10
    assert set(q["group"][picks[:4]].tolist()) == {0, 1, 2, 3}


def test_every_registered_strategy_takes_the_options() -> None:
    reg = build_registry()
    for name in ("random", "entropy", "stratified"):
        registration = reg.get("acquisition", name)
        assert {"max_per_group", "min_frame_gap"} <= {p.name for p in registration.params}
    wrapped = reg.get("acquisition", "entropy").build({"max_per_group": "2", "min_frame_gap": 3})
    assert isinstance(wrapped, GroupLimits) and wrapped.max_per_group == 2 and wrapped.min_frame_gap == 3
    assert not isinstance(reg.get("acquisition", "entropy").build({}), GroupLimits)
    check_strategy(reg.get("acquisition", "random").build({"max_per_group": 1}), pool(), budget=4)
    with pytest.raises(ConfigError, match="max_per_group"):
        reg.get("acquisition", "entropy").build({"max_per_group": -1})
