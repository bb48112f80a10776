"""The report's sections, each built from the collected runs into tables and figures."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable

from alcore.report import plots
from alcore.report.collect import Group, palette_of, read_embedding
from alcore.report.compare import Row, budgets, comparison
from alcore.report.embed import map_points
from alcore.report.render import Figure, Fold, Gallery, Heading, Para, Section, Table

log = logging.getLogger("alcore.report")

MAX_BUDGET_COLUMNS = 10
MAX_MAPS = 6
MAX_EXAMPLE_RUNS = 4


def fmt(value: float | None, digits: int = 2) -> str:
    """A number for a table cell; a dash for missing or non-finite."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"


def fmt_pm(mean: float, std: float, n: int) -> str:
    """``mean ± std`` where several seeds contributed, else the mean alone."""
    if n > 1 and math.isfinite(std):
        return f"{fmt(mean)} ± {fmt(std)}"
    return fmt(mean)


def fmt_delta(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.2f}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "x"


def pick_budgets(counts: list[float], limit: int = MAX_BUDGET_COLUMNS) -> list[float]:
    """At most ``limit`` labeled counts, evenly spread and always including the first and last."""
    if len(counts) <= limit:
        return counts
    step = (len(counts) - 1) / (limit - 1)
    return [counts[round(i * step)] for i in range(limit)]


def _count(c: float) -> str:
    return str(int(c)) if float(c).is_integer() else f"{c:g}"


def safe(build: Callable[[], Section], title: str) -> Section:
    """Build one section; a failure becomes a note in the report instead of an exception."""
    try:
        return build()
    except Exception as exc:
        log.warning("report section '%s' failed: %s", title, exc, exc_info=True)
        return Section(title, [Para(f"This section could not be built: {type(exc).__name__}: {exc}")])


def runs_table(groups: list[Group]) -> Table:
    """Which run directories went in, with their configuration and outcome."""
    rows = []
    for g in groups:
        for r in g.runs:
            labeled, miou = r.curve()
            rows.append(
                [
                    str(r.path),
                    g.label,
                    str(r.seed),
                    str(len(r.records)),
                    _count(labeled[-1]) if len(labeled) else "–",
                    fmt(miou[-1]) if len(miou) else "–",
                ]
            )
    return Table(["run", "configuration", "seed", "cycles", "labeled", "final mIoU"], rows)


def learning_section(groups: list[Group]) -> Section:
    rows = comparison(groups)
    series = [
        {
            "label": row.group.label,
            "index": i,
            "labeled": row.curve.labeled,
            "mean": row.curve.mean,
            "std": row.curve.std,
            "seeds": len(row.group.runs),
        }
        for i, row in enumerate(rows)
    ]
    sec = Section("Learning curves")
    sec.blocks.append(
        Figure(
            "learning_curve",
            plots.learning_curves(series),
            "mIoU against labeled count; bands are ± one standard deviation across seeds.",
        )
    )
    shown = pick_budgets(budgets(rows))
    headers = ["configuration", "seeds", "AUC", "final mIoU"] + [f"@{_count(c)}" for c in shown]
    table_rows = []
    for row in rows:
        n = len(row.group.runs)
        cells = [row.group.label, str(n), fmt_pm(*row.auc, n), fmt_pm(*row.final, n)]
        for c in shown:
            hit = row.curve.at(c)
            cells.append(fmt_pm(*hit) if hit else "–")
        table_rows.append(cells)
    sec.blocks.append(Heading("Comparison", 3))
    sec.blocks.append(Table(headers, table_rows))
    sec.blocks.append(
        Para(
            "AUC is the trapezoidal area under mIoU(labeled) divided by the labeled range, i.e. the "
            "curve's mean mIoU in percent. `@N` is mIoU with N labeled samples. With several seeds: "
            "mean ± sample standard deviation."
        )
    )
    sec.blocks += random_blocks(rows, shown)
    return sec


def random_blocks(rows: list[Row], shown: list[float]) -> list:
    with_base = [r for r in rows if r.baseline is not None]
    if not with_base:
        return [
            Para(
                "No run with acquisition `random` and an otherwise equal configuration was given, "
                "so there is no difference to random."
            )
        ]
    headers = ["configuration", "random baseline", "Δ AUC"] + [f"Δ@{_count(c)}" for c in shown]
    table_rows = []
    for r in with_base:
        cells = [r.group.label, r.baseline.label, fmt_delta(r.delta_auc)]
        cells += [fmt_delta((r.delta_at or {}).get(c)) for c in shown]
        table_rows.append(cells)
    return [
        Heading("Difference to random at equal budget", 3),
        Table(headers, table_rows),
        Para(
            "mIoU points above (+) or below (−) random selection with the same number of "
            "labeled samples, comparing seed means."
        ),
    ]


def per_class_section(groups: list[Group]) -> Section:
    sec = Section("Per-class IoU (last cycle)")
    classes: list[str] = []
    for g in groups:
        for r in g.runs:
            for name in r.last_metrics().get("per_class_iou") or {}:
                if name not in classes:
                    classes.append(name)
    if not classes:
        sec.blocks.append(Para("No per-class IoU was recorded."))
        return sec
    series, table_rows = [], []
    for i, g in enumerate(groups):
        vals = []
        for name in classes:
            per_run = [(r.last_metrics().get("per_class_iou") or {}).get(name) for r in g.runs]
            got = [float(v) for v in per_run if isinstance(v, (int, float))]
            vals.append(sum(got) / len(got) if got else math.nan)
        series.append({"label": g.label, "index": i, "values": vals})
    for j, name in enumerate(classes):
        table_rows.append([name] + [fmt(s["values"][j]) for s in series])
    sec.blocks.append(
        Figure(
            "per_class_iou",
            plots.per_class_bars(classes, series),
            "IoU per class after the last cycle (mean over seeds; absent classes at 0).",
        )
    )
    sec.blocks.append(Table(["class"] + [g.label for g in groups], table_rows))
    return sec


