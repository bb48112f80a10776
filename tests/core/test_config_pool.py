from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alcore.config import RunConfig, resolve
from alcore.pool import PoolState
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import ConfigError, StateError


def test_yaml_then_cli_overrides(tmp_path):
    cfg_file = tmp_path / "exp.yaml"
    cfg_file.write_text("acq: random\ncycles: 2\nmodel_options:\n  iters: 5\n  lr: 0.1\n")
    cfg = resolve(cfg_file, {"cycles": 3, "acq": None, "model_options": {"iters": "9"}})
    assert cfg.acq == "random"
    assert cfg.cycles == 3
    assert cfg.model_options == {"iters": "9", "lr": 0.1}


@pytest.mark.parametrize(
    "text, match",
    [
        ("acq: [unclosed\n", "not valid YAML at line"),
        ("nosuch: 1\n", "unknown key 'nosuch'"),
        ("cycles: many\n", "'cycles' must be an integer"),
        ("- a\n- b\n", "must hold a mapping"),
        ("budget: 0\n", "--budget must be at least 1"),
    ],
)
def test_bad_config_names_file_and_problem(tmp_path, text, match):
    cfg_file = tmp_path / "bad.yaml"
    cfg_file.write_text(text)
    with pytest.raises(ConfigError, match=match):
        resolve(cfg_file, {})


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve(tmp_path / "none.yaml", {})


def _samples(n: int) -> list[Sample]:
    return [Sample(f"s{i}", Path(f"/x/{i}.png")) for i in range(n)]


def test_pool_state_roundtrip_and_no_double_labeling(tmp_path):
    pool = _samples(5)
    state = PoolState.new(pool)
    state.add(["s1", "s3"], cycle=0, strategy="initial")
    with pytest.raises(StateError, match="already labeled"):
        state.add(["s2", "s3"], cycle=1, strategy="entropy")
    assert state.labeled_ids == ["s1", "s3"]
    state.save(tmp_path / "state.json")
    loaded = PoolState.load(tmp_path / "state.json")
    assert loaded == state
    assert np.array_equal(loaded.mask(pool), [False, True, False, True, False])
    with pytest.raises(StateError, match="pool differs"):
        loaded.check_pool(_samples(6), tmp_path / "state.json")


def test_unreadable_state_is_an_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{ not json")
    with pytest.raises(StateError, match="not a readable pool state"):
        PoolState.load(path)


def test_defaults_are_valid():
    assert RunConfig().validate().cycles >= 1
