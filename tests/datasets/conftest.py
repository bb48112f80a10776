"""Shared fixture of the dataset tests: an isolated data home."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.getbasetemp() / "alcore-data"
    monkeypatch.setenv("ALCORE_DATA", str(home))
    return home


@pytest.fixture(scope="session")
def small_presets(tmp_path_factory: pytest.TempPathFactory):
    """The diverse and redundant presets at 32x16 pixels, generated once per test session."""
    from alcore_datasets.drivesim import open_drivesim

    base = tmp_path_factory.mktemp("presets")
    return {
        preset: open_drivesim(
            preset,
            root=str(base / preset),
            width=32,
            height=16,
            val_sequences=1,
            val_frames=1,
            validate=False,
        )
        for preset in ("diverse", "redundant")
    }
