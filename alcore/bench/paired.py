"""Paired comparisons of strategies within a seed: mean difference with a 95% t interval.

Strategies of one seed share the initial labeled set and the cycle-0 model, so the seed-to-seed
spread that the per-strategy standard deviations show largely cancels in their difference.
For each (level, budget, ssl) and each pair of strategies the difference is taken per seed, on
the learning-curve AUC (the main metric) and on the final mIoU; its mean and the 95% confidence
interval of that mean (Student's t over the seeds) say whether the pair is separated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from alcore.report.compare import normalised_auc

#: two-sided 95% quantiles of Student's t for 1..30 degrees of freedom
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
METRICS = ("auc", "final")


def t95(df: int) -> float:
    """The two-sided 95% quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        return math.nan
    if df <= len(_T95):
        return _T95[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% t interval of the mean; the interval is NaN with fewer than two values."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, math.nan, math.nan
    half = t95(arr.size - 1) * float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return mean, mean - half, mean + half


@dataclass
class Paired:
    """The paired difference ``acq - baseline`` on one metric in one (level, budget, ssl) cell."""

    level: str
    budget: str
    ssl: str
    acq: str
    baseline: str
    metric: str
    mean: float
    ci_low: float
    ci_high: float
    seeds: int

    @property
    def significant(self) -> bool:
        """Whether the 95% interval excludes zero."""
        return bool(self.ci_low > 0 or self.ci_high < 0)

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN with one seed)."""
        return (self.ci_high - self.ci_low) / 2

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def cell_metrics(result: dict) -> dict[str, float]:
    """The metrics compared: learning-curve AUC (normalised, in mIoU points) and final mIoU."""
    curve = result["curve"]
    return {
        "auc": normalised_auc([p["labeled"] for p in curve], [p["mIoU"] for p in curve]),
        "final": float(result["final"]["mIoU"]),
    }


def _order(acqs: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(acqs))
    return (["random"] if "random" in names else []) + [a for a in names if a != "random"]


def paired_differences(rows: list[tuple[dict[str, Any], dict]], acqs: Sequence[str] = ()) -> list[Paired]:
    """Every pair of strategies per (level, budget, ssl) from (cell keys with seed, results.json).

    The baseline of a pair is the strategy that comes first (random first, then ``acqs`` order,
    then order of appearance), so each strategy is compared with random and with each other once.
    Only seeds that both strategies finished count.
    """
    values: dict[tuple[str, str, str], dict[str, dict[int, dict[str, float]]]] = {}
    seen: list[str] = list(acqs)
    for keys, result in rows:
        cell = (keys["level"], keys["budget"], keys["ssl"])
        values.setdefault(cell, {}).setdefault(keys["acq"], {})[int(keys["seed"])] = cell_metrics(result)
        seen.append(keys["acq"])
    order = _order(seen)
    out: list[Paired] = []
    for (level, budget, ssl), by_acq in values.items():
        names = [a for a in order if a in by_acq]
        for j, acq in enumerate(names):
            for baseline in names[:j]:
                seeds = sorted(set(by_acq[acq]) & set(by_acq[baseline]))
                if not seeds:
                    continue
                for metric in METRICS:
                    diffs = [by_acq[acq][s][metric] - by_acq[baseline][s][metric] for s in seeds]
                    mean, lo, hi = mean_ci(diffs)
                    out.append(Paired(level, budget, ssl, acq, baseline, metric, mean, lo, hi, len(seeds)))
    return out


def lookup(paired: list[Paired], level: str, budget: str, ssl: str, a: str, b: str, metric: str = "auc"
           ) -> Paired | None:
    """The comparison of ``a`` against ``b`` (sign flipped if stored the other way round), or None."""
    for p in paired:
        if (p.level, p.budget, p.ssl, p.metric) != (level, budget, ssl, metric):
            continue
        if (p.acq, p.baseline) == (a, b):
            return p
        if (p.acq, p.baseline) == (b, a):
            return Paired(level, budget, ssl, a, b, metric, -p.mean, -p.ci_high, -p.ci_low, p.seeds)
    return None
