"""Frame-run pools (the redundancy protocol) and ``pool_file`` restricting a run's pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from alcore.config import RunConfig
from alcore.datatools import frame_run_pool, restrict_pool
from alcore.sdk.dataset import Sample
from alcore.sdk.errors import ConfigError, DataError
from tests.conftest import run_cli

OPTS = [
    "--dataset-opt",
    "sequences=4",
    "--dataset-opt",
    "frames=12",
    "--dataset-opt",
    "width=64",
    "--dataset-opt",
    "height=32",
    "--dataset-opt",
    "val_sequences=2",
    "--dataset-opt",
    "val_frames=2",
]
DS_OPTS = {"sequences": 4, "frames": 12, "width": 64, "height": 32, "val_sequences": 2, "val_frames": 2}


def fake(groups: int, frames: int) -> list[Sample]:
    return [
        Sample(f"g{g}-{f}", Path(f"/x/{g}_{f}.png"), None, f"g{g}", 10 * f)
        for g in range(groups)
        for f in range(frames)
    ]


def runs_of(ids: list[str], pool: list[Sample]) -> list[list[Sample]]:
    """Split selected samples into maximal runs of neighbouring frames within one group."""
    pos = {s.id: (s.group, i) for i, s in enumerate(pool)}
    out: list[list[tuple]] = []
    for sid in sorted(ids, key=lambda x: pos[x]):
        g, i = pos[sid]
        if out and out[-1][-1][0] == g and out[-1][-1][1] == i - 1:
            out[-1].append((g, i))
        else:
            out.append([(g, i)])
    return out


@pytest.mark.parametrize("k", [1, 3, 5])
def test_runs_of_k_consecutive_frames(k):
    pool = fake(6, 20)
    ids = frame_run_pool(pool, k, 17, seed=3)
    assert len(ids) == 17 and len(set(ids)) == 17
    lengths = sorted(len(r) for r in runs_of(ids, pool))
    assert all(n == k for n in lengths[1:]) and 1 <= lengths[0] <= k  # only the last run is cut
    assert ids == frame_run_pool(pool, k, 17, seed=3)
    assert ids != frame_run_pool(pool, k, 17, seed=4)


def test_pool_errors():
    pool = fake(2, 5)
    with pytest.raises(ConfigError, match="--frames must be at least 1"):
        frame_run_pool(pool, 0, 4, 0)
    with pytest.raises(ConfigError, match="larger than the pool"):
        frame_run_pool(pool, 1, 11, 0)
    with pytest.raises(ConfigError, match="separate runs"):
        frame_run_pool(pool, 4, 10, 0)
    with pytest.raises(DataError, match="no group or frame"):
        frame_run_pool([Sample("a", Path("a.png")), Sample("b", Path("b.png"))], 1, 1, 0)


def test_pools_cli_and_redundancy_order(tmp_path):
    from alcore_datasets.drivesim import open_drivesim
    from alcore_datasets.redundancy import redundancy

    env = {"ALCORE_DATA": str(tmp_path / "data")}
    out = tmp_path / "pools"
    args = [
        "data",
        "pools",
        "drivesim",
        *OPTS,
        "--frames",
        "1",
        "--frames",
        "6",
        "--size",
        "12",
        "--seed",
        "2",
        "--out",
        str(out),
    ]
    res = run_cli(*args, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    first = {k: (out / f"pool-{k}f.txt").read_text() for k in (1, 6)}
    assert run_cli(*args, env=env, timeout=120).returncode == 0
    assert first == {k: (out / f"pool-{k}f.txt").read_text() for k in (1, 6)}
    import os

    os.environ["ALCORE_DATA"] = env["ALCORE_DATA"]
    try:
        pool = list(open_drivesim(**DS_OPTS).pool())
    finally:
        del os.environ["ALCORE_DATA"]
    by_id = {s.id: s for s in pool}
    scores = {}
    for k, text in first.items():
        ids = text.split()
        assert len(ids) == 12
        assert all(len(r) == k for r in runs_of(ids, pool))
        scores[k] = redundancy([by_id[i] for i in ids])["score"]
    assert scores[1] < scores[6]
    bad = run_cli(
        "data",
        "pools",
        "drivesim",
        *OPTS,
        "--frames",
        "1",
        "--size",
        "999",
        "--out",
        str(out),
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and "larger than the pool" in bad.stderr


def test_restrict_pool_keeps_dataset_order(tmp_path):
    pool = fake(2, 4)
    f = tmp_path / "p.txt"
    f.write_text("g1-2\ng0-1\n\n")
    assert [s.id for s in restrict_pool(pool, f)] == ["g0-1", "g1-2"]
    f.write_text("g0-1\nnope\n")
    with pytest.raises(ConfigError, match="p.txt.*'nope'"):
        restrict_pool(pool, f)
    f.write_text("\n")
    with pytest.raises(ConfigError, match="lists no sample ids"):
        restrict_pool(pool, f)
    with pytest.raises(ConfigError, match="missing.txt' does not exist"):
        restrict_pool(pool, tmp_path / "missing.txt")


def test_build_components_uses_pool_file(tmp_path):
    from alcore.experiment import build_components
    from alcore.plugins import build_registry
    from alcore.progress import Reporter
    from alcore.sdk.hookspecs import hookimpl
    from tests.conftest import ToyDataset

    class Plugin:
        @staticmethod
        @hookimpl
        def register_datasets(register):
            register("toy", lambda: ToyDataset(str(tmp_path / "toy")), help="toy")

    registry = build_registry(extra_plugins=[("toy", Plugin)])
    f = tmp_path / "pool.txt"
    f.write_text("train-seq1-002\ntrain-seq0-000\ntrain-seq0-001\n")
    cfg = RunConfig(dataset="toy", acq="random", model_options={"iters": 2, "width": 8}, pool_file=str(f))
    comps = build_components(cfg, registry, Reporter(quiet=True))
    assert [s.id for s in comps.pool] == ["train-seq0-000", "train-seq0-001", "train-seq1-002"]
    assert len(comps.val) == 6
    f.write_text("train-seq0-000\nval-seq0-000\n")
    with pytest.raises(ConfigError, match="pool.txt"):
        build_components(cfg, registry, Reporter(quiet=True))


def test_pool_file_from_yaml(tmp_path):
    from alcore.config import resolve

    cfg_file = tmp_path / "exp.yaml"
    cfg_file.write_text("pool_file: pools/pool-1f.txt\n")
    assert resolve(cfg_file, {}).pool_file == "pools/pool-1f.txt"
    cfg_file.write_text("pool_file: 3\n")
    with pytest.raises(ConfigError, match="pool_file"):
        resolve(cfg_file, {})
