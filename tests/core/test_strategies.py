from __future__ import annotations

import numpy as np
import pytest

from alcore.plugins import build_registry
from alcore.sdk.errors import AlcoreError
from alcore.sdk.testing import check_strategy


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def test_builtin_score_strategies_pass_the_contract(registry):
    rng = np.random.default_rng(1)
    q = {"entropy": rng.random(30), "margin": rng.random(30), "entropy_normalized": rng.random(30)}
    for name in ("random", "entropy", "margin"):
        check_strategy(registry.get("acquisition", name).build(), q, budget=7)


def test_entropy_picks_highest_and_breaks_ties_by_index(registry):
    strategy = registry.get("acquisition", "entropy").build()
    score = np.array([0.5, 0.9, 0.9, 0.1, 0.7])
    labeled = np.array([False, False, False, False, True])
    picked = strategy.select({"entropy": score}, labeled, 3, np.random.default_rng(0))
    assert picked.tolist() == [1, 2, 0]


def test_random_depends_on_seed_only(registry):
    strategy = registry.get("acquisition", "random").build()
    labeled = np.zeros(100, bool)
    a = strategy.select({}, labeled, 10, np.random.default_rng(3))
    b = strategy.select({}, labeled, 10, np.random.default_rng(3))
    c = strategy.select({}, labeled, 10, np.random.default_rng(4))
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()


class Cheater:
    requires = ()

    def select(self, quantities, labeled, budget, rng):
        return np.arange(budget)


def test_check_strategy_catches_labeled_picks():
    with pytest.raises(AlcoreError, match="already labeled|expected"):
        check_strategy(Cheater(), {"x": np.zeros(10)}, budget=9, n_labeled=3)


def test_every_builtin_acquisition_passes_the_contract(registry):
    rng = np.random.default_rng(2)
    n = 40
    q = {name: rng.random(n) for name in ("entropy", "entropy_normalized", "margin", "equal", "bald")}
    q["embedding"] = rng.normal(size=(n, 6))
    for name in registry.names("acquisition"):
        if registry.get("acquisition", name).plugin != "alcore":
            continue
        check_strategy(registry.get("acquisition", name).build(), q, budget=6)


def test_uncertain_coreset_picks_only_among_uncertain_candidates(registry):
    rng = np.random.default_rng(5)
    n = 60
    entropy = rng.random(n)
    q = {"entropy": entropy, "embedding": rng.normal(size=(n, 4))}
    labeled = np.zeros(n, bool)
    labeled[:5] = True
    strategy = registry.get("acquisition", "coreset-entropy").build({"candidates": 2})
    picked = strategy.select(q, labeled, 5, np.random.default_rng(0))
    top10 = set(np.argsort(-np.where(labeled, -np.inf, entropy))[:10].tolist())
    assert len(set(picked.tolist())) == 5 and set(picked.tolist()) <= top10
    assert not labeled[picked].any()
