"""``alcore report`` keeps comparisons honest: one dataset per report, labels that stay distinct,
a legend that leaves the curves visible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from reportruns import make_run

from alcore.report import write_report
from alcore.report.collect import _short_distinct, group_runs, load_runs
from alcore.report.plots import learning_curves_figure
from alcore.sdk.errors import StateError


def _edit_config(run: Path, **changes: object) -> None:
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg.update(changes)
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))


def test_runs_on_different_datasets_are_refused(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", "random", 0, [20.0, 30.0])
    b = make_run(tmp_path / "b", "entropy", 0, [20.0, 25.0])
    _edit_config(b, dataset="cityscapes", dataset_options={"root": "/data/cs"})
    with pytest.raises(StateError, match="different data.*dataset drivesim.*dataset cityscapes"):
        write_report([a, b], tmp_path / "rep")
    assert not (tmp_path / "rep").exists()


def test_runs_with_different_class_sets_are_refused(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", "random", 0, [20.0, 30.0])
    b = make_run(tmp_path / "b", "entropy", 0, [20.0, 25.0])
    (a / "dataset.json").write_text(json.dumps({"classes": ["road", "car", "sky"]}))
    (b / "dataset.json").write_text(json.dumps({"classes": ["road", "car", "sky", "other"]}))
    with pytest.raises(StateError, match="3 classes.*4 classes"):
        load_runs([a, b])
    (b / "dataset.json").write_text(json.dumps({"classes": ["road", "car", "sky"]}))
    assert len(load_runs([a, b])) == 2


def test_long_differing_settings_keep_distinct_labels(tmp_path: Path) -> None:
    base = "/home/team/projects/segmentation/configs/deeplabv3plus/deeplabv3plus_r50"
    runs = []
    for i, name in enumerate(("_cityscapes_512x1024_lr0.01.py", "_cityscapes_512x1024_lr0.02.py")):
        run = make_run(tmp_path / str(i), "entropy", 0, [20.0, 30.0])
        _edit_config(run, model_options={"config": base + name})
        runs.append(run)
    labels = [g.label for g in group_runs(load_runs(runs))]
    assert len(set(labels)) == 2, labels
    assert all("lr0.0" in label for label in labels)
    assert all(len(label) < 80 for label in labels)


def test_short_forms_stay_as_distinct_as_the_values() -> None:
    values = ["x" * 50 + "a", "x" * 50 + "b", "x" * 50 + "a", "short"]
    shown = _short_distinct(values)
    assert shown[0] == shown[2] and len({shown[0], shown[1], shown[3]}) == 3
    assert shown[3] == "short"


def test_learning_curve_legend_leaves_the_axes_free() -> None:
    series = [
        {"label": f"configuration {i} with a long name", "index": i, "labeled": [10, 20, 30, 40],
         "mean": [20.0 + i, 40.0, 55.0, 62.0 - i], "std": [0.0] * 4, "seeds": 1}
        for i in range(5)
    ]
    fig = learning_curves_figure(series)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None and len(legend.get_texts()) == 5
    box, area = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert box.y1 <= area.y0 or box.x0 >= area.x1  # below or beside the plotting area
