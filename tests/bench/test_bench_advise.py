"""advise recommends differently for diverse and redundant pools and names its evidence."""

from __future__ import annotations

import json

import pytest

from alcore.bench.advise import advise
from alcore.datatools import measure_redundancy, structural_redundancy
from alcore.plugins import get_registry, require
from alcore.sdk.dataset import Sample

SMALL = {"width": 32, "height": 16, "val_sequences": 1, "val_frames": 1}


def pool(preset: str, root):
    options = {"preset": preset, "root": str(root / preset), **SMALL}
    options.update({"sequences": 24, "frames": 2} if preset == "diverse" else {"sequences": 2, "frames": 24})
    return require(get_registry(), "dataset", "drivesim").build(options)


@pytest.fixture(scope="module")
def pools(tmp_path_factory):
    root = tmp_path_factory.mktemp("advise-data")
    return {p: pool(p, root) for p in ("diverse", "redundant")}


def test_redundancy_goes_through_the_dataset_object(pools):
    diverse, redundant = (measure_redundancy(pools[p]) for p in ("diverse", "redundant"))
    assert diverse["score"] < 0.5 <= redundant["score"]


def test_diverse_and_redundant_get_different_advice(pools):
    acqs = ["random", "entropy", "coreset"]
    d = advise("drivesim", pools["diverse"], 8, False, acqs)
    r = advise("drivesim", pools["redundant"], 8, False, acqs)
    assert (d.acq, r.acq) == ("entropy", "coreset")
    assert d.regime["data"] == "diverse" and r.regime["data"] == "redundant"
    for a in (d, r):
        assert "study" in a.evidence and a.ssl == "none"
        assert "evidence:" in a.text()
    low = advise("drivesim", pools["diverse"], 2, True, acqs)
    assert (low.acq, low.ssl, low.regime["budget"]) == ("random", "fixmatch", "low")
    assert json.loads(json.dumps(low.to_dict(), default=str))["acq"] == "random"


def test_missing_strategy_falls_back_and_says_so(pools):
    a = advise("drivesim", pools["redundant"], 8, False, ["random", "entropy"])
    assert a.acq == "random" and any("not installed" in r for r in a.reasons)


def test_bench_evidence_is_named(pools, tmp_path):
    report = tmp_path / "bench" / "report"
    report.mkdir(parents=True)
    (report / "summary.json").write_text(
        json.dumps(
            {
                "levels": {"div": {"redundancy": {"score": 0.1}}, "red": {"redundancy": {"score": 0.9}}},
                "winners": [
                    {
                        "level": "red",
                        "budget": "high",
                        "ssl": "none",
                        "acq": "margin",
                        "final_mean": 40.0,
                        "margin": 2.0,
                        "runner_up": "random",
                        "clear": True,
                    },
                    {
                        "level": "div",
                        "budget": "high",
                        "ssl": "none",
                        "acq": "random",
                        "final_mean": 41.0,
                        "margin": 1.0,
                        "runner_up": "entropy",
                        "clear": True,
                    },
                ],
            }
        )
    )
    a = advise("drivesim", pools["redundant"], 20, False, ["random", "margin"], tmp_path / "bench")
    assert a.acq == "margin" and "your bench report" in a.evidence
    assert "'red'" in a.reasons[0]


def test_structural_fallback_without_a_redundancy_method(tmp_path):
    samples = [Sample(f"s{g}-{f}", tmp_path / "x.png", None, f"g{g}", f) for g in range(2) for f in range(10)]
    assert structural_redundancy(samples)["score"] == pytest.approx(0.9)

    class Plain:
        def pool(self):
            return samples

    assert measure_redundancy(Plain())["method"] == "structural"
