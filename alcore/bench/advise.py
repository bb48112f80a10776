"""Recommend an acquisition function and SSL setting for a dataset, and say on what evidence.

Redundancy comes from the dataset object itself when it offers ``redundancy()`` (the built-in
readers do); otherwise a structural estimate from groups and frame indices is used. Evidence is
the user's own bench report where given, else the study's findings built into alcore.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alcore.bench.grid import Budget
from alcore.bench.guide import QUICK_SUMMARY, finding, quick_result
from alcore.datatools import measure_redundancy
from alcore.sdk.atomic import read_json
from alcore.sdk.errors import ConfigError, StateError

#: redundancy score at or above which a pool counts as redundant (video-like)
REDUNDANT_AT = 0.5
#: budget (share of the pool) at or below which a budget counts as low
LOW_BUDGET_AT = 0.1


@dataclass
class Advice:
    """A recommendation and what it rests on."""

    dataset: str
    acq: str
    ssl: str
    regime: dict[str, str]
    redundancy: dict[str, Any]
    pool: int
    budget: int
    evidence: str
    reasons: list[str] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """Short human-readable recommendation."""
        ssl = "no SSL" if self.ssl == "none" else f"--ssl {self.ssl}"
        lines = [
            f"Recommendation for {self.dataset}: --acq {self.acq} with {ssl}",
            f"  data: {self.regime['data']} (redundancy {self.redundancy.get('score', 0):.2f}, "
            f"{self.redundancy.get('method', '?')} estimate; threshold {REDUNDANT_AT})",
            f"  budget: {self.regime['budget']} ({self.budget} of {self.pool} pool images, "
            f"{100 * self.budget / max(self.pool, 1):.0f}%; low is <= {100 * LOW_BUDGET_AT:.0f}%)",
            f"  evidence: {self.evidence}",
        ]
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)


def regime(score: float, budget: int, pool: int) -> dict[str, str]:
    """('diverse' | 'redundant', 'low' | 'high') for a redundancy score and a budget."""
    return {
        "data": "redundant" if score >= REDUNDANT_AT else "diverse",
        "budget": "low" if budget <= LOW_BUDGET_AT * pool else "high",
    }


def bench_budget_shares(summary: dict, level: str) -> dict[str, float]:
    """Per-cycle budget of each bench budget setting as a share of the level's pool."""
    pool = (summary.get("levels", {}).get(level) or {}).get("pool")
    budgets = (summary.get("grid") or {}).get("budgets") or []
    if not pool:
        return {}
    return {b["name"]: Budget(**b).counts(pool)[1] / pool for b in budgets}


def from_bench(
    bench: Path, score: float, budget_name: str, ssl: bool, ssl_method: str, share: float | None = None
) -> tuple[str, str, list[str], list[dict]]:
    """The winner in the user's bench at the level closest in redundancy and the closest budget."""
    path = Path(bench) / "report" / "summary.json"
    if not path.is_file():
        raise StateError(f"{bench} has no bench report (report/summary.json); run alcore bench first")
    summary = read_json(path)
    levels = {
        k: v["redundancy"]["score"]
        for k, v in summary.get("levels", {}).items()
        if isinstance(v.get("redundancy"), dict) and "score" in v["redundancy"]
    }
    found = summary.get("winners") or []
    if not levels or not found:
        raise StateError(f"{path} holds no finished cells to advise from")
    level = min(levels, key=lambda k: abs(levels[k] - score))
    budgets = [w["budget"] for w in found if w["level"] == level]
    budget = budget_name if budget_name in budgets else budgets[0]
    shares = bench_budget_shares(summary, level)
    if share is not None and shares:
        budget = min(
            (b for b in shares if b in budgets), key=lambda b: abs(shares[b] - share), default=budget
        )
    ssls = [w for w in found if w["level"] == level and w["budget"] == budget]
    pool = [w for w in ssls if (w["ssl"] != "none") == ssl] or ssls
    if ssl:
        pool = sorted(pool, key=lambda w: -_score(w))
    best = pool[0]
    decisive = bool(best.get("clear", True)) and not best.get("tie", False)
    reasons = [
        f"closest bench level '{level}' (redundancy {levels[level]:.2f}), budget '{budget}', "
        f"ssl {best['ssl']}: {best['acq']} ranked first ({_score(best):.2f} mIoU "
        f"{'AUC' if 'score' in best else 'final'})"
        + (f", {best['margin']:+.2f} over {best['runner_up']}" if best.get("runner_up") else "")
        + ("" if decisive else " but not clearly (within the paired 95% interval: weak evidence)"),
    ]
    ssl_name = best["ssl"] if best["ssl"] != "none" else ("none" if not ssl else ssl_method)
    return best["acq"], ssl_name, reasons, ssls, decisive


