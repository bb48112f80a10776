"""Built-in per-sample quantities, each a function of one batch's forward output.

Every function receives a :class:`ForwardOutput` and returns a tensor with one row per image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


@dataclass
class ForwardOutput:
    """What one batched inference pass yields: class probabilities and pooled features."""

    logits: torch.Tensor  # B x C x H x W at input resolution
    embedding: torch.Tensor  # B x D, decoder features before the classifier, averaged over pixels
    backbone_embedding: torch.Tensor  # B x D', last backbone stage, averaged over pixels
    extra: dict = field(default_factory=dict)

    @property
    def probs(self) -> torch.Tensor:
        if "probs" not in self.extra:
            self.extra["probs"] = self.logits.float().softmax(dim=1)
        return self.extra["probs"]


def pixel_entropy(probs: torch.Tensor) -> torch.Tensor:
    """Shannon entropy (nats) of each pixel's class distribution: B x H x W."""
    return -(probs * probs.clamp_min(1e-12).log()).sum(dim=1)


def entropy(out: ForwardOutput) -> torch.Tensor:
    """Mean pixel entropy of each image."""
    return pixel_entropy(out.probs).flatten(1).mean(dim=1)


def entropy_normalized(out: ForwardOutput) -> torch.Tensor:
    """Mean pixel entropy divided by its maximum, log(C), so it lies in [0, 1] for any class count."""
    return entropy(out) / math.log(out.probs.shape[1])


def margin(out: ForwardOutput) -> torch.Tensor:
    """Mean over pixels of (1 - (p_top1 - p_top2)): high where the two best classes are close."""
    top2 = out.probs.topk(2, dim=1).values
    return (1.0 - (top2[:, 0] - top2[:, 1])).flatten(1).mean(dim=1)


def class_histogram(out: ForwardOutput) -> torch.Tensor:
    """Fraction of pixels predicted as each class: B x C."""
    pred = out.logits.argmax(dim=1)
    num_classes = out.logits.shape[1]
    onehot = torch.nn.functional.one_hot(pred.flatten(1), num_classes)
    return onehot.float().mean(dim=1)


def embedding(out: ForwardOutput) -> torch.Tensor:
    """Decoder features before the classifier, averaged over pixels (core-set's default space)."""
    return out.embedding


def backbone_embedding(out: ForwardOutput) -> torch.Tensor:
    """Last backbone stage, averaged over pixels."""
    return out.backbone_embedding


BUILTIN = {
    "entropy": (entropy, "mean pixel entropy of the predicted class distribution"),
    "entropy_normalized": (entropy_normalized, "mean pixel entropy / log(num classes)"),
    "margin": (margin, "mean over pixels of 1 - (top-1 minus top-2 probability)"),
    "class_histogram": (class_histogram, "fraction of pixels predicted as each class"),
    "embedding": (embedding, "pooled decoder features before the classifier"),
    "backbone_embedding": (backbone_embedding, "pooled features of the last backbone stage"),
}
