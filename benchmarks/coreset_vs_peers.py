"""Core-set selection: alcore's exact greedy k-center against scikit-activeml's ``CoreSet``.

Usage::

    python benchmarks/coreset_vs_peers.py                 # issue sizes: N=40000, D=2048, L=2000, k=3000
    python benchmarks/coreset_vs_peers.py --n 8000 --d 256 --k 500 --labeled 400 --big-n 100000

Features are float32, (a) video-like: a few hundred sequences, each a smooth random walk with
momentum plus small per-frame noise and a common positive offset, so neighbouring frames are
near-duplicates; (b) i.i.d. Gaussian. In the same run it measures

* alcore ``kcenter`` (exact greedy k-center, bound-pruned),
* scikit-activeml ``CoreSet`` (the peer; installed into its own venv under /tmp, run there),
* a plain NumPy loop with one matrix-vector product per pick (the memory-bound baseline),

checks that the selections are identical (alcore against the peer and the baseline at full size,
against the textbook reference at a reduced size), and prints the table with ratios. The peer
runs ``--peer-picks`` picks (all ``k`` with ``--peer-full``) and its total is extrapolated from
its measured set-up and per-pick time (the peer's per-pick work does not depend on the data).
Last, a 1,000,000 x 512 float32 matrix (2 GB) is
written to an HDF5 file in a temporary folder and selected from by streaming, in a fresh process
whose time and peak resident memory are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PEER = "scikit-activeml"
PEER_VENV = Path("/tmp/peer-venv")


# -- features -----------------------------------------------------------------------------------


def video_like(
    n: int, d: int, *, frames: int = 133, seed: int = 0, start: int = 0, stop: int | None = None
) -> np.ndarray:
    """Rows ``start:stop`` of a deterministic video-like feature matrix (n x d, float32).

    Sequences of about ``frames`` frames (lengths vary by +-50%); each starts at a standard normal
    point and moves with momentum 0.95 so that its extent is about half the distance between
    sequence starts; frames get noise of 0.3 steps and all rows a common offset ``|N(0, 1)|``.
    """
    rng = np.random.default_rng(seed)
    n_seq = max(1, n // frames)
    lengths = rng.integers(frames // 2, 3 * frames // 2 + 1, n_seq).astype(float)
    lengths = np.maximum(1, np.floor(lengths / lengths.sum() * n)).astype(int)
    lengths[-1] += n - lengths.sum()
    offset = np.abs(rng.standard_normal(d)).astype(np.float32)
    seeds = rng.integers(0, 2**63, n_seq)
    momentum = 0.95
    step = 0.7 / np.sqrt(frames * (1 + momentum) / (1 - momentum))
    stop = n if stop is None else stop
    out = np.empty((stop - start, d), np.float32)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    for q in range(n_seq):
        a, b = int(bounds[q]), int(bounds[q + 1])
        if b <= start or a >= stop:
            continue
        r = np.random.default_rng(seeds[q])
        kicks = r.standard_normal((b - a, d), dtype=np.float32) * np.float32(step * np.sqrt(1 - momentum**2))
        velocity = r.standard_normal(d, dtype=np.float32) * np.float32(step)
        for t in range(b - a):
            velocity = momentum * velocity + kicks[t]
            kicks[t] = velocity
        path = np.cumsum(kicks, axis=0) + r.standard_normal(d, dtype=np.float32)
        path += r.standard_normal((b - a, d), dtype=np.float32) * np.float32(0.3 * step)
        path += offset
        lo, hi = max(a, start), min(b, stop)
        out[lo - start : hi - start] = path[lo - a : hi - a]
    return out


def gaussian(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d), dtype=np.float32)


def labeled_mask(n: int, count: int, seed: int = 1) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(seed).choice(n, count, replace=False)] = True
    return mask


# -- the peer -----------------------------------------------------------------------------------


def peer_python() -> str:
    """An interpreter with scikit-activeml: its own virtual environment under /tmp, so the
    peer never becomes part of (or changes) the environment alcore runs in."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    probe = [str(python), "-c", "import skactiveml"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        print(f"installing {PEER} into {PEER_VENV}")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", PEER], check=True)
    return str(python)


