"""Strategies of one seed start from the same cycle 0, which is trained once."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import tiny_grid

from alcore.bench.runner import Bench
from alcore.progress import Reporter


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_cycle_zero_is_shared_and_trained_once(tmp_path, monkeypatch):
    from alcore_mmseg.model import MMSegModel

    trainings: list[int] = []
    passes: list[tuple[str, ...]] = []
    original, original_compute = MMSegModel.train, MMSegModel.compute

    def counting(self, labeled, unlabeled, cycle, *args, **kwargs):
        trainings.append(cycle)
        return original(self, labeled, unlabeled, cycle, *args, **kwargs)

    def counting_compute(self, samples, quantities, *args, **kwargs):
        passes.append(tuple(sorted(quantities)))
        return original_compute(self, samples, quantities, *args, **kwargs)

    monkeypatch.setattr(MMSegModel, "train", counting)
    monkeypatch.setattr(MMSegModel, "compute", counting_compute)
    grid = tiny_grid(acqs=["random", "entropy", "margin"])
    Bench(tmp_path / "b", grid, reporter=Reporter(quiet=True)).run(jobs=1)

    cells = sorted((tmp_path / "b" / "cells").iterdir())
    assert len(cells) == 3
    assert trainings.count(0) == 1
    assert trainings.count(1) == 3
    # the share scores the pool once for entropy and margin; their cells read that cache
    assert passes == [("embedding", "entropy", "margin")]
    assert len({sha(c / "cycles" / "000" / "checkpoint.pth") for c in cells}) == 1
    initial = {
        json.dumps(
            [r for r in json.loads((c / "state.json").read_text())["labeled"] if r["cycle"] == 0],
            sort_keys=True,
        )
        for c in cells
    }
    assert len(initial) == 1
    strategies = {
        json.loads((c / "cycles" / "000" / "selection.json").read_text())["strategy"] for c in cells
    }
    assert strategies == {"random", "entropy", "margin"}
    assert all((c / "results.json").is_file() for c in cells)
    report = tmp_path / "b" / "report"
    assert (report / "bench.md").is_file() and (report / "guide.png").is_file()
    summary = json.loads((report / "summary.json").read_text())
    assert summary["finished"] == 3 and len(summary["winners"]) == 1
