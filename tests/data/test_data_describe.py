"""``alcore data describe``: sizes, groups, class frequencies and redundancy of a dataset."""

from __future__ import annotations

import json

from tests.conftest import run_cli

TINY = [
    "--dataset-opt",
    "width=64",
    "--dataset-opt",
    "height=32",
    "--dataset-opt",
    "val_sequences=2",
    "--dataset-opt",
    "val_frames=2",
]


def describe(tmp_path, *opts: str) -> dict:
    res = run_cli(
        "data",
        "describe",
        "drivesim",
        *TINY,
        *opts,
        "--json",
        env={"ALCORE_DATA": str(tmp_path)},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_describe_counts_and_redundancy_text(tmp_path):
    res = run_cli(
        "data",
        "describe",
        "drivesim",
        *TINY,
        "--dataset-opt",
        "sequences=4",
        "--dataset-opt",
        "frames=12",
        env={"ALCORE_DATA": str(tmp_path)},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "48 pool, 4 val samples" in res.stdout
    assert "groups: 4 (frames per group min 12, median 12, max 12)" in res.stdout
    assert "redundancy: " in res.stdout
    assert "all 48 label files" in res.stdout
    assert "road" in res.stdout


def test_describe_json_and_preset_ranking(tmp_path):
    diverse = describe(
        tmp_path,
        "--dataset-opt",
        "preset=diverse",
        "--dataset-opt",
        "sequences=12",
        "--dataset-opt",
        "frames=2",
    )
    redundant = describe(
        tmp_path,
        "--dataset-opt",
        "preset=redundant",
        "--dataset-opt",
        "sequences=2",
        "--dataset-opt",
        "frames=12",
    )
    assert diverse["pool"] == redundant["pool"] == 24
    assert diverse["val"] == 4
    assert diverse["groups"]["groups"] == 12 and redundant["groups"]["frames_max"] == 12
    freqs = diverse["classes"]["frequencies"]
    assert abs(sum(freqs.values()) - 1.0) < 1e-6 and not diverse["classes"]["sampled"]
    assert 0.0 <= diverse["redundancy"]["score"] < redundant["redundancy"]["score"] <= 1.0


def test_describe_samples_label_files(tmp_path):
    from alcore.datatools import class_frequencies
    from tests.conftest import ToyDataset

    ds = ToyDataset(str(tmp_path / "toy"), groups=3, frames=4)
    out = class_frequencies(ds.pool(), ds.info.classes, ds.info.ignore_index, limit=5, seed=1)
    assert out["sampled"] and out["labels_read"] == 5 and out["labels_total"] == 12
    assert out == class_frequencies(ds.pool(), ds.info.classes, ds.info.ignore_index, 5, seed=1)


def test_describe_unknown_dataset_is_one_line(tmp_path):
    res = run_cli("data", "describe", "nosuch", env={"ALCORE_DATA": str(tmp_path)}, timeout=60)
    assert res.returncode == 2
    assert "error: unknown dataset 'nosuch'" in res.stderr and "Traceback" not in res.stderr
