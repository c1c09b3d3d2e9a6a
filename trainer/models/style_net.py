"""Johnson et al.'s fast style transfer network: downsample x4, residual blocks, upsample+conv back."""

from __future__ import annotations

import torch
from torch import nn

from .layers import ResidualBlock, conv_norm_relu, upsample_conv


class StyleNet(nn.Module):
    SIZE_MULTIPLE = 4  # two stride-2 convs

    def __init__(self, width: int = 32, residual_blocks: int = 5):
        super().__init__()
        self.network = nn.Sequential(
            conv_norm_relu(3, width, kernel=9),
            conv_norm_relu(width, width * 2, stride=2),
            conv_norm_relu(width * 2, width * 4, stride=2),
            *[ResidualBlock(width * 4) for _ in range(residual_blocks)],
            upsample_conv(width * 4, width * 2),
            upsample_conv(width * 2, width),
            nn.ReflectionPad2d(4),
            nn.Conv2d(width, 3, 9),
            nn.Tanh(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)
