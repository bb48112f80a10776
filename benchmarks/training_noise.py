"""How much a briefly trained model's mIoU moves with the training seed alone, per optimiser.

The quick bench compares strategies by paired differences within a seed; whatever a model's
mIoU does when only its training randomness changes is noise those differences cannot cancel.
This trains the quick bench's model on a *fixed* labeled set (a fixed random order of the pool,
the first ``--labeled`` frames at each cycle, warm-started like a bench cell) under several
training seeds, for each optimiser setting, interleaved seed by seed, and reports the spread of
the learning-curve AUC and of each cycle's mIoU.

    OMP_NUM_THREADS=1 python benchmarks/training_noise.py --settings sgd:0.05,adamw:0.01
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

LEVELS = {"redundant": {"preset": "video"}, "diverse": {"preset": "stills", "sequences": 1303}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", choices=sorted(LEVELS), default="redundant")
    ap.add_argument("--settings", default="sgd:0.05,adamw:0.01", help="optimizer:lr, comma-separated")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--labeled", default="64,128,192", help="labeled-set size at each cycle")
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--val-sequences", type=int, default=0,
                    help="also evaluate on a validation set of this many held-out drives (same pool)")
    args = ap.parse_args()

    from alcore.bench.runner import limit_threads

    limit_threads()
    from alcore.config import RunConfig
    from alcore.experiment import build_components
    from alcore.plugins import get_registry, require
    from alcore.progress import Reporter
    from alcore.report.compare import normalised_auc

    sizes = [int(n) for n in args.labeled.split(",")]
    settings = [(s.split(":")[0], float(s.split(":")[1])) for s in args.settings.split(",")]
    registry = get_registry()
    runs: dict[str, list[dict]] = {f"{o}:{lr:g}": [] for o, lr in settings}
    work = Path(tempfile.mkdtemp(prefix="alcore-noise-"))
    dataset = require(registry, "dataset", "drivesim").build(dict(LEVELS[args.level]))
    pool, val = list(dataset.pool()), list(dataset.val())
    big = []
    if args.val_sequences:
        wide = require(registry, "dataset", "drivesim").build(
            {**LEVELS[args.level], "val_sequences": args.val_sequences}
        )
        assert [p.id for p in wide.pool()] == [p.id for p in pool], "the pool must not change"
        big = list(wide.val())
    order = np.random.default_rng(123).permutation(len(pool))
    for seed in range(args.seeds):
        for optimizer, lr in settings:
            name = f"{optimizer}:{lr:g}"
            cfg = RunConfig(
                dataset="drivesim",
                dataset_options=dict(LEVELS[args.level]),
                model="mmseg",
                model_options={"width": args.width, "iters": args.iters, "optimizer": optimizer, "lr": lr},
                seed=seed,
                initial=sizes[0],
                budget=sizes[1] - sizes[0] if len(sizes) > 1 else 1,
                cycles=max(1, len(sizes) - 1),
            ).validate()
            parts = build_components(cfg, registry, Reporter(quiet=True))
            curve, wide_curve, seconds = [], [], 0.0
            for cycle, n in enumerate(sizes):
                t0 = time.perf_counter()
                parts.model.train([pool[i] for i in order[:n]], [], cycle, work / f"{name}-{seed}")
                seconds += time.perf_counter() - t0
                curve.append(float(parts.model.evaluate(val)["mIoU"]))
                if big:
                    wide_curve.append(float(parts.model.evaluate(big)["mIoU"]))
            runs[name].append({
                "curve": curve, "auc": normalised_auc(sizes, curve), "seconds": seconds,
                "wide_auc": normalised_auc(sizes, wide_curve) if big else None,
            })
            print(f"seed {seed} {name}: mIoU {', '.join(f'{m:.2f}' for m in curve)}", flush=True)

    print(f"\nlevel {args.level}, width {args.width}, {args.iters} iterations per cycle, labeled {sizes}, "
          f"{args.seeds} training seeds\n")
    cycles = " | ".join(f"mIoU at {n} (mean ± sd)" for n in sizes)
    print(f"| setting | AUC mean ± sd | {cycles} | seconds per training |")
    print("|---" * (3 + len(sizes)) + "|")
    for name, rows in runs.items():
        aucs = [r["auc"] for r in rows]
        at = [[r["curve"][c] for r in rows] for c in range(len(sizes))]
        per_cycle = " | ".join(f"{np.mean(v):.2f} ± {np.std(v, ddof=1):.2f}" for v in at)
        secs = np.mean([r["seconds"] for r in rows]) / len(sizes)
        print(f"| {name} | {np.mean(aucs):.2f} ± {np.std(aucs, ddof=1):.2f} | {per_cycle} | {secs:.2f} |")
    if args.val_sequences:
        print(f"\nAUC on {args.val_sequences} validation drives instead of the preset's:")
        for name, rows in runs.items():
            wide = [r["wide_auc"] for r in rows]
            print(f"- {name}: {np.mean(wide):.2f} ± {np.std(wide, ddof=1):.2f}")


if __name__ == "__main__":
    main()
