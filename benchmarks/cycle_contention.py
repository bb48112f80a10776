"""How long ``alcore run`` takes alone and next to a CPU-bound process, per torch thread count.

Usage: ``python benchmarks/cycle_contention.py [--reps 1] [--cycles 4] [--threads 1,2] [--ssl none,fixmatch]
[--iters N]``

Each configuration (SSL setting x thread count) runs ``alcore run`` as a subprocess, once alone
and once while a busy loop occupies one core, interleaved (alone, busy, alone, busy, ...) so that
load drift on a shared machine hits both. Reported: wall and CPU seconds of the run, its final
mIoU, and the busy/alone wall-time ratio (the cliff the issue measured: many threads spinning
against a neighbour). Runs share one generated dataset under a temporary ``ALCORE_DATA``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _busy() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _run(out: Path, ssl: str, threads: int, cycles: int, env: dict, iters: int = 0
         ) -> tuple[float, float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "alcore.cli", "run", "--out", str(out), "--cycles", str(cycles), "-q"]
    if threads:
        cmd += ["--model-opt", f"threads={threads}"]
    if iters:
        cmd += ["--model-opt", f"iters={iters}"]
    if ssl != "none":
        cmd += ["--ssl", ssl]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    final = json.loads((out / "results.json").read_text())["final"]["mIoU"]
    return wall, cpu, final


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--cycles", type=int, default=4)
    ap.add_argument("--threads", default="1,2", help="torch threads per run (0: the model's default)")
    ap.add_argument("--ssl", default="none,fixmatch")
    ap.add_argument("--iters", type=int, default=0, help="training iterations per cycle (0: the default)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="alcore-contention-"))
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["ALCORE_DATA"] = str(work / "data")
    rows: dict[tuple[str, int, bool], list[tuple[float, float, float]]] = {}
    k = 0
    for _ in range(args.reps):
        for ssl in args.ssl.split(","):
            for threads in (int(t) for t in args.threads.split(",")):
                for busy in (False, True):
                    hog = _busy() if busy else None
                    try:
                        result = _run(work / f"run{k}", ssl, threads, args.cycles, env, args.iters)
                    finally:
                        if hog is not None:
                            hog.kill()
                            hog.wait()
                    k += 1
                    rows.setdefault((ssl, threads, busy), []).append(result)
                    print(f"ssl={ssl} threads={threads} busy={busy}: wall {result[0]:.0f}s "
                          f"cpu {result[1]:.0f}s final mIoU {result[2]:.2f}", file=sys.stderr, flush=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average at end "
          f"{os.getloadavg()[0]:.1f}; cycles {args.cycles}, iters {args.iters or 'default'}, "
          f"reps {args.reps}")
    print("| ssl | threads | alone wall (s) | alone CPU (s) | busy wall (s) | busy / alone | final mIoU |")
    print("|---|---|---|---|---|---|---|")
    for (ssl, threads, busy), alone in sorted(rows.items()):
        if busy:
            continue
        crowded = rows[(ssl, threads, True)]
        ratio = statistics.median(b[0] / a[0] for a, b in zip(alone, crowded))
        finals = ", ".join(f"{r[2]:.2f}" for r in alone + crowded)
        print(f"| {ssl} | {threads} | {statistics.median(r[0] for r in alone):.0f} | "
              f"{statistics.median(r[1] for r in alone):.0f} | "
              f"{statistics.median(r[0] for r in crowded):.0f} | {ratio:.2f} | {finals} |")


if __name__ == "__main__":
    main()
