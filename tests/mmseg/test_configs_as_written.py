"""Configs as written: what alcore adapts for the dataset, and nothing else (no training here)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from alcore.sdk.errors import ConfigError
from alcore_mmseg import checkpoints, configs

MMSEG_CONFIGS = Path(__import__("mmseg").__file__).parent / ".mim" / "configs"
STDC = MMSEG_CONFIGS / "stdc" / "stdc1_4xb12-80k_cityscapes-512x1024.py"
KNET = MMSEG_CONFIGS / "knet" / "knet-s3_r50-d8_fcn_8xb2-adamw-80k_ade20k-512x512.py"
PIDNET = MMSEG_CONFIGS / "pidnet" / "pidnet-s_2xb6-120k_1024x1024-cityscapes.py"
POINTREND = MMSEG_CONFIGS / "point_rend" / "pointrend_r50_4xb2-80k_cityscapes-512x1024.py"
SEGFORMER_ADE = MMSEG_CONFIGS / "segformer" / "segformer_mit-b0_8xb2-160k_ade20k-512x512.py"
MASK2FORMER = MMSEG_CONFIGS / "mask2former" / "mask2former_r50_8xb2-90k_cityscapes-512x1024.py"
CONVNEXT = MMSEG_CONFIGS / "convnext" / "convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py"


def _counts(node, out):
    if isinstance(node, dict):
        if "num_classes" in node:
            out.append((node.get("type"), node["num_classes"], node.get("ignore_index")))
        for v in node.values():
            _counts(v, out)
    elif isinstance(node, list):
        for v in node:
            _counts(v, out)
    return out


def test_stdc_detail_head_keeps_its_two_classes():
    user = configs.load_user_config(STDC, 7, 250, on_url="scratch")
    found = _counts(user.model, [])
    assert ("STDCHead", 2, None) in [(t, n, None) for t, n, _ in found if t == "STDCHead"]
    assert all(n == 7 for t, n, _ in found if t != "STDCHead")
    assert any("19 classes -> 7" in n for n in user.notices)


def test_knet_class_count_lives_in_its_kernel_heads():
    assert configs.class_count(configs.load_user_config(KNET, 150, 255, on_url="scratch").model) == 150
    model = configs.load_user_config(KNET, 5, 250, on_url="scratch").model
    head = model["decode_head"]
    assert "num_classes" not in head and "ignore_index" not in head  # IterativeDecodeHead takes neither
    assert head["kernel_generate_head"]["num_classes"] == 5
    assert head["kernel_generate_head"]["ignore_index"] == 250
    assert all(h["num_classes"] == 5 for h in head["kernel_update_head"])


def test_cascade_heads_all_get_the_classes():
    model = configs.load_user_config(POINTREND, 4, 255, on_url="scratch").model
    assert [h["num_classes"] for h in model["decode_head"]] == [4, 4]


def test_training_pipeline_is_kept_with_label_format_adapted():
    pid = configs.load_user_config(PIDNET, 19, 255, on_url="scratch")
    types = [s["type"] for s in pid.train_pipeline]
    assert "GenerateEdge" in types and "RandomCrop" in types and "PhotoMetricDistortion" in types
    assert pid.pad_size == (1024, 1024)
    ade = configs.load_user_config(SEGFORMER_ADE, 19, 255, on_url="scratch")
    load = next(s for s in ade.train_pipeline if s["type"] == "LoadAnnotations")
    assert load["reduce_zero_label"] is False
    assert any("reduce_zero_label off" in n for n in ade.notices)


def test_resize_targets_fit_the_images():
    pipeline = [
        dict(type="RandomResize", scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
        dict(type="RandomCrop", crop_size=(512, 1024)),
        dict(type="RandomChoiceResize", scales=[(1024, 512), (64, 32)]),
    ]
    notices: list[str] = []
    fitted = configs.fit_sizes(pipeline, (128, 64), "cfg.py", notices)
    assert fitted[0]["scale"] == (128, 64) and fitted[0]["ratio_range"] == (0.5, 2.0)
    assert fitted[1]["crop_size"] == (512, 1024)  # RandomCrop clamps to the image itself
    assert fitted[2]["scales"] == [(128, 64), (64, 32)]
    assert len(notices) == 2 and "(2048, 1024) -> (128, 64)" in notices[0]
    assert configs.fit_sizes(pipeline, (4096, 2048), "cfg.py", []) == pipeline


@pytest.mark.parametrize("path, package", [(MASK2FORMER, "mmdet"), (CONVNEXT, "mmpretrain")])
def test_missing_optional_package_is_named(path, package):
    import importlib.util

    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed")
    with pytest.raises(ConfigError) as err:
        configs.load_user_config(path, 19, 255, on_url="scratch")
    assert "\n" not in str(err.value) and f"pip install {package}" in str(err.value)


class _Hub:
    """Stands for the objects of an MMEngine checkpoint (its message hub): unpickled fully, its
    ``__setstate__`` runs code, here writing a file."""

    target = ""

    def __init__(self) -> None:
        self.history = {"loss": [1.0, 0.5]}
        self.target = _Hub.target

    def __setstate__(self, state: dict) -> None:
        Path(state["target"]).write_text("executed")


class _Shell:
    def __reduce__(self):
        return (os.system, (f"touch {_Hub.target}",))


def test_engine_checkpoints_and_plain_state_dicts_load_weights_only(tmp_path):
    state = {"decode_head.conv_seg.weight": torch.ones(2, 3, 1, 1)}
    _Hub.target = str(tmp_path / "executed")
    engine = tmp_path / "iter_8.pth"
    torch.save(
        {"meta": {"dataset_meta": {"classes": ("a", "b")}, "seed": 3}, "state_dict": state,
         "message_hub": _Hub(), "optimizer": {"state": {}}},
        engine,
    )
    with pytest.raises(pickle.UnpicklingError):
        torch.load(engine, weights_only=True)
    weights, meta = checkpoints.read_weights(engine)
    assert not (tmp_path / "executed").exists()
    assert torch.equal(weights["decode_head.conv_seg.weight"], state["decode_head.conv_seg.weight"])
    assert meta == {"classes": ["a", "b"]}
    plain = tmp_path / "plain.pth"
    torch.save({"module." + k: v for k, v in state.items()}, plain)
    assert list(checkpoints.read_weights(plain)[0]) == list(state)
    shell = tmp_path / "shell.pth"
    torch.save({"state_dict": state, "x": _Shell()}, shell)
    with pytest.raises(pickle.UnpicklingError):  # torch refuses os.system outright; nothing runs
        checkpoints.read_weights(shell)
    assert not (tmp_path / "executed").exists()
