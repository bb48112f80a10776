"""The report's figures as PNG bytes, drawn on Agg figures without touching pyplot's global state."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

DPI = 110
THUMB_WIDTH = 320
IGNORE = 255


def colour(i: int) -> tuple[float, float, float, float]:
    """The colour of the i-th configuration, shared by every figure."""
    return colormaps["tab10"](i % 10)


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _finish(ax, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def learning_curves(series: Sequence[dict]) -> bytes:
    """mIoU against labeled count: one line per configuration, a ±std band where seeds > 1.

    Each item: label, index (colour), labeled, mean, std, seeds.
    """
    return to_png(learning_curves_figure(series))


def learning_curves_figure(series: Sequence[dict]) -> Figure:
    """The figure of :func:`learning_curves`; its legend sits below the axes, off the curves."""
    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.add_subplot()
    for s in series:
        x, m, sd = (np.asarray(s[k], dtype=float) for k in ("labeled", "mean", "std"))
        c = colour(s["index"])
        label = s["label"] + (f" (n={s['seeds']})" if s["seeds"] > 1 else "")
        ax.plot(x, m, marker="o", ms=4, lw=1.8, color=c, label=label)
        if s["seeds"] > 1:
            ax.fill_between(x, m - sd, m + sd, color=c, alpha=0.18, lw=0)
    _finish(ax, "labeled samples", "mIoU (%)")
    if series:
        ax.legend(
            fontsize=8,
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncol=min(2, len(series)),
        )
    return fig


def per_class_bars(classes: Sequence[str], series: Sequence[dict]) -> bytes:
    """Per-class IoU of the last cycle (mean over seeds): bars for one or two configurations,
    an annotated heat map for more.

    Each item: label, index (colour), values (NaN where a class is absent).
    """
    if len(series) > 2:
        return per_class_heatmap(classes, series)
    k = max(len(series), 1)
    fig = Figure(figsize=(7.5, len(classes) * (0.2 + 0.14 * k) + 1.0))
    ax = fig.add_subplot()
    y = np.arange(len(classes), dtype=float)
    h = 0.8 / k
    for j, s in enumerate(series):
        vals = np.nan_to_num(np.asarray(s["values"], dtype=float), nan=0.0)
        ax.barh(y + (j - (k - 1) / 2) * h, vals, height=h, color=colour(s["index"]), label=s["label"])
    ax.set_yticks(y, list(classes), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    _finish(ax, "IoU (%)", "")
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    return to_png(fig)


def per_class_heatmap(classes: Sequence[str], series: Sequence[dict]) -> bytes:
    """Classes × configurations, coloured and annotated with IoU; blank where a class is absent."""
    vals = np.asarray([s["values"] for s in series], dtype=float).T
    fig = Figure(figsize=(min(2.0 + 1.3 * len(series), 11), 0.3 * len(classes) + 1.6))
    ax = fig.add_subplot()
    im = ax.imshow(np.ma.masked_invalid(vals), cmap="viridis", vmin=0, vmax=100, aspect="auto")
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            if np.isfinite(vals[i, j]):
                ax.text(
                    j,
                    i,
                    f"{vals[i, j]:.1f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if vals[i, j] < 55 else "black",
                )
    ax.set_yticks(range(len(classes)), list(classes), fontsize=8)
    ax.set_xticks(
        range(len(series)), [_clip(s["label"], 22) for s in series], fontsize=8, rotation=20, ha="right"
    )
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02).set_label("IoU (%)", fontsize=8)
    return to_png(fig)


DIAG_PANELS = (
    ("max_group_share", "max group share"),
    ("groups", "groups in batch"),
    ("neighbour_rate", "neighbour rate"),
    ("mean_pairwise_distance", "mean pairwise distance"),
    ("coverage_radius", "coverage radius"),
)


def diagnostics_lines(series: Sequence[dict]) -> bytes:
    """Small multiples of each batch diagnostic per cycle, one thin line per run.

    Each item: label (configuration), index (colour), cycles, diagnostics (list of dicts).
    """
    fig = Figure(figsize=(10, 5.2))
    axes = fig.subplots(2, 3).ravel()
    for ax, (key, title) in zip(axes, DIAG_PANELS):
        for s in series:
            vals = [_num(d.get(key)) for d in s["diagnostics"]]
            ax.plot(s["cycles"], vals, marker="o", ms=3, lw=1.2, color=colour(s["index"]), alpha=0.85)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=8)
        ax.grid(True, alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if key in ("max_group_share", "neighbour_rate"):
            ax.set_ylim(-0.03, 1.03)
    for ax in axes[3:5]:
        ax.set_xlabel("cycle", fontsize=8)
    legend_ax = axes[-1]
    legend_ax.axis("off")
    seen: dict[int, str] = {}
    for s in series:
        seen.setdefault(s["index"], s["label"])
    handles = [Line2D([], [], color=colour(i), lw=2, label=lab) for i, lab in seen.items()]
    if handles:
        legend_ax.legend(handles=handles, loc="center", fontsize=8, frameon=False, title="configuration")
    fig.tight_layout()
    return to_png(fig)


def _num(v: object) -> float:
    return float(v) if isinstance(v, (int, float)) and math.isfinite(float(v)) else math.nan


def embedding_map(points: dict, title: str) -> bytes:
    """Pool embeddings in 2-D: unlabeled grey, initial set black, each cycle's batch by colour."""
    xy, role = np.asarray(points["xy"]), np.asarray(points["cycle"])
    fig = Figure(figsize=(6.4, 5.4))
    ax = fig.add_subplot()
    rest = role == -1
    ax.scatter(xy[rest, 0], xy[rest, 1], s=5, c="#c8c8c8", lw=0, label="unlabeled")
    init = role == -2
    ax.scatter(xy[init, 0], xy[init, 1], s=22, c="black", marker="x", lw=1, label="initial labeled")
    picked = role >= 0
    if picked.any():
        cycles = sorted(set(role[picked].tolist()))
        base = colormaps["plasma"]
        cmap = ListedColormap([base(0.05 + 0.85 * i / max(len(cycles) - 1, 1)) for i in range(len(cycles))])
        bounds = np.arange(len(cycles) + 1) - 0.5
        norm = BoundaryNorm(bounds, cmap.N)
        pos = np.searchsorted(cycles, role[picked])
        sc = ax.scatter(
            xy[picked, 0], xy[picked, 1], s=20, c=pos, cmap=cmap, norm=norm, lw=0.3, edgecolors="white"
        )
        bar = fig.colorbar(sc, ax=ax, ticks=np.arange(len(cycles)), fraction=0.046, pad=0.03)
        bar.ax.set_yticklabels([str(c) for c in cycles], fontsize=8)
        bar.set_label("selected in cycle", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    shown = (
        f"{points['shown']} of {points['total']} pool samples"
        if points["shown"] < points["total"]
        else (f"{points['total']} pool samples")
    )
    ax.set_title(f"{title}\n{points['method']} of embeddings; {shown}", fontsize=9)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=8, frameon=False, markerscale=1.3
    )
    return to_png(fig)


