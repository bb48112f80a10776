"""Core-set over a pool whose features exceed the memory allowed, the way a run does it.

Usage::

    python benchmarks/coreset_streaming.py                       # 400,000 x 512, 256 MiB allowed
    python benchmarks/coreset_streaming.py --n 100000 --compare  # smaller, and check the picks

A run scores its pool into the HDF5 cache (:class:`alcore.cache.FeatureCache`) and hands the
acquisition each quantity larger than ``ALCORE_STREAM_MB`` as the open HDF5 dataset
(``FeatureCache.stream``); the core-set strategy then reads rows in blocks. This script follows
that path: it writes video-like embeddings through ``FeatureCache.fetch`` (a generator stands in
for the model), then, in a fresh process, opens the cache with ``stream(max_bytes=allowance)``
and calls the built-in ``CoreSet.select`` on what it hands out. It reports the selection's time
and its peak resident memory above what the process held before the call, against the size of
the features and the allowance. ``--compare`` also selects from the whole matrix loaded in
memory (another fresh process) and checks that the picks are the same.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coreset_family import Workload, labeled_mask, one_thread_env, proc_status, video_rows  # noqa: E402

MIB = 1 << 20
FINGERPRINT = "benchmark-checkpoint"
NAME = "embedding"


def write_cache(path: Path, w: Workload) -> float:
    """Score the 'pool' into the run cache: rows come from the video generator, in blocks."""
    from alcore.cache import FeatureCache

    ids = [f"frame-{i:07d}" for i in range(w.n)]

    def compute(rows: list[int], names: list[str], progress: object) -> dict[str, np.ndarray]:
        lo, hi = rows[0], rows[-1] + 1
        assert hi - lo == len(rows), "the cache asks for consecutive rows on a fresh file"
        return {NAME: video_rows(w, lo, hi)}

    began = time.perf_counter()
    FeatureCache(path, chunk_size=16384).fetch(FINGERPRINT, ids, [NAME], compute, load=False)
    return time.perf_counter() - began


def select_worker(
    cache_path: str, labeled_path: str, k: int, allowance: int, out: str, in_memory: bool
) -> None:
    """Fresh process: stream the cached features into the core-set strategy (or load them)."""
    import torch  # noqa: F401  (a run has torch loaded before it selects)

    from alcore.cache import FeatureCache
    from alcore_acquisition.coreset import CoreSet

    labeled = np.load(labeled_path)
    ids = [f"frame-{i:07d}" for i in range(len(labeled))]
    cache = FeatureCache(Path(cache_path))

    def compute(rows: list[int], names: list[str], progress: object) -> dict[str, np.ndarray]:
        raise SystemExit("the cache should hold every row already")

    strategy = CoreSet()
    Path("/proc/self/clear_refs").write_text("5")
    before = proc_status("VmRSS:")
    began, cpu = time.perf_counter(), time.process_time()
    max_bytes = None if in_memory else allowance
    with cache.stream(FINGERPRINT, ids, [NAME], compute, max_bytes=max_bytes) as values:
        handed = type(values[NAME]).__module__.split(".")[0]
        picks = strategy.select(values, labeled, k, np.random.default_rng(0))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    peak = proc_status("VmHWM:")
    np.save(out, picks)
    result = strategy.last_result
    info = {
        "seconds": seconds,
        "cpu": cpu,
        "before": before,
        "peak": peak,
        "handed": handed,
        "stats": {key: int(value) for key, value in (result.stats if result else {}).items()},
        "dense_passes": result.dense_passes if result else 0,
    }
    Path(out + ".json").write_text(json.dumps(info))


def measure(
    cache: Path, lpath: Path, k: int, allowance: int, work: Path, in_memory: bool
) -> tuple[np.ndarray, dict]:
    out = str(work / ("memory" if in_memory else "stream"))
    cmd = [sys.executable, __file__, "--worker", str(cache), str(lpath), str(k), str(allowance), out]
    subprocess.run(cmd + (["--in-memory"] if in_memory else []), check=True, env=one_thread_env())
    return np.load(out + ".npy"), json.loads(Path(out + ".json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400_000, help="pool rows")
    parser.add_argument("--d", type=int, default=512, help="feature width")
    parser.add_argument("--k", type=int, default=1000, help="budget")
    parser.add_argument("--labeled", type=int, default=5000, help="labeled rows (initial centres)")
    parser.add_argument("--allowance-mib", type=int, default=256, help="features larger than this stream")
    parser.add_argument("--compare", action="store_true", help="also select in memory and compare")
    parser.add_argument("--dir", default="", help="keep the cache here (default: a temporary folder)")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--in-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        cache, lpath, k, allowance, out = args.worker
        select_worker(cache, lpath, int(k), int(allowance), out, args.in_memory)
        return
    w = Workload("stream", args.n, args.d, args.k, labeled=args.labeled, frames=500)
    allowance = args.allowance_mib * MIB
    size = w.n * w.d * 4
    with tempfile.TemporaryDirectory(prefix="coreset-stream-") as tmp:
        work = Path(args.dir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        cache = work / "cache.h5"
        written = write_cache(cache, w) if not cache.exists() else 0.0
        lpath = work / "labeled.npy"
        np.save(lpath, labeled_mask(w.n, w.labeled))
        picks, info = measure(cache, lpath, w.k, allowance, work, in_memory=False)
        extra = info["peak"] - info["before"]
        line = (
            f"streamed: N={w.n}, D={w.d} float32 ({size / MIB:.0f} MiB; cache written in {written:.0f} s), "
            f"allowance {args.allowance_mib} MiB, handed out as {info['handed']}; {w.labeled} labeled, "
            f"k={w.k}: {info['seconds']:.1f} s ({info['cpu']:.1f} CPU-s); "
            f"peak RSS {info['peak'] / MIB:.0f} MiB, {info['before'] / MIB:.0f} MiB before the call: "
            f"{extra / MIB:.0f} MiB for the selection ({extra / size:.1%} of the features); {info['stats']}"
        )
        print(line, flush=True)
        if args.compare:
            same, mem = measure(cache, lpath, w.k, allowance, work, in_memory=True)
            print(
                f"in memory: {mem['seconds']:.1f} s ({mem['cpu']:.1f} CPU-s), peak RSS above the start "
                f"{(mem['peak'] - mem['before']) / MIB:.0f} MiB; same picks as streamed: "
                f"{'yes' if np.array_equal(picks, same) else 'NO'}; {mem['stats']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
