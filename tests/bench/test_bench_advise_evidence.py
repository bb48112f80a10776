"""advise cites a bench summary.json (shipped or the user's), never hand-typed results."""

from __future__ import annotations

import json

import alcore.bench.guide as guide
from alcore.bench.advise import _quick_reason, advise
from alcore.sdk.dataset import Sample


class Pool:
    """A redundant pool: 2 drives of 30 consecutive frames."""

    def __init__(self, tmp_path) -> None:
        self.samples = [
            Sample(f"g{g}-{f}", tmp_path / "x.png", None, f"g{g}", f) for g in range(2) for f in range(30)
        ]

    def pool(self):
        return self.samples


def summary(clear: bool) -> dict:
    pair = {
        "level": "redundant",
        "budget": "high",
        "ssl": "none",
        "acq": "coreset",
        "baseline": "random",
        "metric": "auc",
        "mean": 1.5,
        "ci_low": 0.5 if clear else -0.5,
        "ci_high": 2.5,
        "seeds": 5,
    }
    return {
        "levels": {"diverse": {"redundancy": {"score": 0.1}}, "redundant": {"redundancy": {"score": 0.9}}},
        "winners": [
            {
                "level": "redundant",
                "budget": "high",
                "ssl": "none",
                "acq": "coreset",
                "score": 30.0,
                "margin": 1.5,
                "runner_up": "random",
                "clear": clear,
                "tie": False,
            }
        ],
        "paired": [pair],
    }


def test_without_a_shipped_summary_advise_says_so(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(guide, "QUICK_SUMMARY", tmp_path / "absent.json")
    a = advise("x", Pool(tmp_path), 10, False, ["random", "coreset"])
    assert a.acq == "coreset" and any("no quick-bench summary ships" in r for r in a.reasons)


def test_shipped_summary_is_cited_with_its_interval(monkeypatch, tmp_path) -> None:
    path = tmp_path / "quick-summary.json"
    path.write_text(json.dumps(summary(clear=True)))
    monkeypatch.setattr(guide, "QUICK_SUMMARY", path)
    text = _quick_reason("redundant", "high", False, "coreset")
    assert "agrees" in text and "+1.50 [+0.50, +2.50] over 5 seeds" in text
    path.write_text(json.dumps(summary(clear=False)))
    assert "no strategy was clearly ahead" in _quick_reason("redundant", "high", False, "coreset")
    one_seed = summary(clear=False)
    one_seed["paired"][0].update(ci_low=None, ci_high=None, seeds=1)
    path.write_text(json.dumps(one_seed))
    assert "+1.50 over 1 seed(s), no interval" in _quick_reason("redundant", "high", False, "coreset")


def test_an_indecisive_bench_falls_back_to_the_study(tmp_path) -> None:
    data = summary(clear=False)
    data["winners"][0]["acq"] = "entropy"
    report = tmp_path / "bench" / "report"
    report.mkdir(parents=True)
    (report / "summary.json").write_text(json.dumps(data))
    a = advise("x", Pool(tmp_path), 10, False, ["random", "entropy", "coreset"], tmp_path / "bench")
    assert a.acq == "coreset" and any("following the study" in r for r in a.reasons)
    assert "not clearly" in a.reasons[0]


def test_the_shipped_quick_summary_covers_the_preset_and_is_cited(tmp_path) -> None:
    from alcore.bench.grid import preset

    shipped = guide.shipped_summary()
    assert shipped is not None, f"{guide.QUICK_SUMMARY} does not ship"
    grid = preset("quick")
    assert shipped["finished"] == shipped["cells"] == len(grid.levels) * len(grid.budgets) * len(
        grid.acqs
    ) * len(grid.ssls) * len(grid.seeds)
    keys = {"level", "budget", "ssl", "acq", "baseline", "metric", "mean", "ci_low", "ci_high", "seeds"}
    vs_random = [p for p in shipped["paired"] if p["baseline"] == "random" and p["metric"] == "auc"]
    assert vs_random and all(keys <= set(p) and p["seeds"] == len(grid.seeds) for p in vs_random)
    for data in ("diverse", "redundant"):
        text = _quick_reason(data, "low", False, "coreset")
        assert "alcore's shipped quick bench" in text and "coreset vs random on AUC" in text
