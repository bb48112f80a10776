"""Batched tensor augmentations for consistency training: geometry shared by image and label maps.

Everything works on whole batches (B×3×H×W images, RGB 0..255, and B×H×W maps) with one set of
random parameters per image, so a strong view costs a few elementwise kernels, not a Python loop.
Geometry is one affine warp per image applied to the image (bilinear) and to every map (nearest),
which keeps pseudo-labels aligned with the pixels they supervise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

#: ITU-R 601 luma weights, to grey an RGB image
_LUMA = (0.299, 0.587, 0.114)
_BLUR_RADIUS = 6


def _uniform(
    n: int, low: float, high: float, generator: torch.Generator | None, device: torch.device
) -> torch.Tensor:
    """``n`` draws from U(low, high), on the generator's device, moved to ``device``."""
    return (torch.rand(n, generator=generator) * (high - low) + low).to(device)


def _coin(n: int, prob: float, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """``n`` independent Bernoulli(prob) draws as a bool tensor."""
    return (torch.rand(n, generator=generator) < prob).to(device)


def sample_geometry(
    n: int,
    scale: tuple[float, float] = (1.0, 1.5),
    flip_prob: float = 0.5,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Random zoom-in crops with horizontal flips, as ``n`` affine matrices (n×2×3) for ``geometric``.

    A zoom ``s`` shows 1/s of the image's width and height at a random position that stays
    inside the image, so every output pixel has a source pixel.
    """
    device = torch.device(device)
    s = _uniform(n, scale[0], scale[1], generator, device)
    flip = torch.where(_coin(n, flip_prob, generator, device), -1.0, 1.0)
    room = (1.0 - 1.0 / s).clamp(min=0.0)
    tx = (_uniform(n, -1.0, 1.0, generator, device)) * room
    ty = (_uniform(n, -1.0, 1.0, generator, device)) * room
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = flip / s
    theta[:, 0, 2] = tx
    theta[:, 1, 1] = 1.0 / s
    theta[:, 1, 2] = ty
    return theta


def _restore(m: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A nearest-sampled float map back in its original dtype."""
    if dtype == torch.bool:
        return m > 0.5
    if not dtype.is_floating_point:
        return m.round().to(dtype)
    return m.to(dtype)


def geometric(
    images: torch.Tensor, maps: Sequence[torch.Tensor], theta: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
    """Apply one affine map per image to the image and its maps; also return where data exists.

    All maps share one sampling grid and one nearest-neighbour pass (stacked as channels).
    """
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    ones = torch.ones(images.shape[0], *images.shape[2:], device=images.device)
    stacked = torch.stack([ones, *(m.to(torch.float32) for m in maps)], dim=1)
    warped = F.grid_sample(stacked, grid.float(), mode="nearest", padding_mode="zeros", align_corners=False)
    moved = [_restore(warped[:, i + 1], m.dtype) for i, m in enumerate(maps)]
    return out, moved, warped[:, 0] > 0.5


def _grey(images: torch.Tensor) -> torch.Tensor:
    w = torch.tensor(_LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * w).sum(1, keepdim=True)


def _per_image(values: torch.Tensor, apply: torch.Tensor) -> torch.Tensor:
    """Per-image factors as B×1×1×1, replaced by the identity 1 where ``apply`` is False."""
    return torch.where(apply, values, torch.ones_like(values)).view(-1, 1, 1, 1)


def blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur with one ``sigma`` (pixels) per image; sigma 0 leaves it unchanged."""
    b, c, h, w = images.shape
    r = min(_BLUR_RADIUS, (min(h, w) - 1))
    offsets = torch.arange(-r, r + 1, dtype=images.dtype, device=images.device)
    s = sigma.to(images.dtype).clamp(min=1e-3).view(-1, 1)
    kernel = torch.exp(-0.5 * (offsets / s) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)
    kernel = kernel.repeat_interleave(c, dim=0)
    x = images.reshape(1, b * c, h, w)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), kernel.view(b * c, 1, 1, -1), groups=b * c)
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), kernel.view(b * c, 1, -1, 1), groups=b * c)
    return x.view(b, c, h, w)


def photometric(
    images: torch.Tensor,
    generator: torch.Generator | None = None,
    jitter_prob: float = 0.8,
    grey_prob: float = 0.2,
    blur_prob: float = 0.5,
    strength: float = 0.5,
    sigma: tuple[float, float] = (0.1, 2.0),
) -> torch.Tensor:
    """Colour jitter (brightness, contrast, saturation), random greyscale and Gaussian blur."""
    n, dev = images.shape[0], images.device
    jitter = _coin(n, jitter_prob, generator, dev)
    bright = _per_image(_uniform(n, 1 - strength, 1 + strength, generator, dev), jitter)
    contrast = _per_image(_uniform(n, 1 - strength, 1 + strength, generator, dev), jitter)
    saturation = _per_image(_uniform(n, 1 - strength, 1 + strength, generator, dev), jitter)
    grey = _coin(n, grey_prob, generator, dev).view(-1, 1, 1, 1)
    blurred = _coin(n, blur_prob, generator, dev)
    sigmas = _uniform(n, sigma[0], sigma[1], generator, dev)

    x = (images * bright).clamp(0, 255)
    mean = _grey(x).mean(dim=(2, 3), keepdim=True)
    x = ((x - mean) * contrast + mean).clamp(0, 255)
    g = _grey(x)
    x = ((x - g) * saturation + g).clamp(0, 255)
    x = torch.where(grey, _grey(x).expand_as(x), x)
    if bool(blurred.any()):
        x = torch.where(blurred.view(-1, 1, 1, 1), blur(x, sigmas), x)
    return x


def boxes(
    n: int,
    height: int,
    width: int,
    prob: float = 0.5,
    area: tuple[float, float] = (0.02, 0.4),
    aspect: tuple[float, float] = (0.3, 1 / 0.3),
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """One random rectangle per image (with probability ``prob``) as an n×H×W bool mask."""
    device = torch.device(device)
    a = _uniform(n, area[0], area[1], generator, device) * height * width
    r = torch.exp(_uniform(n, math.log(aspect[0]), math.log(aspect[1]), generator, device))
    bw = (a * r).sqrt().clamp(1, width)
    bh = (a / r).sqrt().clamp(1, height)
    x0 = _uniform(n, 0.0, 1.0, generator, device) * (width - bw)
    y0 = _uniform(n, 0.0, 1.0, generator, device) * (height - bh)
    xs = torch.arange(width, device=device).view(1, 1, -1)
    ys = torch.arange(height, device=device).view(1, -1, 1)
    inside = (
        (xs >= x0.view(-1, 1, 1))
        & (xs < (x0 + bw).view(-1, 1, 1))
        & (ys >= y0.view(-1, 1, 1))
        & (ys < (y0 + bh).view(-1, 1, 1))
    )
    return inside & _coin(n, prob, generator, device).view(-1, 1, 1)


def cutmix(
    images: torch.Tensor, maps: Sequence[torch.Tensor], box: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Paste each image's box from the next image of the batch, into the image and all its maps."""
    partner = torch.roll(torch.arange(images.shape[0], device=images.device), -1)
    out = torch.where(box[:, None], images[partner], images)
    return out, [torch.where(box, m[partner], m) for m in maps]


def strong_view(
    images: torch.Tensor,
    maps: Sequence[torch.Tensor],
    mix: str = "cutmix",
    colour: bool = True,
    scale: tuple[float, float] = (1.0, 1.5),
    mix_prob: float = 0.5,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
    """A strongly augmented view of a batch and its maps, plus where its maps may be trusted.

    Geometry (flip, zoom-crop) and CutMix move image and maps together; colour changes and blur
    touch the image only; CutOut greys a box and marks it untrusted. ``mix`` is ``cutmix``,
    ``cutout`` or ``none``.
    """
    n, _, h, w = images.shape
    theta = sample_geometry(n, scale, 0.5, generator, images.device)
    x, out_maps, trusted = geometric(images, maps, theta)
    if colour:
        x = photometric(x, generator)
    if mix != "none":
        box = boxes(n, h, w, mix_prob, generator=generator, device=images.device)
        if mix == "cutmix":
            x, mixed = cutmix(x, [*out_maps, trusted], box)
            out_maps, trusted = mixed[:-1], mixed[-1]
        elif mix == "cutout":
            x = torch.where(box[:, None], torch.full_like(x, 127.5), x)
            trusted = trusted & ~box
        else:
            raise ValueError(f"unknown mix '{mix}': expected cutmix, cutout or none")
    return x, out_maps, trusted