DIAG_COLUMNS = (
    ("groups", "groups", 0),
    ("max_group_share", "max share", 2),
    ("neighbour_rate", "neighbours", 2),
    ("mean_pairwise_distance", "pairwise dist", 3),
    ("coverage_radius", "coverage radius", 3),
)


def _diag_cell(diagnostics: dict, key: str, digits: int) -> str:
    """A diagnostic for a table cell; group figures recorded as unknown read "unknown"."""
    value = diagnostics.get(key)
    if value is None and key in diagnostics and key in ("groups", "max_group_share", "neighbour_rate"):
        return "unknown"
    return fmt(value, digits) if digits else str(diagnostics.get(key, "–"))


def diagnostics_section(groups: list[Group]) -> Section:
    sec = Section("Batch diagnostics per cycle")
    series = []
    for i, g in enumerate(groups):
        for r in g.runs:
            diags = r.diagnostics()
            if diags:
                series.append(
                    {
                        "label": g.label,
                        "index": i,
                        "cycles": [c for c, _ in diags],
                        "diagnostics": [d for _, d in diags],
                    }
                )
    if not series:
        sec.blocks.append(Para("No cycle recorded selection diagnostics."))
        return sec
    sec.blocks.append(
        Para(
            "Per selected batch: distinct groups (sequences) covered, the largest share one group takes, "
            "the fraction of picks whose neighbouring frame was picked too, the mean pairwise embedding "
            "distance inside the batch, and the coverage radius (largest distance from any pool sample to "
            "its nearest labeled sample) after labeling it. A share near 1 and a high neighbour rate are "
            "mode collapse. Distances are measured in each cycle's own embedding space, so they compare "
            "runs at one cycle better than one run across cycles."
        )
    )
    sec.blocks.append(
        Figure("diagnostics", plots.diagnostics_lines(series), "One line per run, coloured by configuration.")
    )
    tables = []
    for g in groups:
        for r in g.runs:
            diags = dict(r.diagnostics())
            if not diags:
                continue
            table_rows = []
            for rec in r.records:
                d = diags.get(int(rec["cycle"]))
                if d is None:
                    continue
                miou = (rec.get("metrics") or {}).get("mIoU")
                cells = [str(rec["cycle"]), str(rec.get("labeled", "–")), fmt(miou)]
                cells += [
                    _diag_cell(d, k, digits) for k, _, digits in DIAG_COLUMNS
                ]
                table_rows.append(cells)
            caption = f"{r.name} — {g.label}, seed {r.seed}"
            tables.append(
                Table(["cycle", "labeled", "mIoU"] + [h for _, h, _ in DIAG_COLUMNS], table_rows, caption)
            )
    if len(tables) > 3:
        sec.blocks.append(Fold(f"per-run tables ({len(tables)} runs)", tables))
    else:
        sec.blocks += tables
    return sec


def embedding_section(groups: list[Group]) -> Section:
    sec = Section("Embedding map")
    gallery = Gallery()
    made = 0
    missing = []
    for g in groups:
        if made >= MAX_MAPS:
            break
        for r in g.runs:
            got = read_embedding(r)
            if got is None:
                continue
            ids, emb, cycle = got
            seed = r.seed if isinstance(r.seed, int) else 0
            points = map_points(ids, emb, r.initial, r.selections(), seed=seed)
            title = f"{g.label}, seed {r.seed} (embeddings of cycle {cycle}'s model)"
            gallery.figures.append(
                Figure(
                    f"embedding_{made}_{slug(g.label)}",
                    plots.embedding_map(points, title),
                    f"{r.name}: pool samples in 2-D; each cycle's batch in its own colour.",
                )
            )
            made += 1
            break
        else:
            missing.append(g.label)
    if made:
        sec.blocks.append(gallery)
        sec.blocks.insert(
            0,
            Para(
                "Where a strategy collapses, each cycle's batch sits in one tight cluster; a diverse "
                "strategy spreads its picks over the map. One map per configuration (its first seed)."
            ),
        )
    if missing:
        sec.blocks.append(Para("No stored embeddings (cache.h5) for: " + "; ".join(missing) + "."))
    return sec


def examples_section(groups: list[Group]) -> Section:
    sec = Section("Example batches")
    made = 0
    for g in groups:
        if made >= MAX_EXAMPLE_RUNS:
            break
        for r in g.runs:
            got = r.examples()
            if got is None:
                continue
            cycle, samples = got
            png = plots.examples_grid(
                samples, palette_of(r), f"{g.label}, seed {r.seed}: batch of cycle {cycle}"
            )
            if png is None:
                continue
            sec.blocks.append(
                Figure(
                    f"examples_{made}_{slug(g.label)}", png, f"{r.name}: samples selected in cycle {cycle}."
                )
            )
            made += 1
            break
    if not made:
        sec.blocks.append(Para("No run wrote readable example files (cycles/NNN/examples.json)."))
    return sec


def build(groups: list[Group]) -> tuple[list, list[Section]]:
    """The intro blocks and every section of the report."""
    intro = [runs_table(groups)]
    sections = [
        safe(lambda: learning_section(groups), "Learning curves"),
        safe(lambda: per_class_section(groups), "Per-class IoU"),
        safe(lambda: diagnostics_section(groups), "Batch diagnostics"),
        safe(lambda: embedding_section(groups), "Embedding map"),
        safe(lambda: examples_section(groups), "Example batches"),
    ]
    return intro, sections