def peer_worker(features: str, labeled: str, picks: int, out: str) -> None:
    """Subprocess body: time ``CoreSet.query`` for ``picks`` picks; write picks and seconds."""
    from skactiveml.pool import CoreSet

    x = np.load(features)
    mask = np.load(labeled)
    y = np.full(len(x), np.nan)
    y[mask] = 0.0
    start = time.perf_counter()
    query = CoreSet(random_state=0).query(x, y, batch_size=picks)
    seconds = time.perf_counter() - start
    np.save(out, np.asarray(query, dtype=np.int64))
    Path(out + ".json").write_text(json.dumps({"seconds": seconds}))


def run_peer(python: str, work: Path, name: str, picks: int) -> tuple[np.ndarray, float]:
    out = str(work / f"peer-{name}-{picks}.npy")
    cmd = [python, __file__, "--peer-worker", str(work / f"{name}.npy"), str(work / f"{name}-labeled.npy")]
    subprocess.run([*cmd, str(picks), out], check=True)
    return np.load(out), json.loads(Path(out + ".json").read_text())["seconds"]


# -- the memory-bound baseline ------------------------------------------------------------------


def matvec_greedy(x: np.ndarray, labeled: np.ndarray, k: int) -> np.ndarray:
    """Greedy k-center with one float32 matrix-vector product per pick (no pruning)."""
    norms = np.einsum("ij,ij->i", x, x)
    nearest = np.full(len(x), np.inf, dtype=np.float32)
    centres = np.flatnonzero(labeled)
    for c0 in range(0, len(centres), 1024):
        block = x[centres[c0 : c0 + 1024]]
        for r0 in range(0, len(x), 4096):
            d = (
                norms[r0 : r0 + 4096, None]
                + np.einsum("ij,ij->i", block, block)[None]
                - 2 * (x[r0 : r0 + 4096] @ block.T)
            )
            np.minimum(nearest[r0 : r0 + 4096], d.min(axis=1), out=nearest[r0 : r0 + 4096])
    nearest[labeled] = -np.inf
    picks = np.empty(k, dtype=np.int64)
    for t in range(k):
        i = int(np.argmax(nearest))
        picks[t] = i
        d = norms + norms[i] - 2 * (x @ x[i])
        np.minimum(nearest, d, out=nearest)
        nearest[i] = -np.inf
    return picks


# -- the 1M streaming case ----------------------------------------------------------------------


