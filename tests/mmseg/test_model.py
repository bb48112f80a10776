from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.hooks import Hook

from alcore.sdk.errors import StateError


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from alcore.plugins import build_registry
    from tests.conftest import ToyDataset

    root = tmp_path_factory.mktemp("toy")
    ds = ToyDataset(str(root / "data"))
    reg = build_registry()
    quantities = {r.name: r.factory for r in reg.all("quantity")}
    model = reg.get("model", "mmseg").build(
        {"iters": 20, "width": 8, "batch_size": 4}, info=ds.info, quantities=quantities, seed=0
    )
    ckpt = model.train(ds.pool()[:8], ds.pool()[8:], cycle=0, work_dir=root / "cycle0")
    return ds, model, ckpt, quantities, reg


def test_train_writes_weights_only_checkpoint(trained):
    ds, model, ckpt, _, _ = trained
    assert ckpt.is_file()
    state = torch.load(ckpt, weights_only=True)
    assert "decode_head.conv_seg.weight" in state["state_dict"]
    assert (ckpt.parent / "mmengine").is_dir()


def test_evaluate_reports_miou_and_per_class(trained):
    ds, model, _, _, _ = trained
    metrics = model.evaluate(ds.val())
    assert 0.0 <= metrics["mIoU"] <= 100.0
    assert set(metrics["per_class_iou"]) == set(ds.info.classes)


def test_one_forward_pass_computes_all_quantities(trained):
    ds, model, _, _, _ = trained
    seg = model.segmentor
    backbone_batches, head_calls = [], []
    head_forward = seg.decode_head.forward

    def counted(*args, **kwargs):
        head_calls.append(1)
        return head_forward(*args, **kwargs)

    handle = seg.backbone.register_forward_hook(lambda m, i, o: backbone_batches.append(len(i[0])))
    seg.decode_head.forward = counted
    try:
        samples = ds.pool()
        out = model.compute(samples, ["entropy", "margin", "embedding", "equal", "bald"])
    finally:
        handle.remove()
        del seg.decode_head.forward
    step = model.eval_batch_size
    sizes = [min(step, len(samples) - i) for i in range(0, len(samples), step)]
    # one backbone call per batch, with the flipped copies in the same call; bald reruns no head
    assert backbone_batches == [2 * n for n in sizes]
    assert len(head_calls) == len(sizes)
    for name in ("entropy", "margin", "equal", "bald"):
        assert out[name].shape == (len(samples),)
    assert out["embedding"].shape[0] == len(samples) and out["embedding"].ndim == 2
    assert np.all(out["entropy"] >= 0) and np.all(out["entropy"] <= np.log(3) + 1e-5)
    assert np.all(out["equal"] >= 0) and np.all(out["bald"] >= 0)


def test_views_are_computed_only_when_requested(trained):
    ds, model, _, _, _ = trained
    batches = []
    handle = model.segmentor.backbone.register_forward_hook(lambda m, i, o: batches.append(len(i[0])))
    try:
        model.compute(ds.pool()[:4], ["entropy", "bald"])
    finally:
        handle.remove()
    assert batches == [4]


def test_flip_view_is_the_prediction_of_the_flipped_image(trained):
    ds, model, _, _, _ = trained
    batch = next(iter(model._loader(ds.pool()[:3], with_labels=False)))
    out = model.forward(batch, ["flip"])
    flipped = dict(batch, inputs=[x.flip(-1) for x in batch["inputs"]])
    direct = model.forward(flipped).logits.flip(-1)
    torch.testing.assert_close(out.flip_logits, direct, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.logits, model.forward(batch).logits, rtol=1e-4, atol=1e-4)


def test_bald_is_seeded_and_vanishes_with_one_sample(trained):
    ds, model, _, _, _ = trained
    samples = ds.pool()[:6]
    first = model.compute(samples, ["bald"])["bald"]
    np.testing.assert_array_equal(first, model.compute(samples, ["bald"])["bald"])
    assert first.max() > 0
    model.mc_samples = 1
    try:
        np.testing.assert_allclose(model.compute(samples, ["bald"])["bald"], 0.0, atol=1e-6)
    finally:
        model.mc_samples = 8


