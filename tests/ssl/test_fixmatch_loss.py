"""FixMatch's loss: only confident pixels supervise, and nothing confident means no loss at all."""

from __future__ import annotations

import pytest
import torch

from alcore.plugins import get_registry
from alcore.sdk.errors import ConfigError
from alcore.sdk.ssl import SSLMethod, UnlabeledBatch
from alcore_ssl.fixmatch import FixMatch, masked_cross_entropy, pseudo_labels

K, H, W = 3, 16, 24


class BiasStudent(torch.nn.Module):
    """Predicts the same learnable logits everywhere, so the expected loss has a closed form."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.tensor([0.3, -0.2, 0.1]))
        self.calls = 0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.bias.view(1, K, 1, 1).expand(images.shape[0], K, *images.shape[2:])


def teacher_logits(confident_class: int | None, n: int = 2) -> torch.Tensor:
    """Image 0: ``confident_class`` with probability ~0.998 everywhere (or uniform); others uniform."""
    logits = torch.zeros(n, K, H, W)
    if confident_class is not None:
        logits[0, confident_class] = 7.0
    return logits


def batch(n: int = 2, labels: torch.Tensor | None = None) -> UnlabeledBatch:
    images = torch.rand(n, 3, H, W, generator=torch.Generator().manual_seed(0)) * 255
    return UnlabeledBatch(images=images, valid=torch.ones(n, H, W, dtype=torch.bool), labels=labels)


def test_pseudo_labels_threshold_is_inclusive_and_respects_padding() -> None:
    probs = torch.tensor([[0.5, 0.95, 0.2], [0.5, 0.05, 0.8]]).view(1, 2, 1, 3)
    valid = torch.tensor([[[True, True, False]]])
    label, confident = pseudo_labels(probs, 0.8, valid)
    assert label.tolist() == [[[0, 0, 1]]]
    assert confident.tolist() == [[[False, True, False]]]


def test_loss_counts_confident_pixels_only() -> None:
    student = BiasStudent()
    logits = teacher_logits(2)
    method = FixMatch(threshold=0.9, weight=2.0, mix="none", generator=torch.Generator().manual_seed(0))
    labels = torch.full((2, H, W), 2)
    labels[0, :4] = 1
    labels[1] = 255
    losses, stats = method.loss(batch(labels=labels), student, lambda x: logits)

    ce = -torch.log_softmax(student.bias.detach(), 0)[2]
    assert torch.allclose(losses["loss_ssl"], 2.0 * 0.5 * ce)
    assert stats["confident_fraction"] == pytest.approx(0.5)
    assert stats["active_fraction"] == pytest.approx(0.5)
    assert stats["pseudo_label_acc"] == pytest.approx(1 - 4 / H)
    assert stats["pseudo_label_acc_all"] == pytest.approx(1 - 4 / H)

    losses["loss_ssl"].backward()
    expected = 2.0 * 0.5 * (torch.softmax(student.bias.detach(), 0) - torch.eye(K)[2])
    assert torch.allclose(student.bias.grad, expected, atol=1e-6)


def test_no_confident_pixel_gives_exactly_zero_loss_and_no_gradient() -> None:
    student = BiasStudent()
    method = FixMatch(threshold=0.99)
    losses, stats = method.loss(batch(), student, lambda x: teacher_logits(None))
    assert losses["loss_ssl"].item() == 0.0
    assert not losses["loss_ssl"].requires_grad
    assert student.calls == 0
    assert stats["confident_fraction"] == 0.0 and "pseudo_label_acc" not in stats

    logits = torch.randn(2, K, H, W, requires_grad=True)
    zero = masked_cross_entropy(
        logits, torch.zeros(2, H, W, dtype=torch.long), torch.zeros(2, H, W, dtype=torch.bool), 2 * H * W
    )
    zero.backward()
    assert zero.item() == 0.0 and torch.count_nonzero(logits.grad) == 0


def test_padding_is_never_a_pseudo_label() -> None:
    student = BiasStudent()
    b = batch()
    b.valid[0] = False
    method = FixMatch(threshold=0.9, mix="none")
    losses, stats = method.loss(b, student, lambda x: teacher_logits(2))
    assert losses["loss_ssl"].item() == 0.0 and stats["confident_fraction"] == 0.0


def test_registered_as_a_plugin_with_documented_options() -> None:
    reg = get_registry().get("ssl", "fixmatch")
    assert {p.name for p in reg.params} == {"threshold", "weight", "ratio", "ema", "momentum", "mix"}
    method = reg.build({"threshold": "0.8", "ratio": "0.5", "ema": "false", "mix": "cutout"})
    assert isinstance(method, SSLMethod)
    assert (method.threshold, method.unlabeled_ratio, method.ema_momentum) == (0.8, 0.5, None)
    assert reg.build({}).ema_momentum == 0.99
    assert get_registry().get("ssl", "none").build({}) is None
    with pytest.raises(ConfigError, match="threshold"):
        reg.build({"threshold": "1.5"})
    with pytest.raises(ConfigError, match="mix"):
        reg.build({"mix": "mosaic"})
