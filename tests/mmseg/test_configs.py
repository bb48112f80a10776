from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from alcore.sdk.errors import ConfigError
from alcore_mmseg import configs

MMSEG_CONFIGS = Path(__import__("mmseg").__file__).parent / ".mim" / "configs"
FCN_R18 = MMSEG_CONFIGS / "fcn" / "fcn_r18-d8_4xb2-80k_cityscapes-512x1024.py"
DLV3P_R50 = MMSEG_CONFIGS / "deeplabv3plus" / "deeplabv3plus_r50-d8_4xb2-40k_cityscapes-512x1024.py"
DLV3P_769 = MMSEG_CONFIGS / "deeplabv3plus" / "deeplabv3plus_r18-d8_4xb2-80k_cityscapes-769x769.py"
SEGFORMER = MMSEG_CONFIGS / "segformer" / "segformer_mit-b0_8xb2-160k_ade20k-512x512.py"


def _types(node, found):
    if isinstance(node, dict):
        if "type" in node:
            found.add(node["type"])
        for v in node.values():
            _types(v, found)
    elif isinstance(node, (list, tuple)):
        for v in node:
            _types(v, found)
    return found


def test_shipped_config_with_url_weights_is_an_error_unless_scratch():
    with pytest.raises(ConfigError, match="open-mmlab://resnet50_v1c.*on_url=scratch"):
        configs.load_user_config(DLV3P_R50, 5, 255)
    user = configs.load_user_config(DLV3P_R50, 5, 255, on_url="scratch")
    model = user.model
    assert "pretrained" not in model
    assert model["decode_head"]["num_classes"] == 5 and model["auxiliary_head"]["num_classes"] == 5
    assert model["decode_head"]["ignore_index"] == 255
    assert "size" not in model["data_preprocessor"]
    assert "SyncBN" in _types(model, set())  # the config's norm_cfg, inherited from _base_
    assert "SyncBN" not in _types(configs.for_device(model, "cpu"), set())
    assert configs.for_device(model, "cuda") is model
    assert user.max_iters == 40000 and user.optim_wrapper["optimizer"]["type"] == "SGD"


def test_init_cfg_checkpoints_and_local_pretrained(tmp_path):
    user = configs.load_user_config(SEGFORMER, 4, 255, on_url="scratch")
    assert "init_cfg" not in user.model["backbone"]
    weights = tmp_path / "backbone.pth"
    torch.save({}, weights)
    local = configs.load_user_model(FCN_R18, 4, 255, pretrained=str(weights))
    assert local["pretrained"] == str(weights.resolve())
    with pytest.raises(ConfigError, match="do not exist"):
        configs.load_user_model(FCN_R18, 4, 255, pretrained=str(tmp_path / "missing.pth"))


def test_schedule_is_compressed_into_the_cycle():
    user = configs.load_user_config(SEGFORMER, 4, 255, on_url="scratch")
    warmup, poly = configs.scale_schedule(user.param_scheduler, user.max_iters, 320)
    assert (warmup["begin"], warmup["end"]) == (0, 3)  # 1,500 of 160,000
    assert (poly["begin"], poly["end"]) == (3, 320)


@pytest.fixture(scope="module")
def cityscapes(tmp_path_factory):
    from alcore.plugins import build_registry

    reg = build_registry()
    root = tmp_path_factory.mktemp("cs") / "cityscapes"
    reg.get("dataset", "drivesim").build(
        {
            "root": str(root),
            "sequences": 2,
            "frames": 3,
            "val_sequences": 1,
            "val_frames": 2,
            "width": 128,
            "height": 64,
        }
    )
    return reg, reg.get("dataset", "cityscapes").build({"root": str(root)})


@pytest.mark.slow
@pytest.mark.parametrize("config", [FCN_R18, DLV3P_769], ids=["fcn_r18", "deeplabv3plus_r18_slide"])
def test_one_cycle_with_a_shipped_config(cityscapes, tmp_path, config):
    reg, ds = cityscapes
    quantities = {r.name: r.factory for r in reg.all("quantity")}
    # as a user with 128x64 frames would: the shipped config with its crop fitted to the frames
    # (else MMSeg pads every batch up to the config's 512x1024 crop)
    from tests.mmseg.test_config_families import _tiny_config

    mine = _tiny_config(config.parent.name, str(config.relative_to(MMSEG_CONFIGS)), tmp_path)
    options = {"config": str(mine), "on_url": "scratch", "iters": 2, "batch_size": 2, "eval_batch_size": 4}
    model = reg.get("model", "mmseg").build(options, info=ds.info, quantities=quantities, seed=0)
    ckpt = model.train(ds.pool()[:4], ds.pool()[4:], cycle=0, work_dir=tmp_path)
    assert ckpt.is_file()
    modules = list(model.segmentor.modules())
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in modules)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in modules)
    metrics = model.evaluate(ds.val())
    assert set(metrics["per_class_iou"]) == set(ds.info.classes)
    out = model.compute(ds.pool(), ["entropy", "embedding", "equal"])
    assert out["entropy"].shape == out["equal"].shape == (len(ds.pool()),)
    assert np.isfinite(out["embedding"]).all()


def test_optimizer_option_picks_the_optimiser_only_where_the_config_has_none():
    from alcore_mmseg import training

    bare = configs.UserConfig(model={})
    adamw, (poly,) = training.optimisation(bare, None, torch.device("cpu"), 100, "adamw")
    assert adamw["optimizer"]["type"] == "AdamW" and adamw["optimizer"]["lr"] == 0.01
    assert poly["type"] == "PolyLR" and poly["end"] == 100
    sgd, _ = training.optimisation(bare, 0.2, torch.device("cpu"), 100, "sgd")
    opt = sgd["optimizer"]
    assert (opt["type"], opt["lr"], opt["momentum"]) == ("SGD", 0.2, 0.9)
    user = configs.load_user_config(SEGFORMER, 4, 255, on_url="scratch")
    written, _ = training.optimisation(user, None, torch.device("cpu"), 100, "sgd")
    assert written["optimizer"]["type"] == user.optim_wrapper["optimizer"]["type"] == "AdamW"
    assert written["optimizer"]["lr"] == user.optim_wrapper["optimizer"]["lr"]


def test_unknown_optimizer_is_refused_with_its_name():
    from alcore.plugins import build_registry, check_options

    reg = build_registry()
    with pytest.raises(ConfigError, match="optimizer"):
        check_options(reg, [("model", "mmseg", {"optimizer": "lion"})])