def _score(w: dict) -> float:
    return float(w.get("score", w.get("final_mean", 0.0)))


def _quick_reason(data: str, budget: str, ssl: bool, acq: str) -> str:
    own = quick_result(data, budget, ssl)
    if own is None:
        return (
            "no quick-bench summary ships with this version of alcore "
            f"({QUICK_SUMMARY.name}); run 'alcore bench --preset quick' and pass --bench for evidence"
        )
    vs = next((p for p in own["pairs"] if p["acq"] == acq and p["baseline"] == "random"), None)
    verdict = (
        f"agrees: {own['acq']} ranked first" if own["acq"] == acq else f"disagrees: {own['acq']} ranked first"
    )
    if own.get("tie") or not own.get("clear"):
        verdict += " but no strategy was clearly ahead"
    detail = ""
    if vs:
        low, high = vs.get("ci_low"), vs.get("ci_high")
        interval = (
            f" [{low:+.2f}, {high:+.2f}] over {vs['seeds']} seeds"
            if low is not None and high is not None
            else f" over {vs['seeds']} seed(s), no interval"
        )
        detail = f"; {acq} vs random on AUC {vs['mean']:+.2f}{interval}"
    return f"alcore's shipped quick bench ({data}, {budget} budget) {verdict}{detail}"


def advise(
    dataset_name: str,
    dataset: Any,
    budget: int,
    ssl: bool,
    known_acqs: list[str],
    bench: Path | None = None,
    ssl_method: str = "fixmatch",
) -> Advice:
    """Measure the pool's redundancy and recommend an acquisition function and SSL setting."""
    pool = list(dataset.pool())
    if not pool:
        raise ConfigError(f"dataset '{dataset_name}' has an empty pool")
    if budget < 1:
        raise ConfigError(f"--budget must be at least 1, got {budget}")
    red = measure_redundancy(dataset)
    reg = regime(float(red["score"]), budget, len(pool))
    study = finding(reg["data"], reg["budget"], ssl)
    if bench is not None:
        acq, ssl_name, reasons, alts, decisive = from_bench(
            bench, float(red["score"]), reg["budget"], ssl, ssl_method, budget / len(pool)
        )
        evidence = f"your bench report {Path(bench) / 'report' / 'summary.json'}"
        if not decisive:
            acq = study["acq"]
            reasons.append(f"so following the study instead: {study['why']}")
    else:
        acq, ssl_name, alts = study["acq"], ssl_method if ssl else "none", []
        evidence = (
            "the study's findings built into alcore (Mittal et al., GCPR 2023: "
            "'Best Practices in Active Learning for Semantic Segmentation')"
        )
        reasons = [study["why"], _quick_reason(reg["data"], reg["budget"], ssl, acq)]
    if acq not in known_acqs:
        fallback = "random" if "random" in known_acqs else known_acqs[0]
        reasons.append(f"'{acq}' is not installed here; falling back to '{fallback}'")
        acq = fallback
    return Advice(dataset_name, acq, ssl_name, reg, red, len(pool), budget, evidence, reasons, alts)
