"""The residual encoder-decoder of Johnson et al., used by fast style transfer and by CycleGAN.

c{k}s1-w, two stride-2 convs (w*2, w*4), residual blocks at 1/4 resolution, two upsample+conv steps back
(not transposed convs: no checkerboard), c{k}s1-3 and tanh. Style transfer uses k=9, w=32, 5 blocks;
CycleGAN k=7, w=64, 9 blocks (6 at 128 px).
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ResidualBlock, conv_norm_relu, upsample_conv


class ResnetGenerator(nn.Module):
    SIZE_MULTIPLE = 4  # two stride-2 convs

    def __init__(self, width: int = 64, residual_blocks: int = 9, outer_kernel: int = 7):
        super().__init__()
        self.network = nn.Sequential(
            conv_norm_relu(3, width, kernel=outer_kernel),
            conv_norm_relu(width, width * 2, stride=2),
            conv_norm_relu(width * 2, width * 4, stride=2),
            *[ResidualBlock(width * 4) for _ in range(residual_blocks)],
            upsample_conv(width * 4, width * 2),
            upsample_conv(width * 2, width),
            nn.ReflectionPad2d(outer_kernel // 2),
            nn.Conv2d(width, 3, outer_kernel),
            nn.Tanh(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)