def _status(key: str) -> int:
    """A /proc/self/status memory figure in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def big_worker(path: str, labeled: int, k: int) -> None:
    """Subprocess body: exact greedy k-center streamed from HDF5; print time and memory."""
    import h5py
    import torch  # noqa: F401  (imported before the baseline is taken, as in a real run)

    from alcore_acquisition.kcenter import kcenter

    with h5py.File(path, "r") as f:
        features = f["features"]
        mask = labeled_mask(features.shape[0], labeled)
        Path("/proc/self/clear_refs").write_text("5")  # restart the peak-RSS count here
        before = _status("VmRSS:")
        start = time.perf_counter()
        result = kcenter(features, mask, k)
        seconds = time.perf_counter() - start
        peak = _status("VmHWM:")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss": peak,
                "rss_before": before,
                "picks": len(result.indices),
                "dense_passes": result.dense_passes,
                "radius": result.radius,
            }
        )
    )


def write_big(path: Path, n: int, d: int) -> float:
    import h5py

    start = time.perf_counter()
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("features", shape=(n, d), dtype="f4")
        for s0 in range(0, n, 50_000):
            ds[s0 : s0 + 50_000] = video_like(n, d, frames=1000, seed=2, start=s0, stop=min(n, s0 + 50_000))
    return time.perf_counter() - start


# -- main ---------------------------------------------------------------------------------------


def same(x: np.ndarray, labeled: np.ndarray, ours: np.ndarray, other: np.ndarray) -> str:
    """'yes' when the picks are equal; else, at the first difference, both candidates' exact
    (float64, reference-definition) distances to the centres chosen so far."""
    from alcore_acquisition.kcenter_reference import squared_distances

    m = min(len(ours), len(other))
    diff = np.flatnonzero(ours[:m] != other[:m])
    if len(diff) == 0:
        return "yes" if len(ours) == len(other) else f"yes (first {m})"
    i = int(diff[0])
    centres = np.concatenate([np.flatnonzero(labeled), ours[:i]])
    d_ours = float(np.sqrt(squared_distances(x[centres], x[ours[i]]).min()))
    d_other = float(np.sqrt(squared_distances(x[centres], x[other[i]]).min()))
    return (
        f"no: from pick {i}, where alcore's row is at {d_ours:.7g} from the centres and the "
        f"other's at {d_other:.7g} (exact float64; relative gap {(d_ours - d_other) / d_ours:.1e})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40_000)
    parser.add_argument("--d", type=int, default=2048)
    parser.add_argument("--k", type=int, default=3000)
    parser.add_argument("--labeled", type=int, default=2000)
    parser.add_argument("--peer-picks", type=int, default=300, help="peer picks measured (then extrapolated)")
    parser.add_argument("--peer-full", action="store_true", help="run the peer's full k on both")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--check-n", type=int, default=6000, help="size of the reference check")
    parser.add_argument("--big-n", type=int, default=1_000_000)
    parser.add_argument("--big-d", type=int, default=512)
    parser.add_argument("--big-labeled", type=int, default=10_000)
    parser.add_argument("--big-k", type=int, default=2000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--peer-worker", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--big-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_worker:
        features, labeled, picks, out = args.peer_worker
        peer_worker(features, labeled, int(picks), out)
        return
    if args.big_worker:
        path, labeled, k = args.big_worker
        big_worker(path, int(labeled), int(k))
        return

    import torch

    from alcore_acquisition.kcenter import kcenter
    from alcore_acquisition.kcenter_reference import greedy_kcenter_reference

    began = time.perf_counter()
    print(
        f"machine: {os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, torch {torch.__version__}, load average {os.getloadavg()[0]:.1f}"
    )
    python = peer_python()
    rows = []
    with tempfile.TemporaryDirectory(prefix="coreset-bench-") as tmp:
        work = Path(tmp)

        # exactness against the textbook reference, at a size the O(k N D) reference can do
        n_small, d_small = args.check_n, min(args.d, 256)
        checks = []
        for name, x in (
            ("video", video_like(n_small, d_small, seed=3)),
            ("gaussian", gaussian(n_small, d_small, seed=3)),
        ):
            for count in (0, n_small // 20):
                mask = labeled_mask(n_small, count, seed=3)
                k_small = min(args.k, n_small // 10)
                ok = np.array_equal(
                    kcenter(x, mask, k_small, rng=np.random.default_rng(0)).indices,
                    greedy_kcenter_reference(x, mask, k_small, rng=np.random.default_rng(0)),
                )
                checks.append(
                    f"{name} N={n_small} D={d_small} L={count} k={k_small}: {'equal' if ok else 'DIFFERENT'}"
                )
        print("reference check: " + "; ".join(checks))

        for name in ("video", "gaussian"):
            x = video_like(args.n, args.d, seed=0) if name == "video" else gaussian(args.n, args.d, seed=0)
            mask = labeled_mask(args.n, args.labeled)
            np.save(work / f"{name}.npy", x)
            np.save(work / f"{name}-labeled.npy", mask)
            load = os.getloadavg()[0]
            print(f"\n{name}: N={args.n} D={args.d} labeled={args.labeled} k={args.k} (load {load:.1f})")

            start = time.perf_counter()
            result = kcenter(x, mask, args.k)
            ours = time.perf_counter() - start
            load = os.getloadavg()[0]
            print(
                f"  alcore kcenter      {ours:8.1f} s  (full passes {result.dense_passes}, load {load:.1f})"
            )

            if args.peer_full:
                peer_picks, peer_s = run_peer(python, work, name, args.k)
                peer_note = "measured"
            else:
                first, t1 = run_peer(python, work, name, 1)
                peer_picks, tm = run_peer(python, work, name, args.peer_picks)
                per_pick = (tm - t1) / (args.peer_picks - 1)
                peer_s = t1 + (args.k - 1) * per_pick
                peer_note = (
                    f"extrapolated: set-up+1 pick {t1:.1f} s, {per_pick * 1e3:.0f} ms/pick "
                    f"over {args.peer_picks} picks"
                )
            print(f"  peer CoreSet        {peer_s:8.1f} s  ({peer_note}, load {os.getloadavg()[0]:.1f})")
            row = {
                "data": name,
                "alcore": ours,
                "peer": peer_s,
                "peer_note": peer_note,
                "equal_peer": same(x, mask, result.indices, peer_picks),
            }
            if not args.no_baseline:
                start = time.perf_counter()
                base = matvec_greedy(x, mask, args.k)
                row["baseline"] = time.perf_counter() - start
                row["equal_baseline"] = same(x, mask, result.indices, base)
                print(f"  matrix-vector loop  {row['baseline']:8.1f} s  (load {os.getloadavg()[0]:.1f})")
            rows.append(row)
            del x

        big = None
        if not args.skip_big:
            path = work / "big.h5"
            gen_s = write_big(path, args.big_n, args.big_d)
            print(f"\nwrote {args.big_n} x {args.big_d} float32 to HDF5 in {gen_s:.0f} s")
            out = subprocess.run(
                [sys.executable, __file__, "--big-worker", str(path), str(args.big_labeled), str(args.big_k)],
                check=True,
                capture_output=True,
                text=True,
            )
            big = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"\n## results (total benchmark time {time.perf_counter() - began:.0f} s)\n")
    print(
        f"N={args.n}, D={args.d} float32, {args.labeled} labeled, k={args.k}; "
        f"{os.cpu_count()} CPU cores, no GPU.\n"
    )
    head = "| features | alcore (s) | scikit-activeml CoreSet (s) | speed-up | same picks as peer |"
    sep = "|---|---|---|---|---|"
    if not args.no_baseline:
        head += " matrix-vector loop (s) | speed-up vs loop | same picks as loop |"
        sep += "---|---|---|"
    print(head)
    print(sep)
    for row in rows:
        peer_cell = f"{row['peer']:.1f}" + (" (extrapolated)" if row["peer_note"] != "measured" else "")
        line = (
            f"| {row['data']} | {row['alcore']:.1f} | {peer_cell} | {row['peer'] / row['alcore']:.1f}x "
            f"| {row['equal_peer']} |"
        )
        if not args.no_baseline:
            line += (
                f" {row['baseline']:.1f} | {row['baseline'] / row['alcore']:.1f}x | {row['equal_baseline']} |"
            )
        print(line)
    print()
    for row in rows:
        if row["peer_note"] != "measured":
            print(f"peer on {row['data']}: {row['peer_note']}")
    print("reference check: " + "; ".join(checks))
    if big is not None:
        gib = 2**30
        print(
            f"\nHDF5 streaming: N={args.big_n}, D={args.big_d} float32 "
            f"({args.big_n * args.big_d * 4 / gib:.2f} GiB on disk), {args.big_labeled} labeled, "
            f"k={args.big_k}: {big['seconds']:.0f} s; peak RSS {big['peak_rss'] / gib:.2f} GiB, of which "
            f"{big['rss_before'] / gib:.2f} GiB before the call (interpreter, NumPy, torch, h5py): "
            f"{(big['peak_rss'] - big['rss_before']) / 2**20:.0f} MiB for the selection; "
            f"full passes {big['dense_passes']}"
        )


if __name__ == "__main__":
    main()
