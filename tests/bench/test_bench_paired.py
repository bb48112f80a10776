"""Paired statistics on constructed results whose differences and intervals are known."""

from __future__ import annotations

import json
import math

import pytest

from alcore.bench.grid import Budget, Grid, Level
from alcore.bench.guide import summarise, winners
from alcore.bench.paired import mean_ci, paired_differences, t95
from alcore.bench.report import write_bench_report
from alcore.sdk.atomic import write_json

SEED_EFFECT = [0.0, 10.0, -8.0, 5.0, -3.0]


def result(base: float, final: float) -> dict:
    """A two-point curve: cycle 0 at ``base`` (shared within a seed), then ``final``."""
    return {
        "curve": [{"cycle": 0, "labeled": 4, "mIoU": base}, {"cycle": 1, "labeled": 8, "mIoU": final}],
        "final": {"labeled": 8, "mIoU": final},
    }


def rows(gains: dict[str, list[float]], level: str = "d", ssl: str = "none") -> list:
    """Per seed a large shared seed effect; each strategy adds its own per-seed gain to the final."""
    out = []
    for acq, per_seed in gains.items():
        for seed, gain in enumerate(per_seed):
            base = 20.0 + SEED_EFFECT[seed]
            keys = {"level": level, "budget": "b", "ssl": ssl, "acq": acq, "seed": seed}
            out.append((keys, result(base, base + 5.0 + gain)))
    return out


def test_t_quantiles() -> None:
    assert t95(1) == 12.706 and t95(4) == 2.776 and t95(30) == 2.042
    assert 2.0 < t95(40) < 2.03 and abs(t95(10_000) - 1.96) < 1e-3
    assert math.isnan(t95(0))


def test_mean_ci_known_answer() -> None:
    mean, lo, hi = mean_ci([1, 2, 3, 4, 5])
    half = 2.776 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 3.0 and lo == pytest.approx(3 - half) and hi == pytest.approx(3 + half)
    assert math.isnan(mean_ci([2.0])[1])


def test_paired_difference_separates_what_the_seed_spread_hides() -> None:
    data = rows({"random": [0.0] * 5, "entropy": [0.8, 0.9, 1.0, 1.1, 1.2]})
    (final,) = [p for p in paired_differences(data) if p.metric == "final"]
    (auc,) = [p for p in paired_differences(data) if p.metric == "auc"]
    assert (final.acq, final.baseline, final.seeds) == ("entropy", "random", 5)
    half = 2.776 * math.sqrt(0.025) / math.sqrt(5)
    assert final.mean == pytest.approx(1.0) and final.ci_low == pytest.approx(1.0 - half)
    assert final.significant
    # the AUC of a two-point curve is the mean of its ends: half the final difference
    assert auc.mean == pytest.approx(0.5) and auc.half_width == pytest.approx(half / 2)
    (w,) = winners(summarise(data), paired_differences(data))
    assert w.acq == "entropy" and w.clear and w.paired
    # the unpaired rule would call the same margin noise: the seed std dwarfs it
    (unpaired,) = winners(summarise(data))
    assert not unpaired.clear


def test_within_noise_and_exact_tie_name_no_best() -> None:
    noisy = rows({"random": [0.0] * 5, "coreset": [2.0, -1.0, 1.5, -1.8, 0.5]})
    (w,) = winners(summarise(noisy), paired_differences(noisy))
    assert w.acq == "coreset" and not w.clear and w.verdict.startswith("none clear")
    tied = rows({"random": [0.3, 0.1, 0.0, 0.2, 0.4], "entropy": [0.3, 0.1, 0.0, 0.2, 0.4]})
    (t,) = winners(summarise(tied), paired_differences(tied))
    assert t.tie and not t.clear and t.verdict.startswith("none (tie")


def test_every_pair_once_with_random_as_baseline() -> None:
    data = rows({"entropy": [1.0] * 5, "random": [0.0] * 5, "coreset": [2.0] * 5})
    pairs = {(p.acq, p.baseline) for p in paired_differences(data, ["entropy", "coreset"])}
    assert pairs == {("entropy", "random"), ("coreset", "random"), ("coreset", "entropy")}


