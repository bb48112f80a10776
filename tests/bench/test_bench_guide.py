"""The usage-guide map on constructed results with a known winner per cell."""

from __future__ import annotations

from alcore.bench.grid import Budget, Grid, Level
from alcore.bench.guide import plot_guide, summarise, winners
from alcore.bench.report import table


def result(final: float) -> dict:
    return {
        "curve": [{"cycle": 0, "labeled": 4, "mIoU": 10.0}, {"cycle": 1, "labeled": 8, "mIoU": final}],
        "final": {"labeled": 8, "mIoU": final},
    }


KNOWN = {
    ("diverse", "low", "none"): "entropy",
    ("diverse", "low", "fixmatch"): "random",
    ("redundant", "low", "none"): "coreset",
    ("redundant", "low", "fixmatch"): "coreset",
}


def constructed() -> list:
    out = []
    for (level, budget, ssl), best in KNOWN.items():
        for acq in ("random", "entropy", "coreset"):
            for seed in (0, 1):
                final = 30.0 + (5.0 if acq == best else 0.0) + seed * 0.5
                out.append(({"level": level, "budget": budget, "ssl": ssl, "acq": acq}, result(final)))
    return out


def test_winner_per_cell_and_margin():
    found = {(w.level, w.budget, w.ssl): w for w in winners(summarise(constructed()))}
    assert {k: w.acq for k, w in found.items()} == KNOWN
    for w in found.values():
        # ranked on the learning-curve AUC: a two-point curve's AUC is the mean of its ends
        assert abs(w.margin - 2.5) < 1e-9 and w.clear
        assert w.vs_random == (0.0 if w.acq == "random" else 2.5)


def test_guide_figure_and_table(tmp_path):
    scores = summarise(constructed())
    found = winners(scores)
    path = plot_guide(found, ["diverse", "redundant"], ["low"], ["none", "fixmatch"], tmp_path / "guide.png")
    assert path.stat().st_size > 1000
    grid = Grid(
        [Level("diverse", "drivesim"), Level("redundant", "drivesim")],
        [Budget("low", 4, 4)],
        ["random", "entropy", "coreset"],
        ["none", "fixmatch"],
        [0, 1],
        1,
    )
    md = table(grid, scores, found)
    row = "| redundant | low | none | 8 | 20.12 ± 0.18 | 20.12 ± 0.18 | 22.62 ± 0.18 | coreset (+2.50 over "
    assert row in md
    final = table(grid, scores, found, "final")
    assert "| redundant | low | none | 8 | 30.25 ± 0.35 | 30.25 ± 0.35 | 35.25 ± 0.35 |" in final


def test_noise_marks_unclear_winners():
    rows = [
        ({"level": "d", "budget": "b", "ssl": "none", "acq": a}, result(v))
        for a, v in (("random", 30.0), ("random", 40.0), ("entropy", 36.0), ("entropy", 35.0))
    ]
    (w,) = winners(summarise(rows))
    assert w.acq == "entropy" and not w.clear
