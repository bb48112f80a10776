"""The usage guide: which strategy wins in each redundancy x budget cell, with and without SSL.

``summarise`` turns finished cells into mean +- std per configuration; ``winners`` picks the best
acquisition function per (level, budget, ssl); ``plot_guide`` draws the study's usage-guide
figure (one panel without SSL, one with). ``FINDINGS`` is the study's guide in code form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alcore.bench.paired import Paired, lookup
from alcore.report.compare import mean_std, normalised_auc


@dataclass
class Score:
    """One configuration across its seeds: final mIoU and normalised AUC, mean and std.

    ``*_pct`` give the same as a percentage of the full-supervision reference (the whole pool
    labeled) of the same level and seed (else the level's mean reference), averaged over seeds;
    None without a reference.
    """

    level: str
    budget: str
    ssl: str
    acq: str
    final: tuple[float, float]
    auc: tuple[float, float]
    seeds: int
    labeled: int
    final_pct: float | None = None
    auc_pct: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "budget": self.budget,
            "ssl": self.ssl,
            "acq": self.acq,
            "final_mean": self.final[0],
            "final_std": self.final[1],
            "auc_mean": self.auc[0],
            "auc_std": self.auc[1],
            "final_pct": self.final_pct,
            "auc_pct": self.auc_pct,
            "seeds": self.seeds,
            "labeled": self.labeled,
        }


def summarise(
    results: list[tuple[dict[str, Any], dict]], references: dict[tuple[str, int], float] | None = None
) -> list[Score]:
    """Mean +- std over seeds of each (level, budget, ssl, acq) from (cell keys, results.json).

    ``references`` maps (level, seed) to the full-supervision mIoU used for the percentages; a
    seed without one is compared with the mean reference of its level.
    """
    references = references or {}
    by_level: dict[str, list[float]] = {}
    for (ref_level, _), value in references.items():
        by_level.setdefault(ref_level, []).append(value)
    grouped: dict[tuple, list[tuple[Any, dict]]] = {}
    for keys, result in results:
        key = (keys["level"], keys["budget"], keys["ssl"], keys["acq"])
        grouped.setdefault(key, []).append((keys.get("seed"), result))
    out = []
    for (level, budget, ssl, acq), runs in grouped.items():
        finals = [r["final"]["mIoU"] for _, r in runs]
        aucs = [
            normalised_auc([p["labeled"] for p in r["curve"]], [p["mIoU"] for p in r["curve"]])
            for _, r in runs
        ]
        fallback = float(np.mean(by_level[level])) if level in by_level else None
        refs = [references.get((level, seed), fallback) for seed, _ in runs]
        pct = [(f, a, ref) for f, a, ref in zip(finals, aucs, refs) if ref]
        out.append(
            Score(
                level,
                budget,
                ssl,
                acq,
                mean_std(finals),
                mean_std(aucs),
                len(runs),
                int(runs[0][1]["final"]["labeled"]),
                float(np.mean([100 * f / ref for f, _, ref in pct])) if len(pct) == len(runs) else None,
                float(np.mean([100 * a / ref for _, a, ref in pct])) if len(pct) == len(runs) else None,
            )
        )
    return out


@dataclass
class Winner:
    """The strategy ranked first on AUC in one (level, budget, ssl) cell, and whether it is clear.

    ``clear``: with paired statistics, its paired AUC difference to every other strategy is
    positive with a 95% interval above zero; without them, its margin exceeds the larger seed
    standard deviation (never with a single seed). ``tie``: the first two have exactly the same AUC.
    """

    level: str
    budget: str
    ssl: str
    acq: str
    score: float
    margin: float
    runner_up: str | None
    noise: float
    vs_random: float | None
    clear: bool = True
    tie: bool = False
    paired: bool = False

    @property
    def verdict(self) -> str:
        """What the table says: the winner only when it is clear, never on a tie or within noise."""
        if self.runner_up is None:
            return self.acq
        if self.tie:
            return f"none (tie: {self.acq} = {self.runner_up})"
        if not self.clear:
            return f"none clear ({self.acq} ahead by {self.margin:+.2f}, within noise)"
        return f"{self.acq} ({self.margin:+.2f} over {self.runner_up})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "budget": self.budget,
            "ssl": self.ssl,
            "acq": self.acq,
            "metric": "auc",
            "score": self.score,
            "margin": self.margin,
            "runner_up": self.runner_up,
            "noise": self.noise,
            "clear": self.clear,
            "tie": self.tie,
            "paired": self.paired,
            "vs_random": self.vs_random,
        }


def winners(scores: list[Score], paired: list[Paired] | None = None) -> list[Winner]:
    """The first-ranked acquisition per (level, budget, ssl) on AUC (mean over seeds), and how sure."""
    cells: dict[tuple[str, str, str], list[Score]] = {}
    for s in scores:
        cells.setdefault((s.level, s.budget, s.ssl), []).append(s)
    out = []
    for (level, budget, ssl), members in cells.items():
        ranked = sorted(members, key=lambda s: (-_num(s.auc[0]), s.acq))
        best = ranked[0]
        second = ranked[1] if len(ranked) > 1 else None
        random = next((s for s in members if s.acq == "random"), None)
        margin = best.auc[0] - second.auc[0] if second else math.nan
        noise = max(best.auc[1], second.auc[1]) if second else 0.0
        # one seed gives no noise estimate: then nothing is clear without paired intervals
        clear = second is None or (margin > noise and min(best.seeds, second.seeds) > 1)
        used_pairs = False
        if second is not None and paired:
            pairs = [lookup(paired, level, budget, ssl, best.acq, s.acq) for s in ranked[1:]]
            if all(p is not None and p.seeds > 1 for p in pairs):
                used_pairs = True
                clear = all(p.significant and p.mean > 0 for p in pairs)
        tie = second is not None and margin == 0
        out.append(
            Winner(
                level,
                budget,
                ssl,
                best.acq,
                best.auc[0],
                margin,
                second.acq if second else None,
                noise,
                best.auc[0] - random.auc[0] if random is not None else None,
                clear=bool(clear and not tie),
                tie=tie,
                paired=used_pairs,
            )
        )
    return out


def _num(value: float) -> float:
    return -math.inf if value is None or math.isnan(value) else value


def plot_guide(
    found: list[Winner], levels: list[str], budgets: list[str], ssls: list[str], path: Path
) -> Path:
    """The usage-guide figure: per SSL setting a budget x redundancy grid naming each winner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acqs = sorted({w.acq for w in found})
    cmap = plt.get_cmap("tab10")
    colour = {a: cmap(i % 10) for i, a in enumerate(acqs)}
    index = {(w.level, w.budget, w.ssl): w for w in found}
    fig, axes = plt.subplots(
        1, len(ssls), figsize=(1.8 + 2.2 * len(levels) * len(ssls), 1.2 + 1.1 * len(budgets)), squeeze=False
    )
    for ax, ssl in zip(axes[0], ssls):
        for yi, budget in enumerate(budgets):
            for xi, level in enumerate(levels):
                w = index.get((level, budget, ssl))
                face = (*colour[w.acq][:3], 0.85 if w.clear else 0.35) if w else (0.9, 0.9, 0.9, 1)
                ax.add_patch(plt.Rectangle((xi, yi), 1, 1, facecolor=face, edgecolor="white", lw=2))
                if w is None:
                    text = "no data"
                elif w.tie:
                    text = f"tie\n{w.acq} = {w.runner_up}"
                elif not w.clear:
                    text = f"none clear\n({w.acq} ahead,\nwithin noise)"
                else:
                    text = f"{w.acq}\n+{w.margin:.1f} vs {w.runner_up}" if w.runner_up else w.acq
                ax.text(xi + 0.5, yi + 0.5, text, ha="center", va="center", fontsize=8)
        ax.set_xlim(0, len(levels))
        ax.set_ylim(0, len(budgets))
        ax.set_xticks([i + 0.5 for i in range(len(levels))], levels)
        ax.set_yticks([i + 0.5 for i in range(len(budgets))], budgets)
        ax.set_xlabel("redundancy (diverse \u2192 redundant)")
        ax.set_ylabel("budget")
        ax.set_title("without SSL" if ssl == "none" else f"with SSL ({ssl})")
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    fig.suptitle("best acquisition per cell (learning-curve AUC; margin over the runner-up)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


#: the study's findings (Mittal et al., GCPR 2023), as (condition, recommendation, reason)
FINDINGS: list[dict[str, str]] = [
    {
        "data": "diverse",
        "budget": "low",
        "ssl": "no",
        "acq": "entropy",
        "why": "single-sample uncertainty acquisition suits diverse data",
    },
    {
        "data": "diverse",
        "budget": "high",
        "ssl": "no",
        "acq": "entropy",
        "why": "single-sample uncertainty acquisition suits diverse data",
    },
    {
        "data": "diverse",
        "budget": "low",
        "ssl": "yes",
        "acq": "random",
        "why": "with a small budget on diverse data, random selection plus SSL is hard to beat",
    },
    {
        "data": "diverse",
        "budget": "high",
        "ssl": "yes",
        "acq": "entropy",
        "why": "uncertainty acquisition suits diverse data; SSL adds on top",
    },
    {
        "data": "redundant",
        "budget": "low",
        "ssl": "no",
        "acq": "coreset",
        "why": "batch-based diversity acquisition (core-set) avoids picking near-duplicate frames",
    },
    {
        "data": "redundant",
        "budget": "high",
        "ssl": "no",
        "acq": "coreset",
        "why": "batch-based diversity acquisition (core-set) avoids picking near-duplicate frames",
    },
    {
        "data": "redundant",
        "budget": "low",
        "ssl": "yes",
        "acq": "coreset",
        "why": "SSL combines well with batch-based diversity acquisition on redundant data",
    },
    {
        "data": "redundant",
        "budget": "high",
        "ssl": "yes",
        "acq": "coreset",
        "why": "batch-based AL with SSL is best on realistic redundant driving data (A2D2)",
    },
]

#: where a summary.json written by ``alcore bench --preset quick`` ships with alcore (if it does)
QUICK_SUMMARY = Path(__file__).with_name("data") / "quick-summary.json"


def finding(data: str, budget: str, ssl: bool) -> dict[str, str]:
    """The study's recommendation for a data regime, budget regime and SSL choice."""
    want = "yes" if ssl else "no"
    return next(f for f in FINDINGS if f["data"] == data and f["budget"] == budget and f["ssl"] == want)


def shipped_summary(path: Path | None = None) -> dict[str, Any] | None:
    """The quick bench's summary.json shipped with alcore, or None when none ships."""
    path = path or QUICK_SUMMARY
    if not path.is_file():
        return None
    import json

    return json.loads(path.read_text())


def quick_result(data: str, budget: str, ssl: bool, summary: dict[str, Any] | None = None
                 ) -> dict[str, Any] | None:
    """The shipped quick bench's verdict for the same regime: winner entry plus its paired CIs."""
    summary = summary if summary is not None else shipped_summary()
    if not summary:
        return None
    for w in summary.get("winners", []):
        if w["level"] == data and w["budget"] == budget and (w["ssl"] != "none") == ssl:
            key = (w["level"], w["budget"], w["ssl"], "auc")
            pairs = [
                p
                for p in summary.get("paired", [])
                if (p["level"], p["budget"], p["ssl"], p["metric"]) == key
            ]
            return {**w, "pairs": pairs}
    return None
