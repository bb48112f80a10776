"""What alcore's MMSeg plugin costs on top of MMSeg: training throughput and scoring.

Usage: ``python benchmarks/mmseg_overhead.py [--iters 100] [--reps 3] [--threads 1]``.

(a) ``MMSegModel.train`` (default model, drivesim default data) against a plain MMEngine Runner
    built from the same ``runner_cfg`` without alcore's hooks; (b) ``MMSegModel.compute`` for
    three quantity sets against bare inference (``segmentor.test_step`` over the same loader).
Runs are interleaved (A B A B ...) so load drift on a shared machine cancels; the table gives
median times and the median of the per-pair ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch


def _plain_train(model, labeled, work: Path) -> None:
    from mmengine.config import Config
    from mmengine.runner import Runner

    from alcore_mmseg.model import _scope

    with _scope():
        Runner.from_cfg(Config(model.runner_cfg(labeled, 0, work))).train()


@torch.no_grad()
def _bare_inference(model, samples) -> None:
    for batch in model._loader(samples, with_labels=False):
        model.segmentor.test_step(batch)


def _pairs(name_a: str, fn_a, name_b: str, fn_b, reps: int) -> dict:
    times: dict[str, list[float]] = {name_a: [], name_b: []}
    for _ in range(reps):
        for name, fn in ((name_a, fn_a), (name_b, fn_b)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(times[name_a], times[name_b])]
    return dict(
        a=statistics.median(times[name_a]),
        b=statistics.median(times[name_b]),
        ratio=statistics.median(ratios),
    )


def main() -> None:
    """Measure and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pool", type=int, default=96, help="samples scored in (b)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from alcore.plugins import build_registry

    reg = build_registry()
    base = Path(tempfile.mkdtemp(prefix="mmseg_overhead_"))
    ds = reg.get("dataset", "drivesim").build({"root": str(base / "drivesim")})
    quantities = {r.name: r.factory for r in reg.all("quantity")}
    model = reg.get("model", "mmseg").build(
        {"iters": args.iters}, info=ds.info, quantities=quantities, seed=0
    )
    labeled, pool = ds.pool()[:64], ds.pool()[: args.pool]
    model.train(labeled, [], 0, base / "warmup")
    counter = iter(range(10**6))
    rows = []
    train = _pairs(
        "alcore",
        lambda: model.train(labeled, [], 0, base / f"a{next(counter)}"),
        "plain",
        lambda: _plain_train(model, labeled, base / f"p{next(counter)}"),
        args.reps,
    )
    rows.append(
        (
            f"(a) train {args.iters} iters: MMSegModel.train / plain Runner",
            train,
            "throughput ratio",
            train["b"] / train["a"],
        )
    )
    for names in (
        ["entropy", "margin", "embedding"],
        ["entropy", "margin", "embedding", "equal"],
        ["entropy", "margin", "embedding", "bald"],
    ):
        res = _pairs(
            "q",
            lambda n=names: model.compute(pool, n),
            "bare",
            lambda: _bare_inference(model, pool),
            args.reps,
        )
        rows.append((f"(b) compute {'+'.join(names)} / test_step", res, "time ratio", res["ratio"]))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"threads {args.threads}; default model (width 16), batch {model.batch_size}, "
        f"eval batch {model.eval_batch_size}, 128x64, {len(pool)} scored samples, reps {args.reps}\n"
    )
    print("| measurement | alcore (s, median) | peer (s, median) | ratio (median of pairs) |")
    print("|---|---|---|---|")
    for label, res, kind, _ in rows:
        ratio = 1 / res["ratio"] if kind == "throughput ratio" else res["ratio"]
        print(f"| {label} | {res['a']:.2f} | {res['b']:.2f} | {ratio:.3f} ({kind}) |")
    print(f"\nper training iteration (alcore): {train['a'] / args.iters * 1000:.0f} ms")


if __name__ == "__main__":
    main()
