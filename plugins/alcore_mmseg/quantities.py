"""Built-in per-sample quantities, each a function of one batch's forward output.

Every function receives a :class:`ForwardOutput` and returns a tensor with one row per image.
A function that needs more than the plain prediction declares the extra *views* of the batch it
reads with :func:`needs` (a ``views`` attribute); the model computes only the views some
requested quantity declares, inside the same scoring pass:

``flip``
    the horizontally flipped images ride in the same forward batch as the originals, so the
    backbone runs once per batch on twice the images (``out.flip_logits``).
``mc_dropout``
    ``mc_samples`` stochastic passes with dropout active in the decode head only. The backbone
    and the head's deterministic layers run once; only the stochastic part (for MMSeg heads the
    dropout before the 1×1 classifier) runs ``T`` times on the cached features, which costs a
    small fraction of a full forward pass (``out.mc_mean_probs``, ``out.mc_mean_entropy``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

#: the extra views a quantity may ask for
VIEWS = ("flip", "mc_dropout")


@dataclass
class ForwardOutput:
    """What one batched inference pass yields: class probabilities, pooled features, extra views."""

    logits: torch.Tensor  # B x C x H x W at input resolution
    embedding: torch.Tensor  # B x D, decoder features before the classifier, averaged over pixels
    backbone_embedding: torch.Tensor  # B x D', one backbone stage, averaged over pixels
    flip_logits: torch.Tensor | None = None  # B x C x H x W, prediction of the flipped image, flipped back
    mc_mean_probs: torch.Tensor | None = None  # B x C x H x W, mean softmax over the MC-dropout passes
    mc_mean_entropy: torch.Tensor | None = None  # B x H x W, mean over passes of the pixel entropy
    mc_samples: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def probs(self) -> torch.Tensor:
        if "probs" not in self.extra:
            self.extra["probs"] = self.logits.float().softmax(dim=1)
        return self.extra["probs"]


def needs(*views: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the extra views of the batch a quantity function reads (see the module docstring)."""
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view '{unknown[0]}'; known: {', '.join(VIEWS)}")

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.views = tuple(views)
        return fn

    return mark


def views_of(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The views a quantity function declared (none for a plain function)."""
    return tuple(getattr(fn, "views", ()))


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
    """One backbone stage (model option ``embedding_stage``, default the last), averaged over pixels."""
    return out.backbone_embedding


@needs("flip")
def equal(out: ForwardOutput) -> torch.Tensor:
    """EquAL's flip-equivariance score: mean over pixels of H(½ (p(x) + F⁻¹ p(F x))).

    ``p(x)`` is the softmax prediction of image ``x``, ``F`` the horizontal flip and ``F⁻¹ p(F x)``
    the prediction of the flipped image flipped back into ``x``'s frame; ``H`` is the pixelwise
    Shannon entropy (nats). A model that is confident and consistent under flipping scores
    low; uncertainty or disagreement between the two views raises the score.
    """
    mean = 0.5 * (out.probs + out.flip_logits.float().softmax(dim=1))
    return pixel_entropy(mean).flatten(1).mean(dim=1)


@needs("mc_dropout")
def bald(out: ForwardOutput) -> torch.Tensor:
    """BALD: mean over pixels of the mutual information H(E_t p_t) - E_t H(p_t) over MC-dropout passes."""
    info = pixel_entropy(out.mc_mean_probs) - out.mc_mean_entropy
    return info.clamp_min(0.0).flatten(1).mean(dim=1)


BUILTIN = {
    "entropy": (entropy, "mean pixel entropy of the predicted class distribution"),
    "entropy_normalized": (entropy_normalized, "mean pixel entropy / log(num classes)"),
    "margin": (margin, "mean over pixels of 1 - (top-1 minus top-2 probability)"),
    "class_histogram": (class_histogram, "fraction of pixels predicted as each class"),
    "embedding": (embedding, "pooled decoder features before the classifier"),
    "backbone_embedding": (backbone_embedding, "pooled features of one backbone stage"),
    "equal": (equal, "EquAL: mean pixel entropy of the mean of the image's and its flip's prediction"),
    "bald": (bald, "BALD mutual information from mc_samples MC-dropout passes of the decode head"),
}
