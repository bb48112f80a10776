"""The HDF5 quantity cache: reads instead of passes, resumes, recovers from damage, shares safely."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from alcore.cache import FeatureCache, ids_digest

FP = "a" * 64


def values_for(fingerprint: str, ids: list[str]) -> dict[str, np.ndarray]:
    """Deterministic stand-in quantities: a scalar, a vector and a matrix per sample."""
    seeds = np.array([sum(map(ord, fingerprint + i)) for i in ids], dtype=np.float32)
    return {
        "entropy": seeds * 0.5,
        "embedding": seeds[:, None] + np.arange(8, dtype=np.float32)[None, :],
        "histogram": seeds[:, None, None] * np.ones((1, 3, 4), dtype=np.float32),
    }


class Model:
    """A compute function that records every call and can fail after a number of calls."""

    def __init__(self, ids: list[str], fingerprint: str = FP, fail_after: int | None = None) -> None:
        self.ids = ids
        self.fingerprint = fingerprint
        self.fail_after = fail_after
        self.calls: list[tuple[list[int], list[str]]] = []

    def __call__(self, rows, names, progress=None):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RuntimeError("killed mid-pass")
        self.calls.append((list(rows), list(names)))
        full = values_for(self.fingerprint, [self.ids[r] for r in rows])
        if progress:
            progress(len(rows), len(rows))
        return {n: full[n] for n in names}

    @property
    def rows(self) -> list[int]:
        return [r for rows, _ in self.calls for r in rows]


def make_ids(n: int, prefix: str = "s") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def check(result: dict[str, np.ndarray], ids: list[str], fingerprint: str = FP) -> None:
    expected = values_for(fingerprint, ids)
    for name, value in result.items():
        np.testing.assert_array_equal(value, expected[name])


NAMES = ["embedding", "entropy", "histogram"]


def test_second_fetch_reads_the_file(tmp_path: Path) -> None:
    ids = make_ids(50)
    model = Model(ids)
    seen = []
    first = FeatureCache(tmp_path / "cache.h5", chunk_size=16).fetch(
        FP, ids, NAMES, model, lambda d, t: seen.append((d, t))
    )
    check(first, ids)
    assert [len(rows) for rows, _ in model.calls] == [16, 16, 16, 2]
    assert all(names == NAMES for _, names in model.calls)
    assert seen[0] == (0, 50) and seen[-1] == (50, 50)
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:]))

    again = Model(ids)
    seen.clear()
    second = FeatureCache(tmp_path / "cache.h5").fetch(FP, ids, NAMES, again, lambda d, t: seen.append(d))
    assert again.calls == []
    assert seen == [50]
    check(second, ids)
    assert second["histogram"].shape == (50, 3, 4) and second["embedding"].shape == (50, 8)
    subset = FeatureCache(tmp_path / "cache.h5").fetch(FP, ids, ["entropy"], again)
    assert again.calls == [] and list(subset) == ["entropy"]


def test_interrupted_pass_resumes_at_the_missing_rows(tmp_path: Path) -> None:
    ids = make_ids(40)
    cache = FeatureCache(tmp_path / "cache.h5", chunk_size=16)
    with pytest.raises(RuntimeError, match="killed"):
        cache.fetch(FP, ids, NAMES, Model(ids, fail_after=1))
    resumed = Model(ids)
    seen = []
    check(cache.fetch(FP, ids, NAMES, resumed, lambda d, t: seen.append(d)), ids)
    assert resumed.rows == list(range(16, 40))
    assert seen[0] == 16 and seen[-1] == 40


def test_only_missing_quantities_are_computed_in_one_call_per_chunk(tmp_path: Path) -> None:
    ids = make_ids(20)
    cache = FeatureCache(tmp_path / "cache.h5", chunk_size=8)
    cache.fetch(FP, ids, ["entropy"], Model(ids))
    model = Model(ids)
    check(cache.fetch(FP, ids, NAMES, model), ids)
    assert model.rows == list(range(20))
    assert all(names == ["embedding", "histogram"] for _, names in model.calls)


def test_other_fingerprint_is_never_served(tmp_path: Path) -> None:
    ids = make_ids(10)
    cache = FeatureCache(tmp_path / "cache.h5")
    cache.fetch(FP, ids, NAMES, Model(ids))
    other = Model(ids, fingerprint="b" * 64)
    check(cache.fetch("b" * 64, ids, NAMES, other), ids, "b" * 64)
    assert other.rows == list(range(10))
    assert cache.fingerprints() == ["a" * 64, "b" * 64]


def test_changed_ids_are_not_served(tmp_path: Path) -> None:
    ids = make_ids(10)
    cache = FeatureCache(tmp_path / "cache.h5")
    cache.fetch(FP, ids, NAMES, Model(ids))
    for changed in (ids[:-1] + ["new"], ids[::-1], ids[:5]):
        model = Model(changed)
        check(cache.fetch(FP, changed, NAMES, model), changed)
        assert model.rows == list(range(len(changed)))
    back = Model(ids)
    check(cache.fetch(FP, ids, NAMES, back), ids)
    assert back.calls == []


def test_read_returns_only_complete_quantities(tmp_path: Path) -> None:
    ids = make_ids(30)
    cache = FeatureCache(tmp_path / "cache.h5", chunk_size=10)
    assert cache.read(FP, "embedding") is None
    assert cache.fingerprints() == []
    with pytest.raises(RuntimeError):
        cache.fetch(FP, ids, ["embedding"], Model(ids, fail_after=2))
    assert cache.read(FP, "embedding") is None
    cache.fetch(FP, ids, ["embedding"], Model(ids))
    stored_ids, rows = cache.read(FP, "embedding")
    assert stored_ids == ids
    np.testing.assert_array_equal(rows, values_for(FP, ids)["embedding"])
    assert cache.read(FP, "entropy") is None and cache.read("c" * 64, "embedding") is None


def test_odd_names_and_dtypes_round_trip(tmp_path: Path) -> None:
    ids = ["a/b", "ü", "."]
    values = {"./x": np.arange(3, dtype=np.int64), "..": np.ones((3, 2, 2), dtype=np.float64)}
    cache = FeatureCache(tmp_path / "cache.h5")
    cache.fetch(
        "fp/with.slash", ids, list(values), lambda rows, names, p: {n: values[n][rows] for n in names}
    )
    got = cache.fetch("fp/with.slash", ids, list(values), lambda *a: pytest.fail("computed again"))
    for name, value in values.items():
        assert got[name].dtype == value.dtype
        np.testing.assert_array_equal(got[name], value)
    assert cache.fingerprints() == ["fp/with.slash"]
    assert cache.read("fp/with.slash", "..")[0] == ids


def test_empty_pool_and_no_names(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path / "cache.h5")
    fail = lambda *a: pytest.fail("nothing to compute")  # noqa: E731
    assert cache.fetch(FP, [], ["entropy"], fail)["entropy"].shape == (0,)
    assert cache.fetch(FP, ["x"], [], fail) == {}


def test_bad_model_output_is_a_plugin_error(tmp_path: Path) -> None:
    from alcore.sdk.errors import PluginError

    cache = FeatureCache(tmp_path / "cache.h5")
    with pytest.raises(PluginError, match="no quantity 'entropy'"):
        cache.fetch(FP, ["x"], ["entropy"], lambda rows, names, p: {})
    with pytest.raises(PluginError, match="rows"):
        cache.fetch(FP, ["x", "y"], ["entropy"], lambda rows, names, p: {"entropy": np.zeros(1)})


def populated(tmp_path: Path, n: int = 30) -> tuple[FeatureCache, list[str]]:
    ids = make_ids(n)
    cache = FeatureCache(tmp_path / "cache.h5", chunk_size=10)
    cache.fetch(FP, ids, NAMES, Model(ids))
    return cache, ids


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_unreadable_file_is_moved_aside_and_recomputed(tmp_path: Path, damage: str, caplog) -> None:
    cache, ids = populated(tmp_path)
    size = cache.path.stat().st_size
    if damage == "truncate":
        os.truncate(cache.path, size // 2)
    elif damage == "garbage":
        cache.path.write_bytes(np.random.default_rng(0).bytes(size))
    else:
        cache.path.write_bytes(b"")
    model = Model(ids)
    with caplog.at_level(logging.WARNING, logger="alcore"):
        check(cache.fetch(FP, ids, NAMES, model), ids)
    assert model.rows == list(range(30))
    assert (tmp_path / "cache.h5.corrupt-1").is_file()
    assert any("corrupt-1" in r.getMessage() for r in caplog.records)
    again = Model(ids)
    check(cache.fetch(FP, ids, NAMES, again), ids)
    assert again.calls == []


def test_second_damaged_file_gets_the_next_free_name(tmp_path: Path) -> None:
    cache, ids = populated(tmp_path)
    for n in (1, 2):
        cache.path.write_bytes(b"not hdf5")
        assert cache.read(FP, "entropy") is None
        assert (tmp_path / f"cache.h5.corrupt-{n}").read_bytes() == b"not hdf5"


def flip_chunk_bytes(path: Path, dataset: str) -> None:
    """Corrupt the stored bytes of the first chunk of ``dataset`` in place."""
    with h5py.File(path, "r") as f:
        info = f[dataset].id.get_chunk_info(0)
    with open(path, "r+b") as fh:
        fh.seek(info.byte_offset + info.size // 2)
        raw = fh.read(4)
        fh.seek(info.byte_offset + info.size // 2)
        fh.write(bytes(b ^ 0xFF for b in raw))


@pytest.mark.parametrize("target", ["data/embedding", "written/entropy"])
def test_flipped_bytes_fail_the_checksum_and_are_recomputed(tmp_path: Path, target: str, caplog) -> None:
    cache, ids = populated(tmp_path)
    flip_chunk_bytes(cache.path, f"{FP}/{ids_digest(ids)[:16]}/{target}")
    model = Model(ids)
    with caplog.at_level(logging.WARNING, logger="alcore"):
        check(cache.fetch(FP, ids, NAMES, model), ids)
    assert model.rows == list(range(30))
    assert any("damaged" in r.getMessage() for r in caplog.records)
    again = Model(ids)
    check(cache.fetch(FP, ids, NAMES, again), ids)
    assert again.calls == []


def test_read_of_a_damaged_quantity_returns_none(tmp_path: Path) -> None:
    cache, ids = populated(tmp_path)
    flip_chunk_bytes(cache.path, f"{FP}/{ids_digest(ids)[:16]}/data/embedding")
    assert cache.read(FP, "embedding") is None


WORKER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from test_cache import Model, make_ids
    from alcore.cache import FeatureCache

    path, fingerprint, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
    ids = make_ids(n)

    class Slow(Model):
        def __call__(self, rows, names, progress=None):
            time.sleep(0.02)
            return super().__call__(rows, names, progress)

    FeatureCache(path, chunk_size=5).fetch(fingerprint, ids, ["embedding", "entropy", "histogram"],
                                           Slow(ids, fingerprint))
    """
)


