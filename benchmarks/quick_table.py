"""The reproduction tables of benchmarks/README.md, printed from a bench's summary.json.

Usage: ``python benchmarks/quick_table.py BENCH_DIR/report/summary.json``

Three Markdown tables: the learning-curve AUC per strategy (mean ± std over seeds, % of the
full-supervision reference); the paired AUC differences (95% t interval over seeds, ``*`` where
it excludes zero) next to the study's finding and whether it held here; the same differences
on the final mIoU. The verdict
rule is fixed in ``verdict`` below, not chosen per cell.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from alcore.bench.guide import finding

ACQS = ("random", "stratified", "entropy", "coreset")


def _pair(summary: dict, cell: tuple[str, str, str], acq: str, base: str, metric: str = "auc") -> dict | None:
    for p in summary["paired"]:
        if (p["level"], p["budget"], p["ssl"], p["metric"]) != (*cell, metric):
            continue
        if (p["acq"], p["baseline"]) == (acq, base):
            return p
        if (p["acq"], p["baseline"]) == (base, acq):
            return {**p, "mean": -p["mean"], "ci_low": -p["ci_high"], "ci_high": -p["ci_low"]}
    return None


def _fmt(p: dict | None) -> str:
    if p is None or math.isnan(p["ci_low"]):
        return "-"
    star = "*" if p["ci_low"] > 0 or p["ci_high"] < 0 else ""
    return f"{p['mean']:+.2f} [{p['ci_low']:+.2f}, {p['ci_high']:+.2f}]{star}"


def _above(p: dict | None) -> bool:
    return p is not None and p["ci_low"] > 0


def _below(p: dict | None) -> bool:
    return p is not None and p["ci_high"] < 0


def verdict(summary: dict, cell: tuple[str, str, str], recommended: str) -> str:
    """Whether the study's recommendation held in this cell, by the paired AUC intervals.

    Random recommended: holds when no strategy is significantly above random. Otherwise: holds when
    the recommended strategy is significantly above random and nothing is significantly above it;
    contradicted when it is significantly below random; else not separated from random.
    """
    others = [a for a in ACQS if a != recommended]
    if recommended == "random":
        better = [a for a in others if _above(_pair(summary, cell, a, "random"))]
        return "holds" if not better else f"does not hold: {', '.join(better)} above random"
    vs_random = _pair(summary, cell, recommended, "random")
    beaten = [a for a in others if _above(_pair(summary, cell, a, recommended))]
    if _below(vs_random):
        return f"contradicted: {recommended} below random"
    if _above(vs_random):
        return "holds" if not beaten else f"partly: above random, but {', '.join(beaten)} above it"
    return "not separated from random" + (f"; {', '.join(beaten)} above it" if beaten else "")


def main() -> None:
    summary = json.loads(Path(sys.argv[1]).read_text())
    cells = sorted({(s["level"], s["budget"], s["ssl"]) for s in summary["scores"]},
                   key=lambda c: (c[0], c[1] != "low", c[2] != "none"))
    scores = {(s["level"], s["budget"], s["ssl"], s["acq"]): s for s in summary["scores"]}
    refs: dict[str, list[float]] = {}
    for r in summary.get("references", []):
        refs.setdefault(r["level"], []).append(r["mIoU"])
    print("| level | budget | ssl | " + " | ".join(ACQS) + " | reference mIoU |")
    print("|---|---|---|" + "---|" * (len(ACQS) + 1))
    for cell in cells:
        row = []
        for acq in ACQS:
            s = scores.get((*cell, acq))
            cell_text = f"{s['auc_mean']:.2f} ± {s['auc_std']:.2f} ({s['auc_pct']:.0f}%)" if s else "-"
            row.append(cell_text)
        ref = refs.get(cell[0], [])
        row.append(f"{sum(ref) / len(ref):.2f}" if ref else "-")
        print(f"| {' | '.join(cell)} | " + " | ".join(row) + " |")
    print()
    print("| level | budget | ssl | stratified - random | entropy - random | coreset - random "
          "| coreset - stratified | widest half-width | study recommends | here |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for cell in cells:
        rec = finding(cell[0], cell[1], cell[2] != "none")["acq"]
        half = [(p["ci_high"] - p["ci_low"]) / 2 for p in summary["paired"]
                if (p["level"], p["budget"], p["ssl"], p["metric"]) == (*cell, "auc")]
        widest = f"{max(half):.2f}" if half else "-"
        diffs = [_fmt(_pair(summary, cell, a, b)) for a, b in
                 (("stratified", "random"), ("entropy", "random"), ("coreset", "random"),
                  ("coreset", "stratified"))]
        print(f"| {' | '.join(cell)} | " + " | ".join(diffs)
              + f" | {widest} | {rec} | {verdict(summary, cell, rec)} |")
    print()
    print("| level | budget | ssl | stratified - random | entropy - random | coreset - random "
          "| coreset - stratified |")
    print("|---|---|---|---|---|---|---|")
    for cell in cells:
        diffs = [_fmt(_pair(summary, cell, a, b, "final")) for a, b in
                 (("stratified", "random"), ("entropy", "random"), ("coreset", "random"),
                  ("coreset", "stratified"))]
        print(f"| {' | '.join(cell)} | " + " | ".join(diffs) + " |")


if __name__ == "__main__":
    main()
