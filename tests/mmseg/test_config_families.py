"""Every model family shipped inside mmsegmentation, one tiny cycle each through alcore.

Each runnable family trains one iteration on generated 128x64 driving frames with its shipped
config's own model, optimiser and training pipeline (the test only shrinks the training crop to
the frames, as a user with small images would), then evaluates and scores. Families that cannot
run with mmcv-lite on a CPU are listed with the reason, and each must fail with a one-line error
that names what to install.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alcore.sdk.errors import AlcoreError

MMSEG_CONFIGS = Path(__import__("mmseg").__file__).parent / ".mim" / "configs"
FRAME = (128, 64)  # (w, h) of the generated frames

#: one config per family (its smallest backbone where the family ships several)
RUNNABLE = {
    "ann": "ann/ann_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "apcnet": "apcnet/apcnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "bisenetv1": "bisenetv1/bisenetv1_r18-d32_4xb4-160k_cityscapes-1024x1024.py",
    "bisenetv2": "bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py",
    "cgnet": "cgnet/cgnet_fcn_4xb8-60k_cityscapes-512x1024.py",
    "danet": "danet/danet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "ddrnet": "ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-1024x1024.py",
    "deeplabv3": "deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py",
    "deeplabv3plus": "deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py",
    "dmnet": "dmnet/dmnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "dnlnet": "dnlnet/dnl_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "dpt": "dpt/dpt_vit-b16_8xb2-160k_ade20k-512x512.py",
    "emanet": "emanet/emanet_r50-d8_4xb2-80k_cityscapes-512x1024.py",
    "encnet": "encnet/encnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "erfnet": "erfnet/erfnet_fcn_4xb4-160k_cityscapes-512x1024.py",
    "fastfcn": "fastfcn/fastfcn_r50-d32_jpu_aspp_4xb2-80k_cityscapes-512x1024.py",
    "fastscnn": "fastscnn/fast_scnn_8xb4-160k_cityscapes-512x1024.py",
    "fcn": "fcn/fcn_r18-d8_4xb2-80k_cityscapes-512x1024.py",
    "gcnet": "gcnet/gcnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "hrnet": "hrnet/fcn_hr18s_4xb2-40k_cityscapes-512x1024.py",
    "icnet": "icnet/icnet_r18-d8_4xb2-80k_cityscapes-832x832.py",
    "isanet": "isanet/isanet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "knet": "knet/knet-s3_r50-d8_fcn_8xb2-adamw-80k_ade20k-512x512.py",
    "mobilenet_v2": "mobilenet_v2/mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py",
    "mobilenet_v3": "mobilenet_v3/mobilenet-v3-d8-scratch-s_lraspp_4xb4-320k_cityscapes-512x1024.py",
    "nonlocal_net": "nonlocal_net/nonlocal_r50-d8_4xb2-40k_cityscapes-512x1024.py",
    "ocrnet": "ocrnet/ocrnet_hr18s_4xb2-40k_cityscapes-512x1024.py",
    "pidnet": "pidnet/pidnet-s_2xb6-120k_1024x1024-cityscapes.py",
    "point_rend": "point_rend/pointrend_r50_4xb2-80k_cityscapes-512x1024.py",
    "pspnet": "pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py",
    "resnest": "resnest/resnest_s101-d8_fcn_4xb2-80k_cityscapes-512x1024.py",
    "segformer": "segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py",
    "segmenter": "segmenter/segmenter_vit-t_mask_8xb1-160k_ade20k-512x512.py",
    "segnext": "segnext/segnext_mscan-t_1xb16-adamw-160k_ade20k-512x512.py",
    "sem_fpn": "sem_fpn/fpn_r50_4xb2-80k_cityscapes-512x1024.py",
    "setr": "setr/setr_vit-l_naive_8xb1-80k_cityscapes-768x768.py",
    "stdc": "stdc/stdc1_4xb12-80k_cityscapes-512x1024.py",
    "swin": "swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py",
    "twins": "twins/twins_pcpvt-s_fpn_fpnhead_8xb4-80k_ade20k-512x512.py",
    "unet": "unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py",
    "upernet": "upernet/upernet_r18_4xb2-40k_cityscapes-512x1024.py",
    "vit": "vit/vit_deit-s16_upernet_8xb2-80k_ade20k-512x512.py",
    "beit": "beit/beit-base_upernet_8xb2-160k_ade20k-640x640.py",
    "mae": "mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py",
}

#: families that cannot run here: (config, why, what the one-line error must name)
CANNOT = {
    "convnext": (
        "convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py",
        "its backbone lives in mmpretrain",
        "pip install mmpretrain",
    ),
    "poolformer": (
        "poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py",
        "its backbone lives in mmpretrain",
        "pip install mmpretrain",
    ),
    "mask2former": (
        "mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py",
        "its head and losses live in mmdet (and its pixel decoder needs a full mmcv)",
        "pip install mmdet",
    ),
    "maskformer": (
        "maskformer/maskformer_r50-d32_8xb2-160k_ade20k-512x512.py",
        "its head and losses live in mmdet",
        "pip install mmdet",
    ),
    "vpd": ("vpd/vpd_sd_4xb8-25k_nyu-512x512.py", "its backbone is Stable Diffusion's", "package 'ldm'"),
    "ccnet": (
        "ccnet/ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
        "criss-cross attention is a compiled mmcv operator",
        "CrissCrossAttention",
    ),
    "psanet": (
        "psanet/psanet_r50-d8_4xb2-40k_cityscapes-512x1024.py",
        "point-wise spatial attention is a compiled mmcv operator",
        "PSAMask",
    ),
    "san": (
        "san/san-vit-b16_coco-stuff164k-640x640.py",
        "it cannot start without its CLIP weights, which are a download",
        "clip_vit-base-patch16-224",
    ),
}

#: config folders without a model to run
NOT_MODELS = {"dsdl": "dataset descriptions only"}

#: families whose configs keep their own input size: LR-ASPP's fixed pooling needs inputs this
#: large (alcore pads the frames up to it)
KEEP_SIZE = {"mobilenet_v3"}
#: families trained on whole frames: BEiT's and MAE's position tables fix the input size (built
#: for the frames here); DDRNet, PIDNet and ResNeSt downsample so far that a crop of the small
#: frames diverges in one step (NaN); their resizing never goes below the frame (no padding)
FIXED_INPUT = {"beit", "ddrnet", "mae", "pidnet", "resnest"}


def _tiny_config(family: str, rel: str, out: Path) -> Path:
    """The shipped config with its training crop shrunk as its resize scale shrinks to the frames.

    alcore fits resize targets to the images itself; the crop is the user's choice, so the test
    makes it as a user with small frames would: the same fraction of the resized image.
    """
    from mmengine.config import Config

    if family in KEEP_SIZE:
        return MMSEG_CONFIGS / rel
    cfg = Config.fromfile(str(MMSEG_CONFIGS / rel), import_custom_modules=False).to_dict()
    pipeline = [dict(step) for step in cfg["train_dataloader"]["dataset"]["pipeline"]]
    scale = next((s["scale"] for s in pipeline if isinstance(s.get("scale"), (list, tuple))), None)
    factor = min(FRAME[0] / max(scale), FRAME[1] / min(scale)) if scale else 1.0
    low = min((s["ratio_range"][0] for s in pipeline if "ratio_range" in s), default=1.0)
    crop = None
    for step in pipeline:
        if "crop_size" in step:
            # no larger than the smallest resized frame: padding would put the ignore index into
            # the labels, which MMSeg 1.2.2's class-weighted cross entropy (CGNet, PIDNet) cannot take
            h, w = step["crop_size"]
            h = min(max(32, round(h * factor)), int(FRAME[1] * low))
            w = min(max(32, round(w * factor)), int(FRAME[0] * low))
            crop = step["crop_size"] = (h, w)
    backbone = ""
    if family in FIXED_INPUT:
        crop = (FRAME[1], FRAME[0])
        for step in pipeline:
            if "crop_size" in step:
                step["crop_size"] = crop
            if "ratio_range" in step:
                step["ratio_range"] = (1.0, max(1.0, step["ratio_range"][1]))
        if family in ("beit", "mae"):
            backbone = f"backbone=dict(img_size={crop!r}), "
    text = (
        f"_base_ = [{str(MMSEG_CONFIGS / rel)!r}]\n"
        f"model = dict({backbone}data_preprocessor=dict(size={crop!r}))\n"
        f"train_dataloader = dict(dataset=dict(pipeline={pipeline!r}))\n"
    )
    path = out / f"{family}.py"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def drivesim(tmp_path_factory):
    from alcore.plugins import build_registry

    reg = build_registry()
    root = tmp_path_factory.mktemp("families") / "cs"
    options = dict(root=str(root), sequences=2, frames=2, val_sequences=1, val_frames=1, width=128, height=64)
    reg.get("dataset", "drivesim").build(options)
    return reg, reg.get("dataset", "cityscapes").build({"root": str(root)})


def _options(config: Path) -> dict:
    return {"config": str(config), "on_url": "scratch", "iters": 1, "batch_size": 2, "eval_batch_size": 2}


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(RUNNABLE))
def test_family_runs_one_cycle(drivesim, tmp_path, family):
    reg, ds = drivesim
    quantities = {r.name: r.factory for r in reg.all("quantity")}
    config = _tiny_config(family, RUNNABLE[family], tmp_path)
    model = reg.get("model", "mmseg").build(_options(config), info=ds.info, quantities=quantities, seed=0)
    model.train(ds.pool()[:2], ds.pool()[2:], cycle=0, work_dir=tmp_path / "cycle")
    metrics = model.evaluate(ds.val())
    assert set(metrics["per_class_iou"]) == set(ds.info.classes)
    out = model.compute(ds.pool()[:2], ["entropy", "embedding"])
    assert out["entropy"].shape == (2,) and np.isfinite(out["entropy"]).all()
    assert out["embedding"].shape[0] == 2 and np.isfinite(out["embedding"]).all()


@pytest.mark.parametrize("family", sorted(CANNOT))
def test_family_that_cannot_run_names_what_is_missing(drivesim, tmp_path, family):
    import importlib.util

    from alcore_mmseg import shim

    rel, _why, named = CANNOT[family]
    package = named.split()[-1].strip("'") if named.startswith(("pip install", "package")) else None
    if package and importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed here")
    if package is None and shim.full_mmcv_available():
        pytest.skip("a full mmcv is installed here")
    reg, ds = drivesim
    quantities = {r.name: r.factory for r in reg.all("quantity")}
    options = _options(MMSEG_CONFIGS / rel)
    if family == "san":
        del options["on_url"]  # the weights a user would be asked for
    with pytest.raises(AlcoreError) as err:
        model = reg.get("model", "mmseg").build(options, info=ds.info, quantities=quantities, seed=0)
        model.train(ds.pool()[:2], ds.pool()[2:], cycle=0, work_dir=tmp_path / "cycle")
    message = str(err.value)
    assert "\n" not in message and named in message, message


def test_every_shipped_family_is_listed():
    shipped = {p.name for p in MMSEG_CONFIGS.iterdir() if p.is_dir() and p.name != "_base_"}
    listed = set(RUNNABLE) | set(CANNOT) | set(NOT_MODELS)
    assert shipped == listed, sorted(shipped ^ listed)
