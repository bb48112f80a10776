"""Grid expansion, presets and overrides."""

from __future__ import annotations

import pytest

from alcore.bench.grid import (
    Budget,
    Grid,
    preset,
    same_training,
    share_config,
    shares,
    with_overrides,
)
from alcore.sdk.errors import ConfigError


def test_cells_cover_the_grid_and_group_into_shares():
    grid = preset("quick")
    cells = grid.cells({lv.name: 96 for lv in grid.levels})
    n = len(grid.levels) * len(grid.budgets) * len(grid.acqs) * len(grid.ssls) * len(grid.seeds)
    assert len(cells) == n
    assert len({c.name for c in cells}) == n
    groups = shares(cells)
    assert len(groups) == n // len(grid.acqs)
    for members in groups.values():
        assert sorted(c.acq for c in members) == sorted(grid.acqs)
        base = share_config(members[0])
        assert all(same_training(base, c.config) for c in members)
        assert len({(c.config.initial, c.config.budget, c.config.seed) for c in members}) == 1


def test_budget_fractions_and_counts():
    assert Budget("low", 0.1, 0.05).counts(240) == (24, 12)
    assert Budget("abs", 6, 6).counts(240) == (6, 6)
    assert Budget("tiny", 0.001, 0.001).counts(100) == (1, 1)


def test_presets_match_their_purpose():
    quick, paper = preset("quick"), preset("paper")
    assert quick.model_options["width"] == 8
    assert {"random", "entropy", "coreset"} <= set(quick.acqs)
    assert set(quick.ssls) == {"none", "fixmatch"} and len(quick.seeds) >= 2
    assert [b.initial for b in paper.budgets][-1] == 0.1 and paper.cycles == 4
    assert len(paper.seeds) >= 3
    with pytest.raises(ConfigError, match="known: quick, paper"):
        preset("huge")


def test_overrides_replace_preset_values_and_round_trip():
    grid = with_overrides(
        preset("quick"),
        acqs=["random", "margin"],
        seeds=[7],
        levels=["redundant"],
        cycles=1,
        model_options={"iters": 3},
    )
    assert grid.acqs == ["random", "margin"] and grid.seeds == [7] and grid.cycles == 1
    assert [lv.name for lv in grid.levels] == ["redundant"]
    assert grid.model_options == {"width": 8, "iters": 3, "optimizer": "adamw"}
    assert Grid.from_dict(grid.to_dict()) == grid
    with pytest.raises(ConfigError, match="unknown level 'x'"):
        with_overrides(grid, levels=["x"])
    with pytest.raises(ConfigError, match="duplicate"):
        with_overrides(grid, acqs=["random", "random"])
