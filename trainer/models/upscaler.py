"""Painting upscaler: a small residual network that works at the input's resolution and ends in a pixel shuffle
(ESPCN, Shi et al. 2016; EDSR's residual blocks without batch norm, Lim et al. 2017).

Every convolution runs on the small image, so the cost grows with the input's pixels, not the output's. The
network predicts only what a bilinear enlargement lacks (a global residual), so an untrained one is already a
plain enlargement and training adds the painted detail.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.1 * self.body(x)  # EDSR's residual scaling keeps a deep stack stable without norms


class Upscaler(nn.Module):
    def __init__(self, factor: int = 4, width: int = 32, blocks: int = 6):
        super().__init__()
        if factor < 2:
            raise ValueError(f"factor must be at least 2, not {factor}")
        self.factor = factor
        self.head = nn.Conv2d(3, width, 3, padding=1, padding_mode="reflect")
        self.body = nn.Sequential(*(ResidualBlock(width) for _ in range(blocks)))
        self.tail = nn.Sequential(
            nn.Conv2d(width, 3 * factor * factor, 3, padding=1, padding_mode="reflect"), nn.PixelShuffle(factor)
        )
        nn.init.zeros_(self.tail[0].weight)  # starts as the bilinear enlargement
        nn.init.zeros_(self.tail[0].bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.head(images)
        detail = self.tail(features + self.body(features))
        return F.interpolate(images, scale_factor=self.factor, mode="bilinear", align_corners=False) + detail
