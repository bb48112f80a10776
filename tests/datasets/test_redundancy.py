"""The redundancy estimate ranks drivesim's diverse pool below its redundant pool."""

from __future__ import annotations

from pathlib import Path

from alcore.sdk.dataset import Sample
from alcore_datasets.redundancy import redundancy, run_lengths


def test_diverse_ranks_below_redundant(small_presets) -> None:
    diverse = redundancy(small_presets["diverse"].pool())
    redundant = redundancy(small_presets["redundant"].pool())
    assert diverse["score"] < redundant["score"]
    assert diverse["mean_run_length"] < redundant["mean_run_length"]
    assert diverse["near_duplicate_rate"] < redundant["near_duplicate_rate"]
    assert diverse["median_nearest_mad"] > redundant["median_nearest_mad"]
    assert 0.0 <= diverse["score"] <= redundant["score"] <= 1.0


def test_run_lengths_split_on_gaps() -> None:
    def s(group: str | None, frame: int | None) -> Sample:
        return Sample(f"{group}{frame}", Path("x.png"), None, group, frame)

    samples = [s("a", f) for f in (0, 2, 4, 40, 42)] + [s("b", 7), s(None, None)]
    assert sorted(run_lengths(samples)) == [1, 1, 2, 3]
