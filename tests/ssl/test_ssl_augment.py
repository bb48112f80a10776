"""Strong views move image and label maps together: position-encoding images make it checkable."""

from __future__ import annotations

import torch

from alcore_ssl.augment import boxes, cutmix, geometric, photometric, sample_geometry, strong_view


def position_batch(n: int = 4, h: int = 24, w: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose channels hold (x, y, image index) and labels holding the same as one integer."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    b = torch.arange(n).view(-1, 1, 1).expand(n, h, w)
    images = torch.stack([xs.expand(n, h, w), ys.expand(n, h, w), b * 10], dim=1).float()
    labels = (b * h + ys) * w + xs
    return images, labels


def decode(labels: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, ...]:
    return labels % w, (labels // w) % h, labels // (w * h)


def test_geometry_moves_image_and_labels_together() -> None:
    images, labels = position_batch()
    n, _, h, w = images.shape
    g = torch.Generator().manual_seed(3)
    theta = sample_geometry(n, scale=(1.3, 2.0), flip_prob=0.5, generator=g)
    theta[0, 0, 0] = -theta[0, 0, 0].abs()
    warped, (warped_labels,), inside = geometric(images, [labels], theta)

    assert inside.all()
    assert warped_labels.dtype == labels.dtype
    assert not torch.equal(warped_labels, labels)
    x, y, b = decode(warped_labels, h, w)
    assert (warped[:, 0] - x).abs().max() <= 1.0
    assert (warped[:, 1] - y).abs().max() <= 1.0
    assert torch.equal(b, torch.arange(n).view(-1, 1, 1).expand(n, h, w))
    # image 0 is flipped: x decreases along each row
    assert (x[0, :, 0] > x[0, :, -1]).all()


def test_cutmix_pastes_the_same_box_into_image_and_labels() -> None:
    images, labels = position_batch()
    n, _, h, w = images.shape
    box = boxes(n, h, w, prob=1.0, generator=torch.Generator().manual_seed(0))
    assert box.any(dim=(1, 2)).all() and not box.all()
    mixed, (mixed_labels,) = cutmix(images, [labels], box)
    x, y, b = decode(mixed_labels, h, w)
    assert torch.equal(mixed[:, 0], x.float()) and torch.equal(mixed[:, 1], y.float())
    assert torch.equal(mixed[:, 2], b.float() * 10)
    assert (b != torch.arange(n).view(-1, 1, 1)).sum() == box.sum()


def test_strong_view_without_colour_keeps_alignment_and_marks_cutout() -> None:
    images, labels = position_batch(n=6)
    n, _, h, w = images.shape
    valid = torch.ones(n, h, w, dtype=torch.bool)
    view, (lab, val), trusted = strong_view(
        images, [labels, valid], mix="cutmix", colour=False, generator=torch.Generator().manual_seed(1)
    )
    x, y, b = decode(lab, h, w)
    assert (view[:, 0] - x).abs().max() <= 1.0 and (view[:, 1] - y).abs().max() <= 1.0
    assert torch.allclose(view[:, 2], b.float() * 10, atol=1e-3)
    assert trusted.all() and val.all()

    images = torch.full((n, 3, h, w), 50.0)
    view, _, trusted = strong_view(
        images, [], mix="cutout", colour=False, mix_prob=1.0, generator=torch.Generator().manual_seed(2)
    )
    grey = (view == 127.5).all(dim=1)
    assert grey.any(dim=(1, 2)).all() and torch.equal(grey, ~trusted)
    assert torch.allclose(view[~grey[:, None].expand_as(view)], torch.tensor(50.0), atol=1e-3)


def test_photometric_changes_colours_only_within_range() -> None:
    images = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 255
    out = photometric(images, torch.Generator().manual_seed(1), jitter_prob=1.0, blur_prob=1.0)
    assert out.shape == images.shape
    assert out.min() >= 0 and out.max() <= 255
    assert not torch.allclose(out, images)
    same = photometric(images, jitter_prob=0.0, grey_prob=0.0, blur_prob=0.0)
    assert torch.allclose(same, images, atol=1e-3)
