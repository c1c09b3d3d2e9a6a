"""Loss functions shared by recipes: Gram-matrix style loss, total variation, GAN objectives, R1."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] -> [N, C, C], normalised by C*H*W so layers of any size weigh alike."""
    batch, channels, height, width = features.shape
    flat = features.reshape(batch, channels, height * width).float()
    return flat @ flat.transpose(1, 2) / (channels * height * width)


def total_variation(images: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels: penalises high-frequency noise."""
    return (images[..., 1:, :] - images[..., :-1, :]).abs().mean() + (
        images[..., :, 1:] - images[..., :, :-1]
    ).abs().mean()


def discriminator_loss(
    kind: str,
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_target: torch.Tensor | float = 1.0,
    fake_target: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """D's loss for `kind` in {"bce", "hinge", "lsgan"}.

    For "bce" and "lsgan" the targets may be soft (one-sided label smoothing: real_target 0.9) or noisy
    (per-sample tensors with some labels flipped); hinge has no targets.
    """
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    real_target = torch.as_tensor(real_target, dtype=real_logits.dtype, device=real_logits.device).expand_as(
        real_logits
    )
    fake_target = torch.as_tensor(fake_target, dtype=fake_logits.dtype, device=fake_logits.device).expand_as(
        fake_logits
    )
    if kind == "lsgan":
        return 0.5 * ((real_logits - real_target) ** 2).mean() + 0.5 * ((fake_logits - fake_target) ** 2).mean()
    return F.binary_cross_entropy_with_logits(real_logits, real_target) + F.binary_cross_entropy_with_logits(
        fake_logits, fake_target
    )


def generator_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """G's loss: non-saturating (-log D(G(z))) for "bce", -D(G(z)) for "hinge", (D(G(z))-1)^2 for "lsgan"."""
    if kind == "hinge":
        return -fake_logits.mean()
    if kind == "lsgan":
        return 0.5 * ((fake_logits - 1) ** 2).mean()
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """Mesheder et al.'s R1: squared gradient norm of D on real images (real_images must require grad)."""
    (gradient,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return gradient.pow(2).flatten(1).sum(1).mean()


def rgb_to_yuv(images: torch.Tensor) -> torch.Tensor:
    """[N, 3, H, W] RGB in [-1, 1] -> YUV (BT.601), Y in [-1, 1] and U, V roughly in [-0.9, 0.9]."""
    matrix = images.new_tensor([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]])
    return torch.einsum("ij,njhw->nihw", matrix, images)


def chroma_loss(painted: torch.Tensor, photos: torch.Tensor) -> torch.Tensor:
    """L1 distance of the U and V channels (AnimeGAN's colour loss without its Y term): holds hues to the photo's,
    against colour drift, red patches and coloured speckle, while leaving brightness and texture free to change.
    L1, not AnimeGAN's Huber: chroma differences are small (|U|, |V| < 0.9), where a Huber loss is quadratic and
    its gradient vanishes (a run with Huber painted multicoloured speckle into greyscale photos)."""
    return F.l1_loss(rgb_to_yuv(painted)[:, 1:], rgb_to_yuv(photos)[:, 1:])


def to_grey(images: torch.Tensor) -> torch.Tensor:
    """[N, 3, H, W] -> [N, 1, H, W] luma: a critic of grey images judges strokes and edges, not colour."""
    return rgb_to_yuv(images)[:, :1]
