"""The bench report: mIoU table per cell (mean +- std over seeds), learning curves, guide map."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from alcore.bench.grid import Cell, Grid
from alcore.bench.guide import Score, Winner, plot_guide, summarise, winners
from alcore.progress import Reporter
from alcore.sdk.atomic import read_json, write_json, write_text


def _pm(pair: tuple[float, float]) -> str:
    mean, std = pair
    return "n/a" if mean is None or math.isnan(mean) else f"{mean:.2f} \u00b1 {std:.2f}"


def table(grid: Grid, scores: list[Score], found: list[Winner]) -> str:
    """Markdown: one row per (level, budget, ssl), one column per acquisition, plus the winner."""
    index = {(s.level, s.budget, s.ssl, s.acq): s for s in scores}
    best = {(w.level, w.budget, w.ssl): w for w in found}
    head = ["level", "budget", "ssl", "labeled"] + grid.acqs + ["best (margin)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for level in grid.levels:
        for budget in grid.budgets:
            for ssl in grid.ssls:
                row = [index.get((level.name, budget.name, ssl, a)) for a in grid.acqs]
                if not any(row):
                    continue
                labeled = next(s.labeled for s in row if s)
                w = best.get((level.name, budget.name, ssl))
                verdict = (
                    ""
                    if w is None
                    else (
                        f"{w.acq} (+{w.margin:.2f}{'' if w.clear else ', within noise'})"
                        if w.runner_up
                        else w.acq
                    )
                )
                cells = [_pm(s.final) if s else "-" for s in row]
                lines.append(
                    "| " + " | ".join([level.name, budget.name, ssl, str(labeled), *cells, verdict]) + " |"
                )
    return "\n".join(lines)


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
        ({"level": c.level, "budget": c.budget, "ssl": c.ssl, "acq": c.acq}, read_json(d / "results.json"))
        for c, d in finished
    ]
    scores = summarise(results)
    found = winners(scores)
    levels = read_json(root / "levels.json") if (root / "levels.json").is_file() else {}
    timing = read_json(root / "timing.json") if (root / "timing.json").is_file() else {}
    summary = {
        "grid": grid.to_dict(),
        "levels": levels,
        "cells": len(cells),
        "finished": len(finished),
        "scores": [s.to_dict() for s in scores],
        "winners": [w.to_dict() for w in found],
        "seconds": timing.get("seconds"),
    }
    write_json(out / "summary.json", summary)
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
        "Final mIoU (mean \u00b1 std over seeds); best = highest mean, margin over the runner-up "
        "('within noise' where the margin is below the larger seed std).",
        "",
        table(grid, scores, found),
        "",
    ]
    if guide:
        md += ["![usage guide](guide.png)", ""]
    if curves:
        md += [f"Learning curves and diagnostics: [{Path(curves).name}]({Path(curves).name})", ""]
    write_text(out / "bench.md", "\n".join(md))
    reporter.info(f"bench report: {out / 'bench.md'}")
    return {"md": out / "bench.md", "summary": out / "summary.json", "guide": guide, "curves": curves}
