"""Reports built from hand-written run directories: numbers, sections, figures, self-containment."""

from __future__ import annotations

import base64
import json
import re
import statistics
from pathlib import Path

import numpy as np
import pytest
from reportruns import POOL, make_run, pool_embeddings, write_cache

from alcore.report import default_out, write_report
from alcore.report.collect import (
    group_runs,
    load_run,
    load_runs,
    palette_of,
    random_baseline,
    read_embedding,
)
from alcore.report.compare import comparison, group_curve, normalised_auc
from alcore.report.embed import map_points, project, subsample
from alcore.report.plots import embedding_map, examples_grid
from alcore.sdk.errors import StateError

PNG = b"\x89PNG\r\n\x1a\n"
RANDOM = {0: [20.0, 30.0, 35.0, 45.0], 1: [22.0, 31.0, 37.0, 44.0], 2: [21.0, 32.0, 36.0, 46.0]}
CORESET = {0: [20.0, 34.0, 40.0, 48.0], 1: [23.0, 35.0, 41.0, 50.0]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("runs")
    out = {
        "random": [make_run(root, "random", s, m, examples=s == 0) for s, m in RANDOM.items()],
        "coreset": [make_run(root, "coreset", s, m) for s, m in CORESET.items()],
        "entropy": [make_run(root, "entropy", 0, [20.0, 26.0, 30.0, 33.0], collapse=True, examples=True)],
        "fixmatch": [make_run(root, "coreset", 0, [25.0, 38.0, 45.0, 52.0], ssl="fixmatch")],
    }
    write_cache(out["entropy"][0])
    return out


@pytest.fixture(scope="module")
def report(runs: dict[str, list[Path]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    every = [p for paths in runs.values() for p in paths]
    return write_report(every, tmp_path_factory.mktemp("report") / "out")


def auc_by_hand(miou: list[float]) -> float:
    """Labeled counts 10, 20, 30, 40: three trapezoids of width 10 over a range of 30."""
    return sum(10 * (a + b) / 2 for a, b in zip(miou, miou[1:])) / 30


def test_normalised_auc_by_hand() -> None:
    assert normalised_auc(np.array([10, 20, 30, 40]), np.array([20, 30, 35, 45])) == pytest.approx(32.5)
    assert normalised_auc(np.array([10, 30]), np.array([10, 20])) == pytest.approx(15.0)
    assert normalised_auc(np.array([40, 10, 20, 30]), np.array([45, 20, 30, 35])) == pytest.approx(32.5)
    assert normalised_auc(np.array([10]), np.array([33.0])) == 33.0
    assert auc_by_hand(RANDOM[0]) == pytest.approx(32.5)


def test_runs_differing_only_in_seed_are_one_group(runs: dict[str, list[Path]]) -> None:
    groups = group_runs(load_runs([p for paths in runs.values() for p in paths]))
    sizes = sorted(len(g.runs) for g in groups)
    assert sizes == [1, 1, 2, 3]
    labels = {g.label for g in groups}
    assert "acq=random, ssl=none" in labels and "acq=coreset, ssl=fixmatch" in labels
    by_label = {g.label: g for g in groups}
    assert random_baseline(by_label["acq=coreset, ssl=none"], groups) is by_label["acq=random, ssl=none"]
    assert random_baseline(by_label["acq=coreset, ssl=fixmatch"], groups) is None


def test_mean_std_auc_and_difference_to_random(runs: dict[str, list[Path]]) -> None:
    groups = group_runs(load_runs(runs["random"] + runs["coreset"]))
    rows = {row.group.acq: row for row in comparison(groups)}
    rand_aucs = [auc_by_hand(m) for m in RANDOM.values()]
    core_aucs = [auc_by_hand(m) for m in CORESET.values()]
    assert rows["random"].auc == pytest.approx((statistics.mean(rand_aucs), statistics.stdev(rand_aucs)))
    assert rows["coreset"].auc == pytest.approx((statistics.mean(core_aucs), statistics.stdev(core_aucs)))
    curve = group_curve(rows["random"].group)
    assert curve.labeled.tolist() == [10, 20, 30, 40]
    assert curve.at(40) == pytest.approx((45.0, 1.0, 3))
    assert rows["coreset"].delta_auc == pytest.approx(statistics.mean(core_aucs) - statistics.mean(rand_aucs))
    assert rows["coreset"].delta_at[40] == pytest.approx(49.0 - 45.0)
    assert rows["coreset"].delta_at[10] == pytest.approx(21.5 - 21.0)
    assert rows["random"].baseline is None


def test_markdown_has_every_section_and_the_numbers(report: Path) -> None:
    md = (report.parent / "report.md").read_text()
    for heading in (
        "## Learning curves",
        "### Comparison",
        "### Difference to random at equal budget",
        "## Per-class IoU (last cycle)",
        "## Batch diagnostics per cycle",
        "## Embedding map",
        "## Example batches",
    ):
        assert heading in md
    rand_aucs = [auc_by_hand(m) for m in RANDOM.values()]
    line = next(row for row in md.splitlines() if row.startswith("| acq=random, ssl=none | 3 |"))
    assert f"{statistics.mean(rand_aucs):.2f} ± {statistics.stdev(rand_aucs):.2f}" in line
    assert "45.00 ± 1.00" in line
    delta = next(row for row in md.splitlines() if row.startswith("| acq=coreset, ssl=none | acq=random"))
    assert "+4.00" in delta
    assert "| road |" in md and "| sky |" in md
    for ref in re.findall(r"\]\((report_figures/[^)]+\.png)\)", md):
        assert (report.parent / ref).read_bytes().startswith(PNG)


def test_html_is_self_contained_with_valid_pngs(report: Path) -> None:
    text = report.read_text()
    assert "http://" not in text and "https://" not in text
    assert "<link" not in text and "<script" not in text
    sources = re.findall(r'src="([^"]*)"', text)
    assert len(sources) >= 5
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png.startswith(PNG)
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert width > 100 and height > 100
    assert "embedding_0" in (report.parent / "report.md").read_text()


def test_single_run_report_goes_into_the_run_directory(runs: dict[str, list[Path]]) -> None:
    run = runs["entropy"][0]
    html = write_report([run])
    assert html == run / "report.html"
    md = (run / "report.md").read_text()
    assert "No run with acquisition `random`" in md
    assert "| 0 | 10 | 20.00 | 1 | 1.00 | 1.00 |" in md
    assert list((run / "report_figures").glob("embedding_0_*.png"))
    assert default_out([run, run]) == run
    assert default_out([run, runs["random"][0]]) == Path("report")


def test_a_path_that_is_not_a_run_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(StateError, match="empty.*not a run directory"):
        write_report([tmp_path / "empty"])
    with pytest.raises(StateError, match="missing"):
        load_run(tmp_path / "missing")


def test_missing_examples_cache_and_cycle_files_degrade_gracefully(tmp_path: Path) -> None:
    run = make_run(tmp_path, "random", 0, [20.0, 30.0])
    for rec in (run / "cycles").glob("*/record.json"):
        rec.unlink()
    loaded = load_run(run)
    assert [r["labeled"] for r in loaded.records] == [10, 20]
    html = write_report([run], tmp_path / "out")
    md = html.with_name("report.md").read_text()
    assert "No stored embeddings" in md and "No run wrote readable example files" in md


def test_embedding_read_back_through_the_cache(runs: dict[str, list[Path]]) -> None:
    got = read_embedding(load_run(runs["entropy"][0]))
    assert got is not None
    ids, emb, cycle = got
    assert ids == POOL and emb.shape == (len(POOL), 8) and cycle == 2
    assert read_embedding(load_run(runs["coreset"][0])) is None


def test_embedding_map_marks_initial_and_each_cycle() -> None:
    emb = pool_embeddings()
    selections = {0: POOL[:5], 1: POOL[20:25]}
    points = map_points(POOL, emb, POOL[100:103], selections, limit=50, method="pca")
    assert points["shown"] == 50 and points["total"] == len(POOL)
    roles = points["cycle"].tolist()
    assert roles.count(-2) == 3 and roles.count(0) == 5 and roles.count(1) == 5
    assert embedding_map(points, "toy").startswith(PNG)


def test_projection_and_subsample() -> None:
    rows = subsample(100, np.array([3, 97]), 10, seed=1)
    assert len(rows) == 10 and 3 in rows and 97 in rows
    assert np.array_equal(rows, subsample(100, np.array([3, 97]), 10, seed=1))
    xy, method = project(pool_embeddings(), method="pca")
    assert xy.shape == (len(POOL), 2) and method == "PCA"
    xy, _ = project(np.ones((3, 1)))
    assert xy.shape == (3, 2)


def test_examples_grid_skips_unreadable_files(tmp_path: Path) -> None:
    assert examples_grid([{"id": "x", "image": str(tmp_path / "nope.png"), "label": None}], None, "t") is None


def test_list_form_examples_and_palette_from_dataset_json(tmp_path: Path) -> None:
    run = make_run(tmp_path, "entropy", 0, [20.0, 25.0], examples=True)
    path = run / "cycles" / "000" / "examples.json"
    path.write_text(json.dumps(json.loads(path.read_text())["samples"]))
    loaded = load_run(run)
    assert palette_of(loaded) is None
    cycle, rows = loaded.examples()
    assert cycle == 0 and len(rows) == 4 and rows[1]["prediction"] is None
    (run / "dataset.json").write_text(json.dumps({"palette": [[1, 2, 3], [4, 5, 6]]}))
    assert palette_of(loaded) == [(1, 2, 3), (4, 5, 6)]
    md = write_report([run]).with_name("report.md").read_text()
    assert "examples_0_" in md
