"""PatchGAN discriminator (pix2pix): with 3 stride-2 layers its outputs each see a 70x70 patch."""

from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    def __init__(self, width: int = 64, layers: int = 3):
        super().__init__()
        blocks: list[nn.Module] = [nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        channels = width
        for index in range(1, layers + 1):
            outputs = width * min(2**index, 8)
            stride = 2 if index < layers else 1
            blocks += [nn.Conv2d(channels, outputs, 4, stride, 1), nn.InstanceNorm2d(outputs, affine=True),
                       nn.LeakyReLU(0.2, True)]  # fmt: skip
            channels = outputs
        blocks.append(nn.Conv2d(channels, 1, 4, 1, 1))
        self.network = nn.Sequential(*blocks)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)  # a map of real/fake logits, one per 70x70 patch
