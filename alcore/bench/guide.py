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

from alcore.report.compare import mean_std, normalised_auc


@dataclass
class Score:
    """One configuration across its seeds: final mIoU and normalised AUC, mean and std."""

    level: str
    budget: str
    ssl: str
    acq: str
    final: tuple[float, float]
    auc: tuple[float, float]
    seeds: int
    labeled: int

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
            "seeds": self.seeds,
            "labeled": self.labeled,
        }


def summarise(results: list[tuple[dict[str, str], dict]]) -> list[Score]:
    """Mean +- std over seeds of each (level, budget, ssl, acq) from (cell keys, results.json)."""
    grouped: dict[tuple, list[dict]] = {}
    for keys, result in results:
        grouped.setdefault((keys["level"], keys["budget"], keys["ssl"], keys["acq"]), []).append(result)
    out = []
    for (level, budget, ssl, acq), runs in grouped.items():
        finals = [r["final"]["mIoU"] for r in runs]
        aucs = [
            normalised_auc([p["labeled"] for p in r["curve"]], [p["mIoU"] for p in r["curve"]]) for r in runs
        ]
        out.append(
            Score(
                level,
                budget,
                ssl,
                acq,
                mean_std(finals),
                mean_std(aucs),
                len(runs),
                int(runs[0]["final"]["labeled"]),
            )
        )
    return out


@dataclass
class Winner:
    """The best acquisition function of one (level, budget, ssl) cell and by how much it wins."""

    level: str
    budget: str
    ssl: str
    acq: str
    score: float
    margin: float
    runner_up: str | None
    noise: float
    vs_random: float | None

    @property
    def clear(self) -> bool:
        """Whether the margin exceeds the seed-to-seed spread of the two best strategies."""
        return self.runner_up is None or self.margin > self.noise

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "budget": self.budget,
            "ssl": self.ssl,
            "acq": self.acq,
            "final_mean": self.score,
            "margin": self.margin,
            "runner_up": self.runner_up,
            "noise": self.noise,
            "clear": self.clear,
            "vs_random": self.vs_random,
        }


def winners(scores: list[Score]) -> list[Winner]:
    """The winning acquisition per (level, budget, ssl), ranked by final mIoU (mean over seeds)."""
    cells: dict[tuple[str, str, str], list[Score]] = {}
    for s in scores:
        cells.setdefault((s.level, s.budget, s.ssl), []).append(s)
    out = []
    for (level, budget, ssl), members in cells.items():
        ranked = sorted(members, key=lambda s: (-_num(s.final[0]), s.acq))
        best = ranked[0]
        second = ranked[1] if len(ranked) > 1 else None
        random = next((s for s in members if s.acq == "random"), None)
        out.append(
            Winner(
                level,
                budget,
                ssl,
                best.acq,
                best.final[0],
                best.final[0] - second.final[0] if second else math.nan,
                second.acq if second else None,
                max(best.final[1], second.final[1]) if second else 0.0,
                best.final[0] - random.final[0] if random is not None else None,
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
                text = (
                    "no data"
                    if w is None
                    else (f"{w.acq}\n+{w.margin:.1f} vs {w.runner_up}" if w.runner_up else w.acq)
                )
                if w is not None and not w.clear:
                    text += "\n(within noise)"
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
    fig.suptitle("best acquisition per cell (final mIoU; margin over the runner-up)", fontsize=9)
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

#: alcore's own ``alcore bench --preset quick`` winners on drivesim (see benchmarks/README.md)
QUICK_RESULTS: list[dict[str, Any]] = [
    {"level": "diverse", "budget": "low", "ssl": "none", "acq": "coreset", "margin": 0.70, "clear": False},
    {
        "level": "diverse",
        "budget": "low",
        "ssl": "fixmatch",
        "acq": "coreset",
        "margin": 1.21,
        "clear": False,
    },
    {"level": "diverse", "budget": "high", "ssl": "none", "acq": "entropy", "margin": 1.11, "clear": False},
    {"level": "diverse", "budget": "high", "ssl": "fixmatch", "acq": "random", "margin": 1.03, "clear": True},
    {"level": "redundant", "budget": "low", "ssl": "none", "acq": "coreset", "margin": 0.43, "clear": False},
    {
        "level": "redundant",
        "budget": "low",
        "ssl": "fixmatch",
        "acq": "coreset",
        "margin": 1.19,
        "clear": True,
    },
    {"level": "redundant", "budget": "high", "ssl": "none", "acq": "entropy", "margin": 0.31, "clear": False},
    {
        "level": "redundant",
        "budget": "high",
        "ssl": "fixmatch",
        "acq": "coreset",
        "margin": 0.11,
        "clear": False,
    },
]


def finding(data: str, budget: str, ssl: bool) -> dict[str, str]:
    """The study's recommendation for a data regime, budget regime and SSL choice."""
    want = "yes" if ssl else "no"
    return next(f for f in FINDINGS if f["data"] == data and f["budget"] == budget and f["ssl"] == want)


def quick_result(data: str, budget: str, ssl: bool) -> dict[str, Any] | None:
    """alcore's recorded quick-preset winner for the same regime, if one was recorded."""
    for r in QUICK_RESULTS:
        if r["level"] == data and r["budget"] == budget and (r["ssl"] != "none") == ssl:
            return r
    return None
