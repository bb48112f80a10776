"""The bench report: AUC and final mIoU per cell, paired differences with 95% CIs, curves, guide map."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from alcore.bench.grid import Cell, Grid
from alcore.bench.guide import Score, Winner, plot_guide, summarise, winners
from alcore.bench.paired import Paired, paired_differences
from alcore.progress import Reporter
from alcore.sdk.atomic import read_json, write_json, write_text


def _pm(pair: tuple[float, float], pct: float | None = None) -> str:
    mean, std = pair
    if mean is None or math.isnan(mean):
        return "n/a"
    return f"{mean:.2f} \u00b1 {std:.2f}" + (f" ({pct:.0f}%)" if pct is not None else "")


def table(grid: Grid, scores: list[Score], found: list[Winner], metric: str = "auc") -> str:
    """Markdown: one row per (level, budget, ssl), one column per acquisition, plus the verdict.

    Cells give ``metric`` (``auc`` or ``final``) as mean +- std over seeds and, where a
    full-supervision reference exists, as a percentage of it.
    """
    index = {(s.level, s.budget, s.ssl, s.acq): s for s in scores}
    best = {(w.level, w.budget, w.ssl): w for w in found}
    head = ["level", "budget", "ssl", "labeled"] + grid.acqs + ["best on AUC (paired 95% CI)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for level in grid.levels:
        for budget in grid.budgets:
            for ssl in grid.ssls:
                row = [index.get((level.name, budget.name, ssl, a)) for a in grid.acqs]
                if not any(row):
                    continue
                labeled = next(s.labeled for s in row if s)
                w = best.get((level.name, budget.name, ssl))
                cells = [
                    (_pm(s.auc, s.auc_pct) if metric == "auc" else _pm(s.final, s.final_pct)) if s else "-"
                    for s in row
                ]
                verdict = "" if w is None else w.verdict
                lines.append(
                    "| " + " | ".join([level.name, budget.name, ssl, str(labeled), *cells, verdict]) + " |"
                )
    return "\n".join(lines)


def paired_table(paired: list[Paired]) -> str:
    """Markdown: every paired difference, AUC and final mIoU side by side, '*' where significant."""

    def fmt(p: Paired | None) -> str:
        if p is None:
            return "-"
        if math.isnan(p.ci_low):
            return f"{p.mean:+.2f} (1 seed)"
        return f"{p.mean:+.2f} [{p.ci_low:+.2f}, {p.ci_high:+.2f}]" + (" *" if p.significant else "")

    rows: dict[tuple, dict[str, Paired]] = {}
    for p in paired:
        rows.setdefault((p.level, p.budget, p.ssl, p.acq, p.baseline), {})[p.metric] = p
    lines = [
        "| level | budget | ssl | strategy | vs | AUC diff [95% CI] | final mIoU diff [95% CI] | seeds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (level, budget, ssl, acq, base), by in rows.items():
        seeds = next(iter(by.values())).seeds
        lines.append(
            f"| {level} | {budget} | {ssl} | {acq} | {base} | {fmt(by.get('auc'))} | "
            f"{fmt(by.get('final'))} | {seeds} |"
        )
    return "\n".join(lines)


def strict_json(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by None, so strict JSON parsers read it.

    One seed gives no interval and one strategy no margin; Python would write those as ``NaN``.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def reference_mious(root: Path) -> dict[tuple[str, int], float]:
    """(level, seed) -> mIoU of the full-supervision reference (whole pool labeled), where trained."""
    out = {}
    for path in sorted((root / "reference").glob("*-s*/cycles/000/metrics.json")):
        level, _, seed = path.parents[2].name.rpartition("-s")
        try:
            out[(level, int(seed))] = float(read_json(path)["mIoU"])
        except (KeyError, ValueError):
            continue
    return out


def write_bench_report(
    root: Path, grid: Grid, cells: list[Cell], reporter: Reporter | None = None
) -> dict[str, Any]:
    """Write ``report/bench.md``, ``summary.json``, ``guide.png`` and the learning-curve report."""
    reporter = reporter or Reporter(quiet=True)
    out = root / "report"
    finished = [
        (c, root / "cells" / c.name) for c in cells if (root / "cells" / c.name / "results.json").is_file()
    ]
    results = [
        (
            {"level": c.level, "budget": c.budget, "ssl": c.ssl, "acq": c.acq, "seed": c.seed},
            read_json(d / "results.json"),
        )
        for c, d in finished
    ]
    references = reference_mious(root)
    scores = summarise(results, references)
    paired = paired_differences(results, grid.acqs)
    found = winners(scores, paired)
    levels = read_json(root / "levels.json") if (root / "levels.json").is_file() else {}
    timing = read_json(root / "timing.json") if (root / "timing.json").is_file() else {}
    summary = {
        "grid": grid.to_dict(),
        "levels": levels,
        "cells": len(cells),
        "finished": len(finished),
        "scores": [s.to_dict() for s in scores],
        "winners": [w.to_dict() for w in found],
        "paired": [p.to_dict() for p in paired],
        "references": [{"level": k[0], "seed": k[1], "mIoU": v} for k, v in sorted(references.items())],
        "seconds": timing.get("seconds"),
    }
    write_json(out / "summary.json", strict_json(summary))
    guide = None
    if found:
        guide = plot_guide(
            found,
            [lv.name for lv in grid.levels],
            [b.name for b in grid.budgets],
            grid.ssls,
            out / "guide.png",
        )
    curves = None
    if finished:
        try:
            from alcore.report import write_report

            curves = write_report([d for _, d in finished], out)
        except Exception as exc:  # the table and the guide are the bench's result; curves are extra
            reporter.info(f"could not write the learning-curve report: {exc}")
    red = ", ".join(
        f"{k} {v['redundancy']['score']:.2f}"
        for k, v in levels.items()
        if isinstance(v.get("redundancy"), dict) and "score" in v["redundancy"]
    )
    md = [
        f"# alcore bench ({grid.preset})",
        "",
        f"{len(finished)} of {len(cells)} cells finished; seeds {grid.seeds}; "
        f"{grid.cycles} cycles; {timing.get('seconds', 0) / 60:.1f} min in bench invocations "
        "(summed over invocations).",
        "",
        f"Measured redundancy (0 diverse .. 1 redundant): {red or 'n/a'}.",
        "",
        "Learning-curve AUC (mean mIoU over the curve; mean \u00b1 std over seeds, and as % of the "
        "full-supervision reference: the whole pool labeled, same training). A strategy is named "
        "best only when its paired AUC difference to every other strategy has a 95% CI above zero "
        "(strategies of one seed share the initial set and the cycle-0 model).",
        "",
        table(grid, scores, found, "auc"),
        "",
        "Final mIoU (mean \u00b1 std over seeds, % of reference):",
        "",
        table(grid, scores, found, "final"),
        "",
        "Paired differences (strategy minus baseline, per seed; mean and 95% t interval; "
        "* = interval excludes 0):",
        "",
        paired_table(paired),
        "",
    ]
    if references:
        md[6:6] = [
            "Full-supervision reference mIoU: "
            + ", ".join(f"{lv} s{sd} {v:.2f}" for (lv, sd), v in sorted(references.items()))
            + ".",
            "",
        ]
    if guide:
        md += ["![usage guide](guide.png)", ""]
    if curves:
        md += [f"Learning curves and diagnostics: [{Path(curves).name}]({Path(curves).name})", ""]
    write_text(out / "bench.md", "\n".join(md))
    reporter.info(f"bench report: {out / 'bench.md'}")
    return {"md": out / "bench.md", "summary": out / "summary.json", "guide": guide, "curves": curves}