def test_summary_json_and_report(tmp_path) -> None:
    grid = Grid([Level("d", "drivesim")], [Budget("b", 4, 4)], ["random", "entropy"], ["none"],
                [0, 1, 2, 3, 4], 1)
    cells = grid.cells({"d": 40})
    gains = {"random": [0.0] * 5, "entropy": [0.8, 0.9, 1.0, 1.1, 1.2]}
    for cell in cells:
        base = 20.0 + SEED_EFFECT[cell.seed]
        write_json(tmp_path / "cells" / cell.name / "results.json",
                   result(base, base + 5.0 + gains[cell.acq][cell.seed]))
    for seed in range(5):
        write_json(tmp_path / "reference" / f"d-s{seed}" / "cycles" / "000" / "metrics.json", {"mIoU": 50.0})
    write_bench_report(tmp_path, grid, cells)
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    keys = {"level", "budget", "ssl", "acq", "baseline", "metric", "mean", "ci_low", "ci_high", "seeds"}
    assert summary["paired"] and all(keys <= set(p) for p in summary["paired"])
    final = next(p for p in summary["paired"] if p["metric"] == "final")
    assert final["mean"] == pytest.approx(1.0) and final["seeds"] == 5 and final["significant"]
    score = next(s for s in summary["scores"] if s["acq"] == "random")
    assert score["final_pct"] == pytest.approx(100 * (25.0 + 0.8) / 50.0)
    md = (tmp_path / "report" / "bench.md").read_text()
    assert "| d | b | none | entropy | random | +0.50 [" in md and "*" in md
    assert "entropy (+0.50 over random)" in md


def test_one_seed_names_no_best() -> None:
    data = [(k, r) for k, r in rows({"random": [0.0] * 5, "entropy": [1.0] * 5}) if k["seed"] == 0]
    (w,) = winners(summarise(data), paired_differences(data))
    assert w.acq == "entropy" and not w.clear and w.verdict.startswith("none clear")


def test_reference_gets_the_total_training_of_a_cell() -> None:
    from alcore.bench.grid import reference_config

    grid = Grid([Level("d", "drivesim")], [Budget("b", 4, 4)], ["random"], ["fixmatch"], [3], 2,
                model_options={"iters": 100})
    (cell,) = grid.cells({"d": 40})
    cfg = reference_config(cell, 40)
    assert (cfg.initial, cfg.ssl, cfg.seed, cfg.model_options["iters"]) == (40, "none", 3, 300)


def test_references_capped_to_the_first_seeds_of_each_level() -> None:
    from alcore.bench.grid import references

    grid = Grid([Level("d", "drivesim"), Level("r", "drivesim")], [Budget("b", 4, 4)], ["random", "entropy"],
                ["none"], [5, 1, 2, 7], 1, reference=True, reference_seeds=2)
    cells = grid.cells({"d": 40, "r": 40})
    assert sorted(references(cells, grid.reference_seeds)) == ["d-s1", "d-s5", "r-s1", "r-s5"]
    assert len(references(cells)) == 8
    with pytest.raises(Exception, match="reference_seeds"):
        Grid([Level("d", "drivesim")], [Budget("b", 4, 4)], ["random"], ["none"], [0], 1,
             reference_seeds=-1).validate()


def test_seed_without_reference_uses_its_level_mean() -> None:
    data = rows({"random": [0.0] * 4}, level="d")
    (score,) = summarise(data, {("d", 0): 40.0, ("d", 1): 60.0})
    finals = [25.0 + SEED_EFFECT[s] for s in range(4)]
    expected = [finals[0] / 40.0, finals[1] / 60.0, finals[2] / 50.0, finals[3] / 50.0]
    assert score.final_pct == pytest.approx(100 * sum(expected) / 4)
    (none,) = summarise(data, {("other", 0): 40.0})
    assert none.final_pct is None


def test_summary_json_is_strict_json_with_one_seed_and_one_strategy(tmp_path) -> None:
    grid = Grid([Level("d", "drivesim")], [Budget("b", 4, 4)], ["random", "entropy"], ["none"], [0], 1)
    cells = grid.cells({"d": 40})
    for cell in cells:
        final = 25.0 + (cell.acq == "entropy")
        write_json(tmp_path / "cells" / cell.name / "results.json", result(20.0, final))
    lone = Grid([Level("e", "drivesim")], [Budget("b", 4, 4)], ["random"], ["none"], [0], 1)
    extra = lone.cells({"e": 40})
    write_json(tmp_path / "cells" / extra[0].name / "results.json", result(20.0, 24.0))
    write_bench_report(tmp_path, grid, cells + extra)

    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON constant {token}")

    summary = json.loads((tmp_path / "report" / "summary.json").read_text(), parse_constant=refuse)
    pair = next(p for p in summary["paired"] if p["metric"] == "auc")
    assert pair["seeds"] == 1 and pair["ci_low"] is None and pair["mean"] == pytest.approx(0.5)
    lone_winner = next(w for w in summary["winners"] if w["level"] == "e")
    assert lone_winner["acq"] == "random" and lone_winner["margin"] is None
