from __future__ import annotations

import numpy as np
import pytest
import torch

from alcore.errors import StateError


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
    calls = []
    handle = model.segmentor.backbone.register_forward_hook(lambda *a: calls.append(1))
    try:
        samples = ds.pool()
        out = model.compute(samples, ["entropy", "margin", "embedding"])
    finally:
        handle.remove()
    batches = -(-len(samples) // model.eval_batch_size)
    assert len(calls) == batches
    assert out["entropy"].shape == (len(samples),)
    assert out["margin"].shape == (len(samples),)
    assert out["embedding"].shape[0] == len(samples) and out["embedding"].ndim == 2
    assert np.all(out["entropy"] >= 0) and np.all(out["entropy"] <= np.log(3) + 1e-5)


def test_reload_gives_identical_quantities(trained):
    ds, model, ckpt, quantities, reg = trained
    before = model.compute(ds.pool()[:5], ["entropy"])["entropy"]
    other = reg.get("model", "mmseg").build({"width": 8}, info=ds.info, quantities=quantities,
                                            seed=0)
    other.load(ckpt)
    after = other.compute(ds.pool()[:5], ["entropy"])["entropy"]
    np.testing.assert_allclose(before, after, rtol=1e-5)


def test_checkpoint_of_another_model_is_rejected(trained):
    ds, _, ckpt, quantities, reg = trained
    wider = reg.get("model", "mmseg").build({"width": 16}, info=ds.info, quantities=quantities,
                                            seed=0)
    with pytest.raises(StateError, match="does not fit this model"):
        wider.load(ckpt)


def test_unknown_quantity_is_an_error(trained):
    ds, model, _, _, _ = trained
    with pytest.raises(Exception, match="unknown quantity 'nosuch'"):
        model.compute(ds.pool()[:2], ["nosuch"])