def test_backbone_stage_is_selectable(trained):
    ds, model, _, _, _ = trained
    last = model.compute(ds.pool()[:2], ["backbone_embedding"])["backbone_embedding"]
    model.embedding_stage = 0
    try:
        first = model.compute(ds.pool()[:2], ["backbone_embedding"])["backbone_embedding"]
    finally:
        model.embedding_stage = -1
    assert first.shape[1] < last.shape[1]


def test_ignored_pixels_do_not_count(trained, tmp_path):
    ds, model, _, _, _ = trained
    samples = ds.val()
    preds = model.predict(samples)
    masked = []
    for s, pred in zip(samples, preds):
        label = cv2.imread(str(s.label), cv2.IMREAD_UNCHANGED)
        assert (label != pred).any()
        label[label != pred] = ds.info.ignore_index
        path = tmp_path / Path(s.label).name
        cv2.imwrite(str(path), label)
        masked.append(replace(s, label=path))
    metrics = model.evaluate(masked)
    assert metrics["aAcc"] == 100.0 and metrics["mIoU"] == 100.0
    assert model.evaluate(samples)["aAcc"] < 100.0


def test_iterations_fixed_or_scaling_with_the_labeled_set(trained):
    ds, _, _, quantities, reg = trained
    build = reg.get("model", "mmseg").build
    fixed = build({"iters": 7, "width": 8}, info=ds.info, quantities=quantities, seed=0)
    assert fixed.iterations(10) == fixed.iterations(1000) == 7
    scaled = build({"epochs": 2.0, "batch_size": 4, "width": 8}, info=ds.info, quantities=quantities, seed=0)
    assert scaled.iterations(10) == 5  # ceil(2 * 10 / 4)
    assert scaled.iterations(1000) == 500
    assert scaled.iterations(1) == 1


class _Snapshot(Hook):
    """Record the weights a cycle starts training from."""

    priority = "LOWEST"

    def __init__(self) -> None:
        self.states: list[dict] = []

    def before_train(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        self.states.append({k: v.clone() for k, v in model.state_dict().items()})


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("warm", [False, True])
def test_each_cycle_reinitialises_or_continues(trained, tmp_path, warm):
    ds, _, _, quantities, reg = trained
    opts = {"iters": 2, "width": 8, "batch_size": 2, "warm_start": warm}
    model = reg.get("model", "mmseg").build(opts, info=ds.info, quantities=quantities, seed=3)
    fresh = reg.get("model", "mmseg").build(opts, info=ds.info, quantities=quantities, seed=3)
    snap, fresh_snap = _Snapshot(), _Snapshot()
    model.extra_hooks.append(snap)
    fresh.extra_hooks.append(fresh_snap)
    labeled = ds.pool()[:4]
    model.train(labeled, [], cycle=0, work_dir=tmp_path / "a0")
    after_first = {k: v.clone() for k, v in model.segmentor.state_dict().items()}
    model.train(labeled, [], cycle=1, work_dir=tmp_path / "a1")
    fresh.train(labeled, [], cycle=1, work_dir=tmp_path / "b1")
    start = snap.states[1]
    assert _same(start, after_first) is warm
    assert _same(start, fresh_snap.states[0]) is not warm


def test_reload_gives_identical_quantities(trained):
    ds, model, ckpt, quantities, reg = trained
    before = model.compute(ds.pool()[:5], ["entropy"])["entropy"]
    other = reg.get("model", "mmseg").build({"width": 8}, info=ds.info, quantities=quantities, seed=0)
    other.load(ckpt)
    after = other.compute(ds.pool()[:5], ["entropy"])["entropy"]
    np.testing.assert_allclose(before, after, rtol=1e-5)


def test_checkpoint_of_another_model_is_rejected(trained):
    ds, _, ckpt, quantities, reg = trained
    wider = reg.get("model", "mmseg").build({"width": 16}, info=ds.info, quantities=quantities, seed=0)
    with pytest.raises(StateError, match="does not fit this model"):
        wider.load(ckpt)


def test_unknown_quantity_is_an_error(trained):
    ds, model, _, _, _ = trained
    with pytest.raises(Exception, match="unknown quantity 'nosuch'"):
        model.compute(ds.pool()[:2], ["nosuch"])
