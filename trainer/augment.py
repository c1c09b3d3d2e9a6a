"""DiffAugment (Zhao et al. 2020): differentiable augmentations applied to real and fake images alike.

With few training images a discriminator memorises them; augmenting both sides of D's input (and G's
gradient path) stops that without leaking augmentations into the generator's output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def brightness(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.rand(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)


def saturation(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (torch.rand(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype) * 2) + mean


def contrast(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean


def translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift by up to `ratio` of the size, filling with zeros (grey in [-1, 1])."""
    batch, _, height, width = x.shape
    shift_y, shift_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = torch.randint(-shift_y, shift_y + 1, (batch, 1, 1), device=x.device)
    dx = torch.randint(-shift_x, shift_x + 1, (batch, 1, 1), device=x.device)
    grid_b, grid_y, grid_x = torch.meshgrid(
        torch.arange(batch, device=x.device),
        torch.arange(height, device=x.device),
        torch.arange(width, device=x.device),
        indexing="ij",
    )
    grid_y = torch.clamp(grid_y + dy + 1, 0, height + 1)
    grid_x = torch.clamp(grid_x + dx + 1, 0, width + 1)
    padded = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return padded.permute(0, 2, 3, 1).contiguous()[grid_b, grid_y, grid_x].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero (grey) a random rectangle of `ratio` x the size in each image; it may reach over the border."""
    batch, _, height, width = x.shape
    centre_y = torch.randint(0, height, (batch, 1, 1), device=x.device)
    centre_x = torch.randint(0, width, (batch, 1, 1), device=x.device)
    rows = torch.arange(height, device=x.device).view(1, height, 1)
    cols = torch.arange(width, device=x.device).view(1, 1, width)
    inside = ((rows - centre_y).abs() * 2 < height * ratio) & ((cols - centre_x).abs() * 2 < width * ratio)
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES = {"color": (brightness, saturation, contrast), "translation": (translation,), "cutout": (cutout,)}


def diff_augment(x: torch.Tensor, policy: str) -> torch.Tensor:
    """Apply the comma-separated policy (e.g. "color,translation,cutout"); "" returns x unchanged."""
    for name in filter(None, policy.split(",")):
        if name not in POLICIES:
            raise ValueError(f"unknown DiffAugment policy {name!r} (known: {', '.join(POLICIES)})")
        for function in POLICIES[name]:
            x = function(x)
    return x


def random_crops(images: torch.Tensor, size: int) -> torch.Tensor:
    """One random `size` x `size` crop per image (the loop's RNG state makes it repeat on --resume)."""
    height, width = images.shape[-2:]
    tops = torch.randint(0, height - size + 1, (len(images),)).tolist()
    lefts = torch.randint(0, width - size + 1, (len(images),)).tolist()
    return torch.stack(
        [image[:, top : top + size, left : left + size] for image, top, left in zip(images, tops, lefts)]
    )
