"""Where one training cycle's time goes (one torch thread), and what MMEngine's config formatting costs.

Usage: ``python benchmarks/cycle_profile.py [--iters 40] [--labeled 16,960]``

(a) cProfile of ``MMSegModel.train`` for one cycle on drivesim's default pool: the share of the
cycle spent in forward/backward/step, in ``Config.pretty_text`` and in checkpoint writing.
(b) ``Config.pretty_text`` of a cycle's Runner config with the file list inline (as before) and
by token (as now), at each labeled-set size.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path


def _share(stats: pstats.Stats, needle: str, total: float) -> tuple[int, float]:
    calls, cum = 0, 0.0
    for (file, _, name), (_, ncalls, _, ct, _) in stats.stats.items():
        if needle in f"{file}:{name}":
            calls += ncalls
            cum = max(cum, ct)
    return calls, 100 * cum / total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--labeled", default="16,960")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from mmengine.config import Config

    from alcore.plugins import build_registry
    from alcore_datasets.drivesim import open_drivesim
    from alcore_mmseg import data

    work = Path(tempfile.mkdtemp(prefix="alcore-profile-"))
    ds = open_drivesim("default", root=str(work / "data"), validate=False)
    reg = build_registry()
    model = reg.get("model", "mmseg").build({"iters": args.iters}, info=ds.info, quantities={}, seed=0)
    pool = ds.pool()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(model.train, pool[:16], pool[16:], 0, work / "cycle")
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    print(f"(a) one cycle, {args.iters} iterations, 16 labeled, one thread: {total:.1f} s")
    print("| part | calls | share of the cycle |")
    print("|---|---|---|")
    for label, needle in (
        ("train_step (forward, backward, step)", "train_step"),
        ("Config.pretty_text", "pretty_text"),
        ("torch.save (checkpoints)", "torch/serialization.py:save"),
        ("Runner.from_cfg + build", "from_cfg"),
    ):
        calls, share = _share(stats, needle, total)
        print(f"| {label} | {calls} | {share:.1f}% |")
    print()
    print("(b) Config.pretty_text of a cycle's Runner config (seconds, median of 3)")
    print("| labeled | file list inline | by token |")
    print("|---|---|---|")
    for n in (int(x) for x in args.labeled.split(",")):
        labeled = (pool * (n // len(pool) + 1))[:n]
        cfg = model.runner_cfg(labeled, 0, work / "cfg")
        inline = dict(cfg, train_dataloader=dict(cfg["train_dataloader"]))
        dataset = cfg["train_dataloader"]["dataset"]
        inline["train_dataloader"]["dataset"] = dict(dataset, files=data.resolve_files(dataset["files"]))
        times = []
        for c in (inline, cfg):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                _ = Config(c).pretty_text
                runs.append(time.perf_counter() - t0)
            times.append(sorted(runs)[1])
        print(f"| {n} | {times[0]:.3f} | {times[1]:.3f} |")


if __name__ == "__main__":
    main()
