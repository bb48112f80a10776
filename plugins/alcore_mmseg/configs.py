"""Model configs: the built-in small DeepLabV3+ and users' own MMSeg config files.

alcore owns only the dataset, the number of classes, the training length and the pretrained
weights; everything else in a user's config is kept as written.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from alcore.errors import ConfigError

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def default_model(num_classes: int, ignore_index: int, width: int = 16) -> dict:
    """A DeepLabV3+ (the study's family) on a narrow ResNet-18-V1c, sized for a CPU."""
    norm = dict(type="BN", requires_grad=True)
    return dict(
        type="EncoderDecoder",
        data_preprocessor=dict(
            type="SegDataPreProcessor", mean=MEAN, std=STD, bgr_to_rgb=True,
            pad_val=0, seg_pad_val=ignore_index, size_divisor=32,
        ),
        backbone=dict(
            type="ResNetV1c", depth=18, stem_channels=width, base_channels=width,
            num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4),
            strides=(1, 2, 1, 1), norm_cfg=norm, contract_dilation=True, norm_eval=False,
        ),
        decode_head=dict(
            type="DepthwiseSeparableASPPHead", in_channels=width * 8, in_index=3,
            channels=width * 4, dilations=(1, 6, 12, 18), c1_in_channels=width,
            c1_channels=width, dropout_ratio=0.1, num_classes=num_classes, norm_cfg=norm,
            align_corners=False, ignore_index=ignore_index,
            loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0),
        ),
        train_cfg=dict(),
        test_cfg=dict(mode="whole"),
    )


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and "://" in value


def _strip_pretrained(node: Any, on_url: str, source: str, found: list[str]) -> Any:
    """Walk a model config, dropping (or rejecting) every reference to remote weights."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "pretrained" and _is_url(value):
                found.append(value)
                continue
            if key == "init_cfg" and isinstance(value, dict) and _is_url(value.get("checkpoint")):
                found.append(value["checkpoint"])
                continue
            out[key] = _strip_pretrained(value, on_url, source, found)
        return out
    if isinstance(node, list):
        return [_strip_pretrained(v, on_url, source, found) for v in node]
    return node


def load_user_model(
    path: Path, num_classes: int, ignore_index: int, on_url: str = "error",
    pretrained: str | None = None,
) -> dict:
    """Read the ``model`` of an MMSeg config file and override what alcore owns.

    :param on_url: what to do with pretrained weights given as a URL: ``error`` or ``scratch``
        (train from random initialisation). Nothing is ever downloaded.
    :param pretrained: a local checkpoint for the backbone, replacing the config's.
    """
    from mmengine.config import Config

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model config '{path}' does not exist")
    try:
        cfg = Config.fromfile(str(path))
    except Exception as exc:
        raise ConfigError(f"model config '{path}' could not be read: {exc}") from None
    if "model" not in cfg:
        raise ConfigError(f"model config '{path}' has no 'model' entry")
    model = cfg.to_dict()["model"]
    found: list[str] = []
    model = _strip_pretrained(model, on_url, str(path), found)
    if found and on_url == "error" and pretrained is None:
        raise ConfigError(
            f"model config '{path}' loads pretrained weights from {found[0]}; nothing is "
            "downloaded: pass a local file with model option pretrained=PATH, or "
            "on_url=scratch to train from scratch"
        )
    if pretrained is not None:
        if not Path(pretrained).is_file():
            raise ConfigError(f"pretrained weights '{pretrained}' do not exist")
        model["pretrained"] = str(pretrained)
    return override_classes(model, num_classes, ignore_index)


def override_classes(model: dict, num_classes: int, ignore_index: int) -> dict:
    """Set the number of classes and the ignore index on every head of a model config."""
    model = copy.deepcopy(model)
    heads = []
    for key in ("decode_head", "auxiliary_head"):
        value = model.get(key)
        if isinstance(value, list):
            heads.extend(value)
        elif isinstance(value, dict):
            heads.append(value)
    for head in heads:
        head["num_classes"] = num_classes
        head["ignore_index"] = ignore_index
        # Sync BN needs a process group; a single CPU process has none.
        if head.get("norm_cfg", {}).get("type") == "SyncBN":
            head["norm_cfg"] = dict(head["norm_cfg"], type="BN")
    backbone = model.get("backbone", {})
    if backbone.get("norm_cfg", {}).get("type") == "SyncBN":
        backbone["norm_cfg"] = dict(backbone["norm_cfg"], type="BN")
    pre = model.get("data_preprocessor")
    if isinstance(pre, dict):
        pre["seg_pad_val"] = ignore_index
        pre.pop("size", None)
        pre.setdefault("size_divisor", 32)
    return model
