"""The scoring maths: one forward pass per batch yielding logits, embeddings and the extra views."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from alcore.sdk.errors import ConfigError
from alcore.sdk.model import Progress
from alcore_mmseg.quantities import VIEWS, ForwardOutput, pixel_entropy, views_of
from alcore_mmseg.segmentors import decode_heads, pool_features, watch_classifier


@torch.no_grad()
def score_batches(
    model: torch.nn.Module,
    batches: Iterable[dict],
    quantity_fns: Mapping[str, Callable[[ForwardOutput], torch.Tensor]],
    total: int,
    seed: int = 0,
    mc_samples: int = 8,
    embedding_stage: int = -1,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """One forward pass per batch yielding every quantity in ``quantity_fns``, one row per sample.

    Shared by the model plugin and the MMSeg-native loop so both score identically.
    """
    views = sorted({v for fn in quantity_fns.values() for v in views_of(fn)})
    parts: dict[str, list[np.ndarray]] = {q: [] for q in quantity_fns}
    done = 0
    for i, batch in enumerate(batches):
        out = forward_pass(model, batch, views, seed * 1_000_003 + i, mc_samples, embedding_stage)
        for q, fn in quantity_fns.items():
            parts[q].append(torch.as_tensor(fn(out)).float().cpu().numpy())
        done += len(batch["inputs"])
        if progress:
            progress(done, total)
    return {q: np.concatenate(v) if v else np.zeros((0,), np.float32) for q, v in parts.items()}


@torch.no_grad()
def forward_pass(
    model: torch.nn.Module,
    batch: dict,
    views: Sequence[str] = (),
    seed: int = 0,
    mc_samples: int = 8,
    embedding_stage: int = -1,
) -> ForwardOutput:
    """One forward pass of a batch: logits at input size, pooled features and the requested views.

    ``flip`` appends the horizontally flipped images to the same batch, so the backbone runs
    once on 2B images; ``mc_dropout`` reuses the backbone and head features and repeats only
    the decode head's stochastic part ``mc_samples`` times (seeded by ``seed``, so a resumed
    run scores identically). Scoring runs whole-image inference whatever ``test_cfg`` says.
    """
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise ConfigError(f"unknown view '{unknown[0]}'; known: {', '.join(VIEWS)}")
    heads = decode_heads(model)
    captured: dict[str, Any] = {}

    def keep(mod: torch.nn.Module, inp: tuple, out: Any) -> None:
        captured.setdefault("backbone", out)

    hook = model.backbone.register_forward_hook(keep)
    try:
        with watch_classifier(model) as classifier:
            prepared = model.data_preprocessor(batch, False)
            inputs = prepared["inputs"]
            metas = [s.metainfo for s in prepared["data_samples"]]
            h, w = metas[0]["img_shape"][:2]
            if any(tuple(m["img_shape"][:2]) != (h, w) for m in metas):
                raise ConfigError("images of one scoring batch differ in size; use eval_batch_size=1")
            n = len(inputs)
            if "flip" in views:
                flipped = inputs.clone()
                flipped[..., :h, :w] = inputs[..., :h, :w].flip(-1)
                inputs = torch.cat([inputs, flipped])
                metas = metas + metas
            feats = model.extract_feat(inputs)
            logits = _logits(heads, feats, metas, model.test_cfg)
    finally:
        hook.remove()
    if "layer" not in classifier:
        # no layer maps features to classes: the deepest features the heads read stand in
        last = feats[-1] if isinstance(feats, (list, tuple)) else feats
        classifier.update(layer=None, input=last)
    logits = logits[:, :, :h, :w]
    stage = _stage(captured["backbone"], embedding_stage)
    decoder = classifier["input"]
    out = ForwardOutput(
        logits=logits[:n],
        embedding=pool_features(decoder[:n], classifier["layer"]),
        backbone_embedding=stage[:n].float().flatten(2).mean(dim=2),
    )
    if "flip" in views:
        out.flip_logits = logits[n:].flip(-1)
    if "mc_dropout" in views:
        feats = type(feats)(f[:n] for f in feats) if isinstance(feats, (list, tuple)) else feats[:n]
        out.mc_mean_probs, out.mc_mean_entropy = mc_dropout(
            heads, feats, classifier, metas[:n], (h, w), seed, mc_samples, model.test_cfg
        )
        out.mc_samples = mc_samples
    return out


def mc_dropout(
    heads: list,
    feats: Any,
    classifier: dict[str, Any],
    metas: list[dict],
    size: tuple[int, int],
    seed: int,
    mc_samples: int = 8,
    test_cfg: Any = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean softmax and mean pixel entropy over ``mc_samples`` passes with head dropout active.

    When the only dropout in the head is the one before its classifier (MMSeg's
    ``BaseDecodeHead.cls_seg``), only dropout and the 1x1 classifier run per pass, on the
    features of the deterministic pass; otherwise the whole head reruns on the backbone features.
    ``classifier`` is what :func:`~alcore_mmseg.segmentors.watch_classifier` recorded.
    """
    last = heads[-1]
    drops = [
        m for head in heads for m in head.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)
    ]
    if not drops:
        raise ConfigError("quantity 'bald' needs dropout in the decode head (dropout_ratio > 0)")
    cheap = (
        len(drops) == 1
        and drops[0] is getattr(last, "dropout", None)
        and classifier["layer"] is not None
        and classifier["layer"] is getattr(last, "conv_seg", None)
    )
    decoder = classifier["input"][: len(metas)]
    h, w = size
    sum_probs: torch.Tensor | float = 0.0
    sum_entropy: torch.Tensor | float = 0.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in drops:
            m.train()
        try:
            for _ in range(mc_samples):
                if cheap:
                    logits = last.predict_by_feat(last.conv_seg(last.dropout(decoder)), metas)
                else:
                    logits = _logits(heads, feats, metas, test_cfg)
                probs = logits[:, :, :h, :w].float().softmax(dim=1)
                sum_probs = sum_probs + probs
                sum_entropy = sum_entropy + pixel_entropy(probs)
        finally:
            for m in drops:
                m.eval()
    return sum_probs / mc_samples, sum_entropy / mc_samples


def _stage(output: Any, index: int) -> torch.Tensor:
    """One stage of a backbone's output; a stage given as (feature map, class token) gives the map."""
    if isinstance(output, (list, tuple)) and not -len(output) <= index < len(output):
        from alcore.sdk.errors import ConfigError

        raise ConfigError(f"model option embedding_stage: {index} is not a stage of this backbone "
                          f"(it outputs {len(output)}: 0..{len(output) - 1}, or -1 for the last)")
    stage = output[index] if isinstance(output, (list, tuple)) else output
    while isinstance(stage, (list, tuple)):
        stage = next((t for t in stage if isinstance(t, torch.Tensor) and t.dim() >= 3), stage[0])
    return stage


def _logits(heads: list, feats: Any, metas: list[dict], test_cfg: Any) -> torch.Tensor:
    """Logits at input size from the decode heads, chained as MMSeg's segmentors chain them."""
    if len(heads) == 1:
        return heads[0].predict(feats, metas, test_cfg)
    prev = heads[0].forward(feats)
    for head in heads[1:-1]:
        prev = head.forward(feats, prev)
    return heads[-1].predict(feats, prev, metas, test_cfg)
