"""A core-set selection over features that stay on disk: peak memory well below the feature matrix."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

SCRIPT = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np
    from alcore.cache import FeatureCache
    from alcore.plugins import build_registry

    n, d = int(sys.argv[2]), int(sys.argv[3])
    cache = FeatureCache(sys.argv[1])
    ids = [f"s{i}" for i in range(n)]

    def compute(rows, names, progress):
        rng = np.random.default_rng(rows[0])
        walk = np.cumsum(rng.normal(size=(len(rows), d)).astype(np.float32), axis=0)
        return {"embedding": walk}

    cache.fetch("fp", ids, ["embedding"], compute, load=False)
    coreset = build_registry().get("acquisition", "coreset").build({})
    labeled = np.zeros(n, dtype=bool)
    labeled[:: n // 20] = True
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with cache.stream("fp", ids, ["embedding"], compute, max_bytes=1 << 20) as q:
        kind = type(q["embedding"]).__module__.split(".")[0]
        picked = coreset.select(q, labeled, 64, np.random.default_rng(0))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kind": kind, "picks": len(set(picked.tolist())),
                      "extra_bytes": (after - before) * 1024, "matrix_bytes": n * d * 4}))
    """
)


@pytest.mark.slow
def test_coreset_selects_from_a_pool_larger_than_the_memory_it_may_use(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "cache.h5"), "40000", "1024"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["kind"] == "h5py" and out["picks"] == 64
    # the 160 MiB matrix is never loaded: the selection's peak growth stays under half of it
    assert out["extra_bytes"] < 0.5 * out["matrix_bytes"], out
