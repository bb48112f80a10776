"""The core-set acquisition plugin: options, the Acquisition protocol, edge cases."""

from __future__ import annotations

import inspect
import logging

import numpy as np
import pytest

from alcore.plugins import Registration
from alcore.sdk.acquisition import Acquisition
from alcore.sdk.errors import ConfigError, DataError
from alcore_acquisition.coreset import PARAMS, CoreSet
from alcore_acquisition.kcenter_reference import greedy_kcenter_reference


def pool(n: int = 600, d: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n // 30, 1, d)) + rng.standard_normal((n // 30, 30, d)) * 0.1).reshape(n, d)
    labeled = np.zeros(n, dtype=bool)
    labeled[rng.choice(n, 20, replace=False)] = True
    return x.astype(np.float32), labeled


def test_is_an_acquisition_and_params_match_the_constructor() -> None:
    strategy = CoreSet()
    assert isinstance(strategy, Acquisition)
    assert strategy.requires == ("embedding",)
    signature = inspect.signature(CoreSet)
    assert [p.name for p in PARAMS] == list(signature.parameters)
    for param in PARAMS:
        assert signature.parameters[param.name].default == param.default


def test_feature_option_names_the_quantity() -> None:
    reg = Registration("acquisition", "coreset", CoreSet, "test", params=PARAMS)
    strategy = reg.build({"feature": "backbone_embedding", "chunk_rows": "4096"})
    assert strategy.requires == ("backbone_embedding",)
    assert strategy.chunk_rows == 4096
    x, labeled = pool()
    picks = strategy.select({"backbone_embedding": x}, labeled, 40, np.random.default_rng(0))
    assert np.array_equal(picks, greedy_kcenter_reference(x, labeled, 40))
    with pytest.raises(ConfigError, match="backbone_embedding"):
        strategy.select({"embedding": x}, labeled, 40, np.random.default_rng(0))


def test_select_matches_reference_and_records_radii() -> None:
    x, labeled = pool(seed=3)
    strategy = CoreSet()
    picks = strategy.select({"embedding": x}, labeled, 25, np.random.default_rng(1))
    assert np.array_equal(picks, greedy_kcenter_reference(x, labeled, 25))
    assert strategy.last_result is not None and len(strategy.last_result.radii) == 25
    cold = np.zeros(len(x), dtype=bool)
    first = strategy.select({"embedding": x}, cold, 10, np.random.default_rng(4))
    assert np.array_equal(first, greedy_kcenter_reference(x, cold, 10, rng=np.random.default_rng(4)))


def test_budget_covering_the_pool_takes_all(caplog: pytest.LogCaptureFixture) -> None:
    x, labeled = pool()
    with caplog.at_level(logging.WARNING):
        picks = CoreSet().select({"embedding": x}, labeled, 10_000, np.random.default_rng(0))
    assert picks.tolist() == np.flatnonzero(~labeled).tolist()
    assert "taking all" in caplog.text
    assert len(CoreSet().select({"embedding": x}, labeled, 0, np.random.default_rng(0))) == 0


def test_feature_shape_checks() -> None:
    x, labeled = pool()
    with pytest.raises(DataError, match="one feature row"):
        CoreSet().select({"embedding": x[:-1]}, labeled, 5, np.random.default_rng(0))
    bad = x.copy()
    bad[7, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        CoreSet().select({"embedding": bad}, labeled, 5, np.random.default_rng(0))
    spatial = np.repeat(x[:, :, None], 2, axis=2)
    picks = CoreSet().select({"embedding": spatial}, labeled, 5, np.random.default_rng(0))
    assert np.array_equal(picks, greedy_kcenter_reference(spatial.reshape(len(x), -1), labeled, 5))


def test_invalid_options() -> None:
    with pytest.raises(ConfigError):
        CoreSet(feature="")
    with pytest.raises(ConfigError):
        CoreSet(chunk_rows=-1)
