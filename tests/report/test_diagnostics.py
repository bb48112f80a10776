"""Per-batch diagnostics on constructed selections whose answers are known by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from alcore.diagnostics import (
    batch_diagnostics,
    coverage_radius,
    example_entries,
    frame_neighbours,
    group_diagnostics,
    mean_pairwise_distance,
)
from alcore.sdk.dataset import Sample


def frames(group: str | None, idx: list[int]) -> list[Sample]:
    return [Sample(f"{group}-{f}", Path(f"{group}/{f}.png"), None, group, f) for f in idx]


def test_one_sequence_of_consecutive_frames_is_full_collapse() -> None:
    batch = frames("a", list(range(10)))
    d = group_diagnostics(batch)
    assert d == {"groups": 1, "max_group_share": 1.0, "neighbour_rate": 1.0}
    assert group_diagnostics(batch, pool=batch + frames("b", [0, 1])) == d


def test_one_frame_from_each_of_ten_sequences_is_spread() -> None:
    batch = [s for g in range(10) for s in frames(f"g{g}", [g * 3])]
    d = group_diagnostics(batch)
    assert d == {"groups": 10, "max_group_share": pytest.approx(0.1), "neighbour_rate": 0.0}


def test_mixed_batch_counts_by_hand() -> None:
    batch = frames("a", [0, 1, 5]) + frames("b", [0])
    d = group_diagnostics(batch)
    assert d["groups"] == 2
    assert d["max_group_share"] == pytest.approx(0.75)
    assert d["neighbour_rate"] == pytest.approx(0.5)


def test_neighbours_follow_the_pools_frame_order_when_frames_are_subsampled() -> None:
    pool = frames("a", [0, 5, 10, 15, 20]) + frames("b", [0, 5])
    batch = [pool[0], pool[1], pool[3], pool[5]]
    assert group_diagnostics(batch)["neighbour_rate"] == 0.0
    assert group_diagnostics(batch, pool=pool)["neighbour_rate"] == pytest.approx(0.5)
    assert frame_neighbours(pool)["a-10"] == ("a-5", "a-15")
    assert frame_neighbours(pool)["a-0"] == (None, "a-5")


def test_samples_without_group_are_their_own_groups() -> None:
    batch = [Sample(f"x{i}", Path(f"x{i}.png")) for i in range(4)]
    assert group_diagnostics(batch) == {"groups": 4, "max_group_share": 0.25, "neighbour_rate": 0.0}
    assert group_diagnostics([]) == {"groups": 0, "max_group_share": 0.0, "neighbour_rate": 0.0}


def test_mean_pairwise_distance_of_a_3_4_5_triangle_is_4() -> None:
    x = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    assert mean_pairwise_distance(x) == pytest.approx(4.0)
    assert mean_pairwise_distance(x, chunk=1) == pytest.approx(4.0)
    assert mean_pairwise_distance(x[:1]) == 0.0


def test_mean_pairwise_distance_matches_brute_force() -> None:
    x = np.random.default_rng(0).normal(size=(37, 5))
    brute = [np.linalg.norm(x[i] - x[j]) for i in range(37) for j in range(i + 1, 37)]
    assert mean_pairwise_distance(x, chunk=8) == pytest.approx(np.mean(brute))


def test_coverage_radius_on_a_line() -> None:
    x = np.array([[0.0], [1.0], [2.0], [10.0]])
    assert coverage_radius(x, np.array([True, False, True, False])) == pytest.approx(8.0)
    assert coverage_radius(x, np.array([True, False, False, True]), chunk=1) == pytest.approx(2.0)
    assert coverage_radius(x, np.ones(4, bool)) == 0.0
    assert math.isinf(coverage_radius(x, np.zeros(4, bool)))


def test_coverage_radius_of_a_square_with_one_labeled_corner_is_the_diagonal() -> None:
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert coverage_radius(x, np.array([True, False, False, False])) == pytest.approx(math.sqrt(2))
    assert coverage_radius(x, np.array([True, False, False, True])) == pytest.approx(1.0)


def test_batch_diagnostics_combines_everything() -> None:
    pool = frames("a", [0, 1, 2]) + frames("b", [0])
    emb = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [10.0, 0.0]])
    picked = np.array([0, 1, 2])
    after = np.array([True, True, True, False])
    d = batch_diagnostics([pool[i] for i in picked], emb, picked, after, pool)
    assert d == {
        "groups": 1,
        "max_group_share": 1.0,
        "neighbour_rate": 1.0,
        "mean_pairwise_distance": pytest.approx(4.0),
        "coverage_radius": pytest.approx(7.0),
    }


def test_example_entries_lists_paths_and_caps_at_eight() -> None:
    batch = frames("a", list(range(12)))
    rows = example_entries(batch, predictions={"a-1": Path("pred/a-1.png")})
    assert len(rows) == 8
    assert rows[0] == {"id": "a-0", "image": "a/0.png", "label": None, "prediction": None}
    assert rows[1]["prediction"] == "pred/a-1.png"
