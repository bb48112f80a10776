"""Core-set across a family of feature sets: alcore's exact k-center against the plain loop.

Usage::

    python benchmarks/coreset_family.py                    # every workload, then the HDF5 case
    python benchmarks/coreset_family.py --only video-base,gauss-cold-300 --skip-hdf5
    python benchmarks/coreset_family.py --jobs 4 --skip-hdf5  # four scripts side by side

Each workload is generated deterministically, written to a ``.npy`` file, and then timed in a
fresh process per measurement: alcore ``kcenter`` and the plain exact loop (one float32
matrix-vector product per pick with cached norms, the memory-bound baseline every pruning
scheme must beat), ``--repeat`` pairs per workload alternating which runs first; the table gives
median seconds and the median of the pairs' ratios. Each process also reports its peak resident
memory above what it held with the features loaded (``/proc/self/clear_refs`` then ``VmHWM``).
Where the float64 textbook reference is affordable (``--check-work``), alcore's picks are
compared with it; otherwise with the reference on the same workload shrunk to a checkable size.

Clustered workloads are video-like: sequences of frames, each a smooth trajectory with momentum
in its own low-dimensional subspace around a scene point, plus per-frame noise; the family
varies sequence length, number of sequences, intrinsic dimension, noise, D, N, k, and cold
(nothing labeled) against warm (labeled centres) starts. Gaussian workloads have no structure.

Last, a video-like matrix larger than a stated memory allowance is written to HDF5 and selected
from by streaming in a fresh process (peak RSS reported), the way a run's cache hands features
to the core-set strategy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

MIB = 1 << 20


@dataclass(frozen=True)
class Workload:
    """One feature set and selection task."""

    name: str
    n: int
    d: int
    k: int
    labeled: int = 0
    kind: str = "video"
    frames: int = 100
    rank: int = 8
    noise: float = 0.02
    seed: int = 0

    @property
    def start(self) -> str:
        return "cold" if self.labeled == 0 else f"warm ({self.labeled})"


FAMILY = [
    Workload("video-base", 20_000, 512, 500, labeled=1000),
    Workload("video-short-seq", 20_000, 512, 500, labeled=1000, frames=20),
    Workload("video-long-seq", 20_000, 512, 500, labeled=1000, frames=500),
    Workload("video-rank-64", 20_000, 512, 500, labeled=1000, rank=64),
    Workload("video-noisy", 20_000, 512, 500, labeled=1000, noise=0.2),
    Workload("video-d2048", 10_000, 2048, 500, labeled=500),
    Workload("video-d128", 50_000, 128, 500, labeled=2000),
    Workload("video-n60k", 60_000, 256, 500, labeled=2000),
    Workload("video-k1500", 20_000, 512, 1500, labeled=1000),
    Workload("video-cold-50", 20_000, 512, 50),
    Workload("video-cold-300", 20_000, 512, 300),
    Workload("video-cold-3000", 10_000, 512, 3000),
    Workload("gauss-warm-500", 20_000, 512, 500, labeled=1000, kind="gaussian"),
    Workload("gauss-cold-50", 20_000, 512, 50, kind="gaussian"),
    Workload("gauss-cold-300", 20_000, 512, 300, kind="gaussian"),
    Workload("gauss-cold-3000", 10_000, 512, 3000, kind="gaussian"),
]


# -- features -----------------------------------------------------------------------------------


def video_rows(w: Workload, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Rows ``start:stop`` of a workload's video-like features (deterministic, float32).

    Sequence lengths vary uniformly in [frames/2, 3·frames/2]. Each sequence has a scene point
    N(0, I) and a random ``rank``-dimensional subspace; its trajectory is a random walk with
    momentum 0.9 in that subspace, scaled so that its extent is about half the distance between
    scene points; every frame gets isotropic noise ``noise`` (relative to that distance) and all
    rows share a positive offset, like post-ReLU embeddings.
    """
    rng = np.random.default_rng(w.seed)
    d, n = w.d, w.n
    stop = n if stop is None else stop
    lengths = []
    total = 0
    while total < n:
        length = int(rng.integers(max(1, w.frames // 2), 3 * w.frames // 2 + 1))
        lengths.append(min(length, n - total))
        total += lengths[-1]
    offset = np.abs(rng.standard_normal(d)).astype(np.float32)
    seeds = rng.integers(0, 2**63, len(lengths))
    scale = np.sqrt(2.0 * d)  # distance between two scene points
    out = np.empty((stop - start, d), np.float32)
    a = 0
    for length, seed in zip(lengths, seeds):
        b = a + length
        if b > start and a < stop:
            r = np.random.default_rng(seed)
            basis = r.standard_normal((w.rank, d)).astype(np.float32) / np.float32(np.sqrt(d))
            kicks = r.standard_normal((length, w.rank))
            velocity = np.zeros(w.rank)
            for t in range(length):
                velocity = 0.9 * velocity + kicks[t]
                kicks[t] = velocity
            walk = np.cumsum(kicks, axis=0)
            walk -= walk.mean(axis=0)
            extent = float(np.sqrt((walk**2).sum(axis=1).max())) or 1.0
            walk *= 0.25 * scale / extent
            path = walk.astype(np.float32) @ basis  # basis rows have norm ~1
            path += r.standard_normal(d, dtype=np.float32) + offset
            jitter = np.float32(w.noise * scale / np.sqrt(d))
            path += r.standard_normal((length, d), dtype=np.float32) * jitter
            lo, hi = max(a, start), min(b, stop)
            out[lo - start : hi - start] = path[lo - a : hi - a]
        a = b
    return out


def features(w: Workload) -> np.ndarray:
    """The workload's feature matrix."""
    if w.kind == "gaussian":
        return np.random.default_rng(w.seed).standard_normal((w.n, w.d), dtype=np.float32)
    return video_rows(w)


def labeled_mask(n: int, count: int, seed: int = 1) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    if count:
        mask[np.random.default_rng(seed).choice(n, count, replace=False)] = True
    return mask


# -- the plain exact loop -----------------------------------------------------------------------


def plain_loop(x: np.ndarray, labeled: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-center with one float32 matrix-vector product per pick and cached norms."""
    norms = np.einsum("ij,ij->i", x, x)
    nearest = np.full(len(x), np.inf, dtype=np.float32)
    centres = np.flatnonzero(labeled)
    picks = np.empty(k, dtype=np.int64)
    t0 = 0
    if len(centres) == 0:
        candidates = np.flatnonzero(~labeled)
        centres = candidates[[rng.integers(len(candidates))]]
        picks[0] = centres[0]
        t0 = 1
    for c0 in range(0, len(centres), 256):
        block = x[centres[c0 : c0 + 256]]
        cn = np.einsum("ij,ij->i", block, block)
        for r0 in range(0, len(x), 4096):
            d = norms[r0 : r0 + 4096, None] + cn[None] - 2 * (x[r0 : r0 + 4096] @ block.T)
            np.minimum(nearest[r0 : r0 + 4096], d.min(axis=1), out=nearest[r0 : r0 + 4096])
    nearest[centres] = -np.inf
    for t in range(t0, k):
        i = int(np.argmax(nearest))
        picks[t] = i
        d = norms + norms[i] - 2 * (x @ x[i])
        np.minimum(nearest, d, out=nearest)
        nearest[i] = -np.inf
    return picks


# -- fresh-process measurement ------------------------------------------------------------------


def one_thread_env() -> dict[str, str]:
    """This process's environment with every BLAS/OpenMP pool limited to one thread."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def proc_status(key: str) -> int:
    """A /proc/self/status memory figure in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def worker(method: str, features_path: str, labeled_path: str, k: int, out_path: str) -> None:
    """Subprocess body: load the features, time one selection, report seconds and peak RSS."""
    import h5py
    import torch  # noqa: F401  (imported before the baseline is taken, as in a run)

    from alcore_acquisition.kcenter import kcenter

    torch.set_num_threads(1)
    labeled = np.load(labeled_path)
    handle = None
    if features_path.endswith(".h5"):
        handle = h5py.File(features_path, "r")
        x = handle["features"]
        nbytes = x.shape[0] * x.shape[1] * 4
    else:
        x = np.load(features_path)
        nbytes = x.nbytes
    stats: dict = {}
    rng = np.random.default_rng(0)
    # warm the code paths on a slice (imports, BLAS and allocator first-use buffers are a
    # per-process constant, not memory the selection needs)
    part = min(x.shape[0], 6000)
    if method == "alcore":
        kcenter(x[:part], labeled[:part], 120, rng=np.random.default_rng(0))
    else:
        plain_loop(np.asarray(x[:part]), labeled[:part], 120, np.random.default_rng(0))
    Path("/proc/self/clear_refs").write_text("5")
    before = proc_status("VmRSS:")
    start = time.perf_counter()
    cpu = time.process_time()
    if method == "alcore":
        result = kcenter(x, labeled, k, rng=rng)
        picks = result.indices
        stats = {key: int(value) for key, value in result.stats.items()}
    else:
        picks = plain_loop(x, labeled, k, rng)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = proc_status("VmHWM:")
    if handle is not None:
        handle.close()
    np.save(out_path, picks)
    info = {"seconds": seconds, "cpu": cpu, "extra": (peak - before) / nbytes, "before": before, "peak": peak}
    Path(out_path + ".json").write_text(json.dumps({**info, "stats": stats}))


def measure(method: str, fpath: Path, lpath: Path, k: int, work: Path) -> tuple[np.ndarray, dict]:
    out = str(work / f"{method}-picks.npy")
    cmd = [sys.executable, __file__, "--worker", method, str(fpath), str(lpath), str(k), out]
    subprocess.run(cmd, check=True, env=one_thread_env())
    return np.load(out), json.loads(Path(out + ".json").read_text())


def reference_picks(x: np.ndarray, labeled: np.ndarray, k: int) -> np.ndarray:
    """The float64 textbook picks, with the same seeded cold start as the measured runs."""
    from alcore_acquisition.kcenter_reference import greedy_kcenter_reference

    return greedy_kcenter_reference(x, labeled, k, rng=np.random.default_rng(0))


def check(w: Workload, x: np.ndarray, labeled: np.ndarray, picks: np.ndarray, budget: float) -> str:
    """Compare with the reference: in full if ``n·d·k`` fits the budget, else on a shrunk copy."""
    from alcore_acquisition.kcenter import kcenter

    if w.n * w.d * (w.k + 1) <= budget:
        ok = np.array_equal(picks, reference_picks(x, labeled, w.k))
        return "yes" if ok else "NO"
    scale = max(w.n * w.d * (w.k + 1) / budget, 1.0) ** (1 / 3)
    small = Workload(
        w.name,
        max(500, int(w.n / scale)),
        w.d,
        max(5, int(w.k / scale)),
        int(w.labeled / scale),
        w.kind,
        w.frames,
        w.rank,
        w.noise,
        w.seed,
    )
    xs = features(small)
    ls = labeled_mask(small.n, small.labeled)
    got = kcenter(xs, ls, small.k, rng=np.random.default_rng(0)).indices
    ok = np.array_equal(got, reference_picks(xs, ls, small.k))
    return f"{'yes' if ok else 'NO'} (N={small.n}, k={small.k})"


# -- main ---------------------------------------------------------------------------------------


def run_family(args: argparse.Namespace, work: Path) -> list[dict]:
    rows = []
    chosen = [w for w in FAMILY if not args.only or w.name in args.only.split(",")]
    for number, w in enumerate(chosen):
        x = features(w)
        labeled = labeled_mask(w.n, w.labeled)
        fpath, lpath = work / "x.npy", work / "labeled.npy"
        np.save(fpath, x)
        np.save(lpath, labeled)
        pairs = []
        for rep in range(args.repeat):
            order = ("alcore", "plain") if (number + rep) % 2 == 0 else ("plain", "alcore")
            pairs.append({method: measure(method, fpath, lpath, w.k, work) for method in order})
        picks = pairs[0]["alcore"][0]
        if any(not np.array_equal(p["alcore"][0], picks) for p in pairs):
            raise SystemExit(f"{w.name}: alcore's picks differ between repeats")
        ours = {"seconds": statistics.median(p["alcore"][1]["seconds"] for p in pairs)}
        plain = {"seconds": statistics.median(p["plain"][1]["seconds"] for p in pairs)}
        ours["extra"] = max(p["alcore"][1]["extra"] for p in pairs)
        ours["stats"] = pairs[0]["alcore"][1]["stats"]
        exact = check(w, x, labeled, picks, args.check_work) if not args.no_check else "-"
        ratios = [p["plain"][1]["seconds"] / p["alcore"][1]["seconds"] for p in pairs]
        row = {
            **asdict(w),
            "start": w.start,
            "alcore_s": ours["seconds"],
            "plain_s": plain["seconds"],
            "ratio": statistics.median(ratios),
            "ratios": ratios,
            "extra": ours["extra"],
            "plain_extra": max(p["plain"][1]["extra"] for p in pairs),
            "exact": exact,
            "stats": ours["stats"],
            "load": os.getloadavg()[0],
        }
        rows.append(row)
        print(
            f"{w.name:18s} N={w.n:6d} D={w.d:5d} k={w.k:5d} {w.start:12s} alcore {ours['seconds']:7.2f} s"
            f"  plain {plain['seconds']:7.2f} s  ratio {row['ratio']:6.1f}x  extra {ours['extra']:6.1%}"
            f"  exact {exact}  {ours['stats']}  load {row['load']:.1f}",
            flush=True,
        )
    return rows


def run_parallel(args: argparse.Namespace, work: Path) -> list[dict]:
    """Split the workloads over ``--jobs`` copies of this script; each still times its pairs
    back to back in fresh processes, so every ratio compares two runs under the same load."""
    chosen = [w.name for w in FAMILY if not args.only or w.name in args.only.split(",")]
    parts = []
    for i in range(args.jobs):
        names = chosen[i :: args.jobs]
        if not names:
            continue
        out = work / f"part-{i}.json"
        cmd = [sys.executable, __file__, "--only", ",".join(names), "--skip-hdf5", "--json", str(out)]
        cmd += ["--check-work", str(args.check_work), "--repeat", str(args.repeat)]
        cmd += ["--no-check"] if args.no_check else []
        parts.append((subprocess.Popen(cmd), out))
    rows = []
    for proc, out in parts:
        if proc.wait() != 0:
            raise SystemExit(f"a part failed: {proc.args}")
        rows += json.loads(out.read_text())["rows"]
    return sorted(rows, key=lambda r: chosen.index(r["name"]))


def run_hdf5(args: argparse.Namespace, work: Path) -> dict:
    """Write a video-like matrix larger than the allowance to HDF5; select from it streaming."""
    import h5py

    w = Workload("hdf5-stream", args.h5_n, args.h5_d, args.h5_k, labeled=args.h5_labeled, frames=500)
    path = work / "big.h5"
    start = time.perf_counter()
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("features", shape=(w.n, w.d), dtype="f4", chunks=(1024, w.d))
        for s0 in range(0, w.n, 50_000):
            ds[s0 : s0 + 50_000] = video_rows(w, s0, min(w.n, s0 + 50_000))
    written = time.perf_counter() - start
    lpath = work / "big-labeled.npy"
    np.save(lpath, labeled_mask(w.n, w.labeled))
    _, info = measure("alcore", path, lpath, w.k, work)
    return {**asdict(w), "write_s": written, **info}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--no-check", action="store_true", help="skip the reference check")
    parser.add_argument("--check-work", type=float, default=5e8, help="largest N·D·k checked in full")
    parser.add_argument("--skip-hdf5", action="store_true")
    parser.add_argument("--h5-n", type=int, default=400_000)
    parser.add_argument("--h5-d", type=int, default=512)
    parser.add_argument("--h5-k", type=int, default=1000)
    parser.add_argument("--h5-labeled", type=int, default=5000)
    parser.add_argument("--allowance-mib", type=int, default=256, help="memory allowance for the HDF5 case")
    parser.add_argument("--json", default="", help="also write the results here")
    parser.add_argument("--jobs", type=int, default=1, help="workload scripts run side by side")
    parser.add_argument(
        "--repeat", type=int, default=3, help="interleaved (alcore, plain) pairs per workload (medians)"
    )
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, fpath, lpath, k, out = args.worker
        worker(method, fpath, lpath, int(k), out)
        return
    import torch

    began = time.perf_counter()
    print(
        f"machine: {os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, torch {torch.__version__}, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="coreset-family-") as tmp:
        work = Path(tmp)
        rows = run_parallel(args, work) if args.jobs > 1 else run_family(args, work)
        big = None if args.skip_hdf5 else run_hdf5(args, work)
    print(f"\n## results (total {time.perf_counter() - began:.0f} s)\n")
    print(
        "| workload | N | D | k | start | alcore (s) | plain loop (s) | ratio | extra memory "
        "| same picks as reference |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['name']} | {r['n']} | {r['d']} | {r['k']} | {r['start']} | {r['alcore_s']:.2f} "
            f"| {r['plain_s']:.2f} | {r['ratio']:.1f}x | {r['extra']:.1%} | {r['exact']} |"
        )
    clustered = [r["ratio"] for r in rows if r["kind"] == "video"]
    if rows:
        print(f"\nlowest ratio {min(r['ratio'] for r in rows):.2f}x", end="")
        if clustered:
            print(f"; median ratio over clustered workloads {statistics.median(clustered):.1f}x", end="")
        wide = max((r["extra"] for r in rows if r["d"] >= 256), default=0.0)
        print(f"; largest extra memory at D >= 256: {wide:.1%}")
    if big is not None:
        gib = 2**30
        size = big["n"] * big["d"] * 4
        print(
            f"\nHDF5 streaming: N={big['n']}, D={big['d']} float32 ({size / gib:.2f} GiB on disk, written in "
            f"{big['write_s']:.0f} s), {big['labeled']} labeled, k={big['k']}: {big['seconds']:.1f} s; "
            f"peak RSS {big['peak'] / MIB:.0f} MiB of which {big['before'] / MIB:.0f} MiB before the call: "
            f"{(big['peak'] - big['before']) / MIB:.0f} MiB for the selection "
            f"({(big['peak'] - big['before']) / size:.1%} of the features; "
            f"allowance {args.allowance_mib} MiB); "
            f"{big['stats']}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "hdf5": big}, indent=1))


if __name__ == "__main__":
    main()
