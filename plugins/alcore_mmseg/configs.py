"""Model configs: the built-in small DeepLabV3+ and users' own MMSeg config files.

alcore owns only the dataset, the number of classes, the training length and the pretrained
weights; everything else in a user's config is kept as written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alcore.sdk.errors import ConfigError

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def default_model(num_classes: int, ignore_index: int, width: int = 16) -> dict:
    """A DeepLabV3+ (the study's family) on a narrow ResNet-18-V1c, sized for a CPU."""
    norm = dict(type="BN", requires_grad=True)
    return dict(
        type="EncoderDecoder",
        data_preprocessor=dict(
            type="SegDataPreProcessor",
            mean=MEAN,
            std=STD,
            bgr_to_rgb=True,
            pad_val=0,
            seg_pad_val=ignore_index,
            size_divisor=32,
        ),
        backbone=dict(
            type="ResNetV1c",
            depth=18,
            stem_channels=width,
            base_channels=width,
            num_stages=4,
            out_indices=(0, 1, 2, 3),
            dilations=(1, 1, 2, 4),
            strides=(1, 2, 1, 1),
            norm_cfg=norm,
            contract_dilation=True,
            norm_eval=False,
        ),
        decode_head=dict(
            type="DepthwiseSeparableASPPHead",
            in_channels=width * 8,
            in_index=3,
            channels=width * 4,
            dilations=(1, 6, 12, 18),
            c1_in_channels=width,
            c1_channels=width,
            dropout_ratio=0.1,
            num_classes=num_classes,
            norm_cfg=norm,
            align_corners=False,
            ignore_index=ignore_index,
            loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0),
        ),
        train_cfg=dict(),
        test_cfg=dict(mode="whole"),
    )


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and "://" in value


def _remote_init(value: Any) -> str | None:
    """The URL of an ``init_cfg`` that loads remote weights (a dict or a list of them), else None."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and _is_url(item.get("checkpoint")):
            return item["checkpoint"]
    return None


def _strip_pretrained(node: Any, found: list[str]) -> Any:
    """Walk a model config, dropping every reference to remote weights (recorded in ``found``)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "pretrained" and _is_url(value):
                found.append(value)
                continue
            if key == "init_cfg" and _remote_init(value):
                found.append(_remote_init(value))
                continue
            out[key] = _strip_pretrained(value, found)
        return out
    if isinstance(node, list):
        return [_strip_pretrained(v, found) for v in node]
    return node


@dataclass
class UserConfig:
    """What alcore takes from a user's MMSeg config: the model, its optimiser and its schedule."""

    model: dict
    optim_wrapper: dict | None = None
    param_scheduler: list[dict] | None = None
    max_iters: int | None = None


def load_user_config(
    path: Path,
    num_classes: int,
    ignore_index: int,
    on_url: str = "error",
    pretrained: str | None = None,
) -> UserConfig:
    """Read an MMSeg 1.x config file (``_base_`` inheritance resolved) and override what alcore owns.

    :param on_url: what to do with pretrained weights given as a URL (``pretrained=`` or an
        ``init_cfg`` checkpoint): ``error`` or ``scratch`` (random initialisation). Nothing is
        ever downloaded.
    :param pretrained: a local checkpoint for the backbone, replacing the config's.
    """
    from mmengine.config import Config

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model config '{path}' does not exist")
    try:
        cfg = Config.fromfile(str(path)).to_dict()
    except Exception as exc:
        raise ConfigError(f"model config '{path}' could not be read: {exc}") from None
    if not isinstance(cfg.get("model"), dict):
        raise ConfigError(f"model config '{path}' has no 'model' entry")
    found: list[str] = []
    model = _strip_pretrained(cfg["model"], found)
    if found and on_url == "error" and pretrained is None:
        raise ConfigError(
            f"model config '{path}' loads pretrained weights from {found[0]}; nothing is "
            "downloaded: pass a local file with model option pretrained=PATH, or "
            "on_url=scratch to train from scratch"
        )
    if pretrained is not None:
        if not Path(pretrained).is_file():
            raise ConfigError(f"pretrained weights '{pretrained}' do not exist")
        model["pretrained"] = str(Path(pretrained).resolve())
    train_cfg = cfg.get("train_cfg") or {}
    schedulers = cfg.get("param_scheduler")
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    return UserConfig(
        model=override_classes(model, num_classes, ignore_index),
        optim_wrapper=cfg.get("optim_wrapper"),
        param_scheduler=schedulers,
        max_iters=train_cfg.get("max_iters") if train_cfg.get("type", "").startswith("IterBased") else None,
    )


def load_user_model(
    path: Path,
    num_classes: int,
    ignore_index: int,
    on_url: str = "error",
    pretrained: str | None = None,
) -> dict:
    """The ``model`` of an MMSeg config file with alcore's overrides (see :func:`load_user_config`)."""
    return load_user_config(path, num_classes, ignore_index, on_url, pretrained).model


def override_classes(model: dict, num_classes: int, ignore_index: int) -> dict:
    """Set the number of classes and the ignore index on every head; fit the preprocessor to any size.

    The preprocessor's ``size`` (the config's training crop) would pad every image up to it;
    alcore feeds whole images, so it pads to a multiple of 32 instead. ``test_cfg`` is kept: a
    sliding window larger than the image runs as one window over the whole image.
    """
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
    pre = model.get("data_preprocessor")
    if isinstance(pre, dict):
        pre["seg_pad_val"] = ignore_index
        pre.pop("size", None)
        pre.setdefault("size_divisor", 32)
    return model


def for_device(model: dict, device: str) -> dict:
    """The model config as it runs on ``device``: SyncBN becomes BN except on CUDA.

    torch's SyncBatchNorm trains only on GPU-like devices; on CUDA it is kept (MMEngine's Runner
    reverts it to BN itself when training runs in a single process).
    """
    if device == "cuda":
        return model

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            if out.get("type") in ("SyncBN", "MMSyncBN"):
                out["type"] = "BN"
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, tuple):
            return tuple(walk(v) for v in node)
        return node

    return walk(model)


def scale_schedule(schedulers: list[dict], source_iters: int, iters: int) -> list[dict]:
    """Compress an iteration-based LR schedule written for ``source_iters`` into one cycle's ``iters``.

    Each scheduler's ``begin``/``end`` is scaled by ``iters / source_iters`` (a warm-up of 1,500
    out of 160,000 iterations stays the same fraction of the cycle).
    """
    scale = iters / max(1, source_iters)
    out = []
    for sched in schedulers:
        sched = dict(sched)
        begin = round(sched.get("begin", 0) * scale)
        end = min(sched.get("end", source_iters), source_iters)
        sched["begin"] = min(begin, max(0, iters - 1))
        sched["end"] = max(sched["begin"] + 1, round(end * scale))
        sched["by_epoch"] = False
        sched.pop("convert_to_iter_based", None)
        out.append(sched)
    return out
