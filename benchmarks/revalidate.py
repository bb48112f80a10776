"""Evaluate a finished bench's checkpoints on another validation set, and compare the intervals.

The models, selections and training are left exactly as the bench made them; only the frames
they are scored on change. For each (level, budget, ssl) cell this prints the widest 95%
half-width of the paired AUC differences with the bench's own validation set (re-measured, to
check that the checkpoints reproduce the bench's figures) and with the other one.

    OMP_NUM_THREADS=1 python benchmarks/revalidate.py runs/bench-quick --dataset-opt val_sequences=40
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml


def _parse(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = yaml.safe_load(value)
    return out


def evaluate_cell(cell_dir: str, extra: dict[str, Any]) -> dict[str, Any]:
    """mIoU of each cycle's checkpoint of one cell on the bench's validation set and on the other."""
    from alcore.bench.runner import limit_threads

    limit_threads()
    from alcore.config import RunConfig
    from alcore.experiment import build_components
    from alcore.plugins import get_registry, require
    from alcore.progress import Reporter

    root = Path(cell_dir)
    cfg = RunConfig.from_dict(yaml.safe_load((root / "config.yaml").read_text()), str(root / "config.yaml"))
    labeled = {p["cycle"]: p["labeled"] for p in json.loads((root / "results.json").read_text())["curve"]}
    registry = get_registry()
    parts = build_components(cfg, registry, Reporter(quiet=True))
    other = require(registry, "dataset", cfg.dataset).build({**cfg.dataset_options, **extra})
    own_val, other_val = list(parts.dataset.val()), list(other.val())
    curve = []
    for cycle_dir in sorted((root / "cycles").iterdir()):
        ckpt = cycle_dir / "checkpoint.pth"
        metrics = json.loads((cycle_dir / "metrics.json").read_text())
        parts.model.load(ckpt)
        curve.append({
            "cycle": int(cycle_dir.name),
            "labeled": labeled[int(cycle_dir.name)],
            "recorded": metrics["mIoU"],
            "own": parts.model.evaluate(own_val)["mIoU"],
            "other": parts.model.evaluate(other_val)["mIoU"],
        })
    return {"cell": root.name, "curve": curve, "val": [len(own_val), len(other_val)]}


def widest(rows: list[tuple[dict, dict]]) -> dict[tuple[str, str, str], tuple[float, str]]:
    """Per (level, budget, ssl): the widest AUC half-width over every pair, and which pair."""
    from alcore.bench.paired import paired_differences

    out: dict[tuple[str, str, str], tuple[float, str]] = {}
    for p in paired_differences(rows):
        if p.metric != "auc":
            continue
        key = (p.level, p.budget, p.ssl)
        if p.half_width > out.get(key, (-1.0, ""))[0]:
            out[key] = (p.half_width, f"{p.acq} - {p.baseline}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", type=Path)
    ap.add_argument("--dataset-opt", action="append", default=[],
                    help="key=value for the other validation set")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write every re-measured curve here")
    args = ap.parse_args()
    extra = _parse(args.dataset_opt)
    cells = sorted(d for d in (args.bench / "cells").iterdir() if (d / "results.json").is_file())
    with ProcessPoolExecutor(args.jobs) as pool:
        found = list(pool.map(evaluate_cell, [str(c) for c in cells], [extra] * len(cells)))
    if args.json:
        args.json.write_text(json.dumps(found, indent=1))
    worst = max(abs(p["own"] - p["recorded"]) for f in found for p in f["curve"])
    print(f"{len(found)} cells; validation frames {found[0]['val'][0]} -> {found[0]['val'][1]}; "
          f"largest difference to the recorded mIoU: {worst:.3f}\n")
    rows: dict[str, list] = defaultdict(list)
    for f in found:
        level, budget, ssl, acq, seed = f["cell"].rsplit("-", 4)
        keys = {"level": level, "budget": budget, "ssl": ssl, "acq": acq, "seed": int(seed[1:])}
        for which in ("own", "other"):
            curve = [{"labeled": p["labeled"], "mIoU": p[which]} for p in f["curve"]]
            rows[which].append((keys, {"curve": curve, "final": curve[-1]}))
    own, other = widest(rows["own"]), widest(rows["other"])
    print(f"| level | budget | ssl | widest half-width, {found[0]['val'][0]} frames | "
          f"widest half-width, {found[0]['val'][1]} frames |")
    print("|---|---|---|---|---|")
    for key in own:
        mine, theirs = own[key], other[key]
        print(f"| {' | '.join(key)} | {mine[0]:.2f} ({mine[1]}) | {theirs[0]:.2f} ({theirs[1]}) |")


if __name__ == "__main__":
    main()
