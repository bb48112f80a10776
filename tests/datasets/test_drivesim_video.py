"""The drivesim split keeps old presets byte-identical; the video family has real video's structure."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

import cv2
import numpy as np
import pytest

from alcore_datasets.drivesim import PRESETS, frame_arrays, open_drivesim, resolve_spec
from alcore_datasets.drivesim.plan import (
    CONDITION_SHARES,
    KIND_SHARES,
    RARE_SHARES,
    plan_drives,
    quotas,
    rare_counts,
)
from alcore_datasets.drivesim.style import BIKE, BUS, MOTO, TRAIN

#: digests of frames rendered before the renderer moved into its package (sha256 of image+labels,
#: first 16 hex digits): preset -> ((split, drive, frame), digest)
OLD_FRAMES = {
    "default": [(("train", 1, 2), "0255208b11511558"), (("val", 0, 1), "489dd1fd96262cb3")],
    "diverse": [(("train", 1, 1), "9ab091e4751b0ecb"), (("val", 0, 1), "489dd1fd96262cb3")],
    "redundant": [(("train", 1, 2), "617cc1ede8ce97ea"), (("val", 0, 1), "489dd1fd96262cb3")],
    "large": [(("train", 1, 2), "c0cbd0442061d637"), (("val", 0, 1), "1f94ba9eabaf2318")],
}
SMALL = dict(width=48, height=24, sequences=40, frames=14, val_sequences=5, val_frames=3, validate=False)
RARE_LABEL = {"train": TRAIN, "motorcycle": MOTO, "bus": BUS, "bicycle": BIKE}


@pytest.mark.parametrize("preset", sorted(OLD_FRAMES))
def test_old_presets_render_the_same_bytes(preset: str) -> None:
    for (split, q, k), digest in OLD_FRAMES[preset]:
        img, lab = frame_arrays(PRESETS[preset], split, q, k)
        assert hashlib.sha256(img.tobytes() + lab.tobytes()).hexdigest()[:16] == digest, (split, q, k)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory):
    return open_drivesim("video", root=str(tmp_path_factory.mktemp("video") / "v"), **SMALL)


def _by_group(samples) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for s in samples:
        out[s.group].append(s)
    return {g: sorted(v, key=lambda s: s.frame) for g, v in out.items()}


def test_drives_vary_in_length_and_pool_matches_plan(video) -> None:
    spec = resolve_spec("video", **{k: v for k, v in SMALL.items() if k != "validate"})
    drives = plan_drives(spec, "train")
    groups = _by_group(video.pool())
    assert sorted(len(v) for v in groups.values()) == sorted(d.frames for d in drives)
    assert len({d.frames for d in drives}) > 5
    assert len(video.pool()) == spec.pool_size


def test_stops_are_runs_of_near_duplicates(video) -> None:
    spec = resolve_spec("video", **{k: v for k, v in SMALL.items() if k != "validate"})
    drives = plan_drives(spec, "train")
    groups = _by_group(video.pool())
    stopped, moving = [], []
    for drive in drives:
        samples = next(v for v in groups.values() if v[0].id.split("_")[1] == f"{drive.index:06d}")
        for a, b, t0, t1 in zip(samples, samples[1:], drive.times, drive.times[1:]):
            la = cv2.imread(str(a.label), cv2.IMREAD_UNCHANGED)
            lb = cv2.imread(str(b.label), cv2.IMREAD_UNCHANGED)
            ia = cv2.imread(str(a.image)).astype(np.float32)
            ib = cv2.imread(str(b.image)).astype(np.float32)
            diff = float(np.abs(ia - ib).mean())
            if t1 == t0:
                assert np.array_equal(la, lb), (a.id, b.id)
                stopped.append(diff)
            else:
                moving.append(diff)
    assert len(stopped) >= 0.1 * (len(stopped) + len(moving))
    assert np.median(stopped) < 0.5 * np.median(moving)
    red = video.redundancy()
    assert red["near_duplicate_rate"] >= 0.5 * len(stopped) / len(video.pool())


def test_conditions_kinds_and_rare_users_follow_their_shares(video) -> None:
    drives = [d for d in video.info.meta["drives"] if d["split"] == "train"]
    n = len(drives)
    assert Counter(d["condition"] for d in drives) == Counter(
        {k: v for k, v in quotas(CONDITION_SHARES, n).items() if v}
    )
    kinds = Counter(d["kind"] for d in drives)
    assert kinds == Counter({k: v for k, v in quotas(KIND_SHARES, n).items() if v})
    counts = Counter(r for d in drives for r in d["rare"])
    assert counts == Counter(rare_counts(n))
    assert all(counts[r] <= max(1, round(share * n)) for r, share in RARE_SHARES.items())
    assert Counter(d["condition"] for d in drives).most_common(1)[0][0] == "day"


def test_rare_classes_only_in_their_drives(video) -> None:
    drives = {d["index"]: d for d in video.info.meta["drives"] if d["split"] == "train"}
    seen: dict[str, set[int]] = defaultdict(set)
    for s in video.pool():
        labels = set(np.unique(cv2.imread(str(s.label), cv2.IMREAD_UNCHANGED)).tolist())
        q = int(s.id.split("_")[1])
        for name, cls in RARE_LABEL.items():
            if cls in labels:
                seen[name].add(q)
    for name in ("train", "bus", "motorcycle"):
        planned = {q for q, d in drives.items() if name in d["rare"]}
        assert seen[name] <= planned, name
    assert seen["train"] and seen["bus"]


def test_validation_is_held_out_and_covers_every_condition(video) -> None:
    val = [d for d in video.info.meta["drives"] if d["split"] == "val"]
    assert {d["condition"] for d in val} == set(CONDITION_SHARES)
    assert not {s.group for s in video.val()} & {s.group for s in video.pool()}
    assert len(video.val()) == 5 * 3


def test_stills_have_no_stops_and_the_same_world() -> None:
    spec = resolve_spec("stills", sequences=40)
    drives = plan_drives(spec, "train")
    assert all(d.frames == 2 and d.times[1] > d.times[0] for d in drives)
    assert Counter(d.condition for d in drives) == Counter(
        {k: v for k, v in quotas(CONDITION_SHARES, 40).items() if v}
    )
