"""Learning-curve arithmetic: mean ± std across seeds, normalised area under the curve, deltas."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alcore.report.collect import Group, Run, random_baseline


def normalised_auc(labeled: np.ndarray, miou: np.ndarray) -> float:
    """Trapezoidal area under mIoU(labeled) divided by the labeled range: the curve's mean mIoU."""
    labeled = np.asarray(labeled, dtype=float)
    miou = np.asarray(miou, dtype=float)
    if len(labeled) == 0:
        return math.nan
    order = np.argsort(labeled, kind="stable")
    x, y = labeled[order], miou[order]
    span = x[-1] - x[0]
    if span <= 0:
        return float(y.mean())
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2) / span)


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1; 0 for a single value)."""
    arr = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(arr) == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


@dataclass
class Curve:
    """A configuration's learning curve across its seeds, at each labeled count."""

    labeled: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n: np.ndarray

    def at(self, count: float) -> tuple[float, float, int] | None:
        hit = np.flatnonzero(self.labeled == count)
        if len(hit) == 0:
            return None
        i = int(hit[0])
        return float(self.mean[i]), float(self.std[i]), int(self.n[i])


def run_points(run: Run) -> dict[float, float]:
    labeled, miou = run.curve()
    return dict(zip(labeled.tolist(), miou.tolist()))


def group_curve(group: Group) -> Curve:
    """Mean and std of mIoU over seeds at every labeled count any seed reached."""
    per_run = [run_points(r) for r in group.runs]
    counts = sorted({c for pts in per_run for c in pts})
    mean, std, n = [], [], []
    for c in counts:
        m, s = mean_std([pts[c] for pts in per_run if c in pts])
        mean.append(m)
        std.append(s)
        n.append(sum(1 for pts in per_run if c in pts))
    return Curve(np.asarray(counts, dtype=float), np.asarray(mean), np.asarray(std), np.asarray(n))


@dataclass
class Row:
    """One configuration's line of the comparison table."""

    group: Group
    curve: Curve
    auc: tuple[float, float]
    final: tuple[float, float]
    baseline: Group | None = None
    delta_auc: float | None = None
    delta_at: dict[float, float] | None = None


def group_auc(group: Group) -> tuple[float, float]:
    """Mean ± std over seeds of each seed's normalised AUC."""
    return mean_std([normalised_auc(*r.curve()) for r in group.runs])


def comparison(groups: list[Group]) -> list[Row]:
    """The comparison table: AUC, final mIoU and, where a random baseline is given, the deltas."""
    rows = []
    curves = {g.key: group_curve(g) for g in groups}
    aucs = {g.key: group_auc(g) for g in groups}
    for g in groups:
        curve = curves[g.key]
        finals = [r.curve()[1][-1] for r in g.runs if len(r.curve()[1])]
        row = Row(group=g, curve=curve, auc=aucs[g.key], final=mean_std(finals))
        base = random_baseline(g, groups)
        if base is not None:
            bcurve = curves[base.key]
            row.baseline = base
            row.delta_auc = aucs[g.key][0] - aucs[base.key][0]
            row.delta_at = {}
            for c in curve.labeled.tolist():
                theirs = bcurve.at(c)
                if theirs is not None:
                    row.delta_at[c] = curve.at(c)[0] - theirs[0]
        rows.append(row)
    return rows


def budgets(rows: list[Row]) -> list[float]:
    """Every labeled count any configuration reached, ascending."""
    return sorted({c for row in rows for c in row.curve.labeled.tolist()})