def palette_lut(palette: Sequence[Sequence[int]] | None) -> np.ndarray:
    """A 256×3 colour table: the dataset palette, a fixed fallback beyond it, black for ignore."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    fallback = colormaps["tab20"]
    for i in range(255):
        lut[i] = [int(255 * v) for v in fallback(i % 20)[:3]]
    for i, c in enumerate((palette or [])[:255]):
        lut[i] = [int(v) for v in c[:3]]
    lut[IGNORE] = 0
    return lut


def load_image(path: str | Path | None, as_label: bool = False) -> np.ndarray | None:
    """An image (or class-index label) scaled down to a thumbnail, or None when unreadable."""
    if not path:
        return None
    try:
        from PIL import Image

        with Image.open(path) as img:
            if as_label and img.mode in ("P", "L", "I", "I;16"):
                img = img.convert("L") if img.mode != "P" else img
                arr = np.asarray(img)
                img = Image.fromarray(arr.astype(np.uint8), mode="L")
            elif not as_label:
                img = img.convert("RGB")
            if img.width > THUMB_WIDTH:
                size = (THUMB_WIDTH, max(1, round(img.height * THUMB_WIDTH / img.width)))
                img = img.resize(size, Image.NEAREST if as_label else Image.BILINEAR)
            return np.asarray(img)
    except Exception:
        return None


def colourise(label: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Class indices to RGB through the palette table; an RGB label passes through."""
    if label.ndim == 3:
        return label[..., :3]
    return lut[label.astype(np.uint8)]


def examples_grid(
    samples: Sequence[dict], palette: Sequence[Sequence[int]] | None, title: str
) -> bytes | None:
    """Selected samples as columns; rows: image, ground truth, prediction (where there are files)."""
    lut = palette_lut(palette)
    cols = []
    for s in samples:
        image = load_image(s.get("image"))
        label = load_image(s.get("label"), as_label=True)
        pred = load_image(s.get("prediction"), as_label=True)
        if image is None and label is None and pred is None:
            continue
        cols.append((s.get("id", "?"), image, label, pred))
    if not cols:
        return None
    kinds = [("image", 1), ("ground truth", 2), ("prediction", 3)]
    kinds = [(name, k) for name, k in kinds if any(c[k] is not None for c in cols)]
    aspect = next((c[k].shape[0] / c[k].shape[1] for c in cols for _, k in kinds if c[k] is not None), 0.5)
    w = 2.0
    fig = Figure(figsize=(w * len(cols), w * aspect * len(kinds) + 0.6))
    axes = np.atleast_2d(fig.subplots(len(kinds), len(cols), squeeze=False))
    for j, col in enumerate(cols):
        for i, (name, k) in enumerate(kinds):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            arr = col[k]
            if i == 0:
                ax.set_title(_clip(col[0]), fontsize=7)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
            if arr is None:
                ax.spines[:].set_visible(False)
                ax.text(
                    0.5,
                    0.5,
                    f"no {name}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="#888888",
                    transform=ax.transAxes,
                )
                continue
            ax.imshow(arr if k == 1 else colourise(arr, lut), interpolation="nearest")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return to_png(fig)


def _clip(text: str, n: int = 28) -> str:
    return text if len(text) <= n else "…" + text[-(n - 1) :]