def test_two_processes_share_one_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.h5"
    n = 200
    jobs = [("a" * 64), ("b" * 64), ("c" * 64), ("c" * 64)]
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(Path(__file__).parent), str(path), fp, str(n)])
        for fp in jobs
    ]
    assert [p.wait(timeout=60) for p in procs] == [0] * len(procs)
    cache = FeatureCache(path)
    assert cache.fingerprints() == ["a" * 64, "b" * 64, "c" * 64]
    ids = make_ids(n)
    for fp in sorted(set(jobs)):
        model = Model(ids, fp)
        check(cache.fetch(fp, ids, NAMES, model), ids, fp)
        assert model.calls == []
    assert not list(tmp_path.glob("*.corrupt-*"))


CRASHER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[1])
    from test_cache import Model, make_ids
    from alcore.cache import FeatureCache

    ids = make_ids(50)

    class Dies(Model):
        def __call__(self, rows, names, progress=None):
            if len(self.calls) == 2:
                os._exit(3)
            return super().__call__(rows, names, progress)

    names = ["embedding", "entropy"]
    FeatureCache(sys.argv[2], chunk_size=20).fetch("f" * 64, ids, names, Dies(ids, "f" * 64))
    """
)


def test_killed_process_leaves_a_cache_that_resumes(tmp_path: Path) -> None:
    path = tmp_path / "cache.h5"
    proc = subprocess.run([sys.executable, "-c", CRASHER, str(Path(__file__).parent), str(path)], timeout=60)
    assert proc.returncode == 3
    ids = make_ids(50)
    model = Model(ids, "f" * 64)
    check(
        FeatureCache(path, chunk_size=20).fetch("f" * 64, ids, ["embedding", "entropy"], model), ids, "f" * 64
    )
    assert model.rows == list(range(40, 50))
    assert not list(tmp_path.glob("*.corrupt-*"))
