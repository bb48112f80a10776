"""Fixtures of the bench tests: an isolated data home and a tiny grid."""

from __future__ import annotations

from pathlib import Path

import pytest

from alcore.bench.grid import Budget, Grid, Level

TINY_DATA = {"sequences": 6, "frames": 2, "width": 64, "height": 32, "val_sequences": 2, "val_frames": 2}


@pytest.fixture(autouse=True)
def _data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.getbasetemp() / "alcore-data"
    monkeypatch.setenv("ALCORE_DATA", str(home))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return home


def tiny_grid(acqs: list[str] | None = None, seeds: list[int] | None = None) -> Grid:
    """One diverse level at 64x32, 4 + 4 images, one cycle of a width-8 model trained 4 iterations."""
    return Grid(
        levels=[Level("diverse", "drivesim", {"preset": "diverse", **TINY_DATA})],
        budgets=[Budget("t", 4, 4)],
        acqs=acqs or ["random", "entropy"],
        ssls=["none"],
        seeds=seeds or [0],
        cycles=1,
        model_options={"width": 8, "iters": 4, "batch_size": 2},
    ).validate()


@pytest.fixture
def tiny() -> Grid:
    return tiny_grid()
