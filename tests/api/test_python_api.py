"""The Python API: a light ``import alcore``, ``alcore.select`` and the runnable example."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from alcore.sdk.dataset import DatasetInfo, Sample
from alcore.sdk.errors import ConfigError
from tests.conftest import ROOT

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def test_import_alcore_loads_no_plugin_and_exports_lazily():
    code = (
        "import sys, alcore\n"
        "heavy = [m for m in ('torch', 'mmseg', 'mmengine', 'alcore.plugins', 'alcore_mmseg.plugin') "
        "if m in sys.modules]\n"
        # the mmcv-lite start-up hook (alcore_mmseg.autoshim) is installed with alcore and loads no plugin
        "hook = 'alcore_mmseg.autoshim'\n"
        "heavy += [m for m in sys.modules if m.startswith('alcore_mmseg.') and m != hook]\n"
        "assert not heavy, heavy\n"
        "assert alcore.Experiment.__name__ == 'Experiment' and callable(alcore.select)\n"
        "assert alcore.RunConfig().acq == 'coreset'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr
    import alcore

    with pytest.raises(AttributeError):
        alcore.no_such_name  # noqa: B018


class ScoreModel:
    """An alcore model whose entropy is the sample's position: the top scores are the last rows."""

    def compute(self, samples, names, progress=None):
        n = len(samples)
        out = {"entropy": np.arange(n, dtype=np.float32), "embedding": np.eye(n, 4, dtype=np.float32)}
        return {k: out[k] for k in names}


def pool(n: int = 10) -> list[Sample]:
    return [Sample(f"s{i}", ROOT / f"img{i}.png", None, f"g{i // 3}", i % 3) for i in range(n)]


def test_select_picks_the_unlabeled_highest_scores_with_diagnostics():
    import alcore

    batch = alcore.select(ScoreModel(), pool(), labeled=["s9"], acq="entropy", budget=3)
    assert batch.ids == ["s8", "s7", "s6"]
    assert batch.indices == [8, 7, 6]
    assert batch.strategy == "entropy"
    assert batch.diagnostics["groups"] == 1  # s6, s7, s8 share one sequence
    assert batch.quantities["entropy"].shape == (10,)


def test_select_is_seeded_like_the_loop_and_accepts_paths():
    import alcore

    paths = [f"/data/img{i}.png" for i in range(12)]
    a = alcore.select(ScoreModel(), paths, acq="random", budget=4, seed=3, cycle=1)
    b = alcore.select(ScoreModel(), paths, acq="random", budget=4, seed=3, cycle=1)
    c = alcore.select(ScoreModel(), paths, acq="random", budget=4, seed=4, cycle=1)
    assert a.ids == b.ids and a.ids != c.ids
    assert all(i in paths for i in a.ids)


def test_select_rejects_unknown_labels_and_models():
    import alcore

    with pytest.raises(ConfigError, match="not in the pool"):
        alcore.select(ScoreModel(), pool(), labeled=["nope"])
    with pytest.raises(ConfigError, match="checkpoint"):
        alcore.select("some_config.py", pool(), classes=["a", "b"])
    with pytest.raises(Exception, match="known"):
        alcore.select(ScoreModel(), pool(), acq="no-such-acq")


def test_select_wraps_a_plain_mmseg_segmentor():
    import torch

    from alcore.api import build_model
    from alcore.plugins import get_registry
    from alcore_mmseg.model import MMSegModel

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        info = DatasetInfo(["a", "b", "c"], [(0, 0, 0)] * 3)
        quantities = {r.name: r.factory for r in get_registry().all("quantity")}
        segmentor = MMSegModel(info, quantities, width=8)._build()
        wrapped = build_model(segmentor, None, get_registry())
        assert wrapped.segmentor is segmentor and wrapped.info.num_classes == 3
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
def test_python_api_example_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python_api.py"), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "next batch:" in proc.stdout
    assert (tmp_path / "run" / "results.json").is_file()
