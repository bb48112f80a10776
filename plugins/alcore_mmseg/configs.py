"""Model configs: the built-in small DeepLabV3+ and users' own MMSeg config files.

alcore owns only the dataset, the number of classes, the training length and the pretrained
weights; everything else in a user's config is kept as written, its training pipeline included.
What must change for the dataset (class counts, ignore index, a label format the dataset does
not have, sizes its images cannot meet) changes with a one-line notice each.
"""

from __future__ import annotations

import copy
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alcore.sdk.errors import ConfigError

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
#: local checkpoints MMEngine loads through alcore's loader (see :mod:`alcore_mmseg.checkpoints`)
ALCORE_SCHEME = "alcore://"


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
            size_divisor=8,  # output stride 8: 96x48 frames are not padded to 96x64
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
    """Weights that are not here: a URL, or a local path (``alcore://`` included) that does not exist."""
    if not isinstance(value, str) or not value:
        return False
    if value.startswith(ALCORE_SCHEME):
        return not Path(value[len(ALCORE_SCHEME):]).is_file()
    return "://" in value or not Path(value).expanduser().exists()


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
    train_pipeline: list[dict] | None = None
    pad_size: tuple[int, int] | None = None
    notices: list[str] = field(default_factory=list)


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
        cfg = Config.fromfile(str(path), import_custom_modules=False).to_dict()
    except Exception as exc:
        raise ConfigError(f"model config '{path}' could not be read: {exc}") from None
    if not isinstance(cfg.get("model"), dict):
        raise ConfigError(f"model config '{path}' has no 'model' entry")
    require_packages(cfg, path)
    found: list[str] = []
    model = _strip_pretrained(cfg["model"], found)
    if found and on_url == "error" and pretrained is None:
        raise ConfigError(
            f"model config '{path}' loads pretrained weights from {found[0]}, which is not here "
            "(nothing is downloaded): pass a local file with model option pretrained=PATH, or "
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
    notices: list[str] = []
    pre = model.get("data_preprocessor")
    pad = pre.get("size") if isinstance(pre, dict) else None
    source = class_count(model)
    if source is not None and source != num_classes:
        notices.append(f"{path.name}: {source} classes -> {num_classes} (the dataset's)")
    pipeline = train_pipeline_of(cfg)
    if pipeline is not None:
        pipeline = adapt_labels(pipeline, notices, path.name)
    return UserConfig(
        model=override_classes(model, num_classes, ignore_index),
        optim_wrapper=cfg.get("optim_wrapper"),
        param_scheduler=schedulers,
        max_iters=train_cfg.get("max_iters") if train_cfg.get("type", "").startswith("IterBased") else None,
        train_pipeline=pipeline,
        pad_size=tuple(pad) if isinstance(pad, (list, tuple)) and len(pad) == 2 else None,
        notices=notices,
    )


#: packages a config may name as a type scope (``mmdet.Mask2FormerHead``) or custom import
OPTIONAL_PACKAGES = {
    "mmdet": "mmdet",
    "mmpretrain": "mmpretrain",
    "mmcls": "mmcls",
    "mmseg": "mmsegmentation",
}


def _scopes(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str) and "." in kind:
            found.add(kind.split(".", 1)[0])
        for value in node.values():
            _scopes(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _scopes(value, found)
    return found


#: model types that need a package their module imports only optionally
TYPE_PACKAGES = {"VPD": "ldm"}
#: how to install packages that are not a plain ``pip install NAME``
INSTALL_HINTS = {"ldm": "Stable Diffusion's code, as mmsegmentation's requirements/optional.txt lists"}


def _types(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            found.add(node["type"])
        for value in node.values():
            _types(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _types(value, found)
    return found


def require_packages(cfg: dict, path: Path) -> None:
    """One-line error naming the package to install when a config needs one that is missing."""
    imports = (cfg.get("custom_imports") or {}).get("imports") or []
    imports = [imports] if isinstance(imports, str) else list(imports)
    needed = {name.split(".")[0] for name in imports} | _scopes(cfg.get("model"), set())
    needed |= {TYPE_PACKAGES[t] for t in _types(cfg.get("model"), set()) if t in TYPE_PACKAGES}
    for name in sorted(needed):
        if importlib.util.find_spec(name) is None:
            how = INSTALL_HINTS.get(name, f"pip install {OPTIONAL_PACKAGES.get(name, name)}")
            raise ConfigError(
                f"model config '{path}' needs the package '{OPTIONAL_PACKAGES.get(name, name)}', "
                f"which is not installed ({how})"
            )


def backbone_stages(model: dict) -> int | None:
    """How many stages a model config's backbone outputs (its ``out_indices``), or None if unsaid."""
    backbone = model.get("backbone")
    out = backbone.get("out_indices") if isinstance(backbone, dict) else None
    if isinstance(out, int):
        return 1
    if isinstance(out, (list, tuple)) and out:
        return len(out)
    return None


def class_count(model: dict) -> int | None:
    """The number of classes a model config is written for: its (last) decode head's.

    A head that delegates to sub-heads (K-Net's iterative head) carries no count itself; then the
    count most of its sub-heads carry is the model's.
    """
    head = model.get("decode_head")
    if isinstance(head, list):
        head = head[-1] if head else None
    if not isinstance(head, dict):
        return None
    if isinstance(head.get("num_classes"), int):
        return head["num_classes"]
    counts = _counts(head, [])
    return max(set(counts), key=counts.count) if counts else None


def _counts(node: Any, out: list[int]) -> list[int]:
    if isinstance(node, dict):
        if isinstance(node.get("num_classes"), int):
            out.append(node["num_classes"])
        for value in node.values():
            _counts(value, out)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _counts(value, out)
    return out


def class_count_of(path: Path) -> int:
    """The number of classes of the model in a config file (see :func:`class_count`)."""
    from mmengine.config import Config

    try:
        cfg = Config.fromfile(str(path), import_custom_modules=False).to_dict()
    except Exception as exc:
        raise ConfigError(f"model config '{path}' could not be read: {exc}") from None
    count = class_count(cfg.get("model") or {})
    if count is None:
        raise ConfigError(f"model config '{path}' names no number of classes; pass the class names")
    return count


def train_pipeline_of(cfg: dict) -> list[dict] | None:
    """The config's training pipeline: its train dataset's (through wrappers), else ``train_pipeline``."""
    dataset = (cfg.get("train_dataloader") or {}).get("dataset")
    while isinstance(dataset, dict):
        if isinstance(dataset.get("pipeline"), list):
            return copy.deepcopy(dataset["pipeline"])
        dataset = dataset.get("dataset")
    pipeline = cfg.get("train_pipeline")
    return copy.deepcopy(pipeline) if isinstance(pipeline, list) else None


def adapt_labels(pipeline: list[dict], notices: list[str], name: str) -> list[dict]:
    """Label loading as the dataset needs it: alcore's labels are class indices, never zero-reduced."""
    out = []
    for step in pipeline:
        step = dict(step)
        if step.get("type") in ("LoadAnnotations", "mmseg.LoadAnnotations") and step.get("reduce_zero_label"):
            step["reduce_zero_label"] = False
            notices.append(f"{name}: reduce_zero_label off (the dataset's labels are class indices)")
        out.append(step)
    return out


def _scale_down(size: Any, limit: tuple[int, int]) -> Any:
    """A (w, h) resize target no larger than ``limit`` (w, h), keeping its aspect; else unchanged."""
    if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) for v in size)):
        return size
    long_side, short_side = max(size), min(size)
    lim_long, lim_short = max(limit), min(limit)
    if long_side <= lim_long and short_side <= lim_short:
        return size
    factor = min(lim_long / long_side, lim_short / short_side)
    return type(size)(max(1, round(v * factor)) for v in size)


def fit_sizes(pipeline: list[dict], image_size: tuple[int, int], name: str, notices: list[str]) -> list[dict]:
    """Resize targets written for larger images than the dataset's (w, h) scaled down to them.

    A config written for 2048x1024 Cityscapes frames resizes every image to that scale (times its
    ratio range); on smaller images that would only upsample. The ratio range, crops and every
    other step stay as written.
    """
    out = []
    for step in pipeline:
        step = dict(step)
        for key in ("scale", "img_scale"):
            if key in step:
                new = _scale_down(step[key], image_size)
                if new != step[key]:
                    notices.append(
                        f"{name}: {step.get('type')} {key} {tuple(step[key])} -> {tuple(new)} "
                        f"(the images are {image_size[0]}x{image_size[1]})"
                    )
                    step[key] = new
        if isinstance(step.get("scales"), list):
            new = [_scale_down(v, image_size) for v in step["scales"]]
            if new != step["scales"]:
                size = f"{image_size[0]}x{image_size[1]}"
                notices.append(f"{name}: {step.get('type')} scales fitted to {size} images")
                step["scales"] = new
        out.append(step)
    return out


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
    """Set the dataset's class count and ignore index where the model predicts its classes.

    Every ``num_classes`` equal to the config's own class count (see :func:`class_count`) is
    rewritten, wherever it sits (cascades, K-Net's kernel heads, auxiliary heads); a head for
    another task (STDC's 2-class detail head) keeps its count. Class-weight lists of that length
    (plus one for a no-object weight) are resized. The ignore index goes to every decode head that
    predicts the classes. The preprocessor's ``size`` (the config's training crop) is left to
    the model, which pads only images smaller than it (see ``UserConfig.pad_size``); here it
    pads to a multiple of 32. ``test_cfg`` is kept: a sliding window larger than the image runs
    as one window over the whole image.
    """
    model = copy.deepcopy(model)
    source = class_count(model)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        node = {k: walk(v) for k, v in node.items()}
        if source is not None and node.get("num_classes") == source:
            node["num_classes"] = num_classes
            if node.get("out_channels") == source:
                node["out_channels"] = num_classes
            if "ignore_index" in node or _is_decode_head(node.get("type")):
                node["ignore_index"] = ignore_index
        weights = node.get("class_weight")
        if (
            source is not None
            and source != num_classes
            and isinstance(weights, list)
            and len(weights) in (source, source + 1)
        ):
            extra = weights[source:]
            node["class_weight"] = [1.0] * num_classes + extra
        return node

    model = walk(model)
    if source is None:
        for key in ("decode_head", "auxiliary_head"):
            value = model.get(key)
            for head in value if isinstance(value, list) else [value]:
                if isinstance(head, dict):
                    head["num_classes"] = num_classes
                    head["ignore_index"] = ignore_index
    pre = model.get("data_preprocessor")
    if isinstance(pre, dict):
        pre["seg_pad_val"] = ignore_index
        pre.pop("size", None)
        pre.setdefault("size_divisor", 32)
    return model


def _is_decode_head(kind: Any) -> bool:
    """Whether a registered type is an MMSeg decode head (so it takes ``ignore_index``)."""
    if not isinstance(kind, str):
        return False
    from alcore_mmseg.stack import prepare_stack, scope

    prepare_stack()
    from mmseg.models.decode_heads.decode_head import BaseDecodeHead
    from mmseg.registry import MODELS

    with scope():
        try:
            cls = MODELS.get(kind)
        except Exception:
            return False
    return isinstance(cls, type) and issubclass(cls, BaseDecodeHead)


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
