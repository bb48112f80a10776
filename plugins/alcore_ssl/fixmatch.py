"""FixMatch for segmentation: confident teacher predictions on a weak view supervise a strong view."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from alcore.sdk.errors import ConfigError
from alcore.sdk.ssl import Predict, UnlabeledBatch
from alcore_ssl.augment import strong_view

MIXES = ("cutmix", "cutout", "none")


def masked_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, denominator: torch.Tensor | int
) -> torch.Tensor:
    """Pixel cross-entropy summed over ``mask`` and divided by ``denominator`` (FixMatch's mean)."""
    ce = F.cross_entropy(logits.float(), target, reduction="none")
    return (ce * mask).sum() / max(int(denominator), 1)


def pseudo_labels(
    probs: torch.Tensor, threshold: float, valid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel arg-max class and whether its probability reaches ``threshold`` on a valid pixel."""
    confidence, label = probs.max(dim=1)
    return label, (confidence >= threshold) & valid


class FixMatch:
    """FixMatch (Sohn et al. 2020) with CutMix/CutOut strong views, as used for segmentation.

    Each step: the teacher labels the weak view; pixels whose top probability reaches
    ``threshold`` become targets; the student sees a strong view (same geometry applied to
    image and targets, plus colour, blur and CutMix or CutOut) and is trained on those targets.
    """

    name = "fixmatch"

    def __init__(
        self,
        threshold: float = 0.95,
        weight: float = 1.0,
        ratio: float = 0.5,
        ema: bool = True,
        momentum: float = 0.99,
        mix: str = "cutmix",
        generator: torch.Generator | None = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"ssl option threshold must lie in [0, 1], got {threshold}")
        if weight < 0:
            raise ConfigError(f"ssl option weight must be non-negative, got {weight}")
        if ratio <= 0:
            raise ConfigError(f"ssl option ratio must be positive, got {ratio}")
        if not 0.0 <= momentum < 1.0:
            raise ConfigError(f"ssl option momentum must lie in [0, 1), got {momentum}")
        if mix not in MIXES:
            raise ConfigError(f"ssl option mix must be one of {', '.join(MIXES)}, got '{mix}'")
        self.threshold, self.weight, self.mix = threshold, weight, mix
        self.unlabeled_ratio = ratio
        self.ema_momentum = momentum if ema else None
        self.generator = generator

    def loss(
        self, batch: UnlabeledBatch, student: Predict, teacher: Predict
    ) -> tuple[dict[str, Any], dict[str, float]]:
        """The weighted unsupervised loss of one unlabeled batch, and pseudo-label statistics."""
        valid = batch.valid
        with torch.no_grad():
            probs = teacher(batch.images).float().softmax(dim=1)
            label, confident = pseudo_labels(probs, self.threshold, valid)
            stats = self._stats(label, confident, batch)
            strong, (target, keep_conf, keep_valid), trusted = strong_view(
                batch.images, [label, confident, valid], mix=self.mix, generator=self.generator
            )
            mask = keep_conf & trusted
            denominator = int((keep_valid & trusted).sum())
        if self.weight == 0 or not bool(mask.any()):
            zero = torch.zeros((), device=batch.images.device)
            return {"loss_ssl": zero}, {**stats, "active_fraction": 0.0}
        logits = student(strong)
        loss = self.weight * masked_cross_entropy(logits, target, mask, denominator)
        stats["active_fraction"] = float(mask.sum()) / max(denominator, 1)
        return {"loss_ssl": loss}, stats

    def _stats(self, label: torch.Tensor, confident: torch.Tensor, batch: UnlabeledBatch) -> dict[str, float]:
        """Confident fraction on the weak view; pseudo-label accuracy where ground truth exists."""
        n_valid = int(batch.valid.sum())
        stats = {"confident_fraction": float(confident.sum()) / max(n_valid, 1)}
        if batch.labels is not None:
            known = batch.valid & (batch.labels != batch.ignore_index)
            correct = label == batch.labels
            if bool(known.any()):
                stats["pseudo_label_acc_all"] = float((correct & known).sum()) / int(known.sum())
            scored = known & confident
            if bool(scored.any()):
                stats["pseudo_label_acc"] = float((correct & scored).sum()) / int(scored.sum())
        return stats
