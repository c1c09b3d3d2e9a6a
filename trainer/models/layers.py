"""Building blocks shared by the image-to-image networks."""

from __future__ import annotations

import torch
from torch import nn


class PixelNorm(nn.Module):
    """Scales each pixel's feature vector to unit RMS over the channels (ProGAN, Karras et al. 2018).

    Keeps signal magnitudes from escalating like a norm layer, but uses no statistics over space, so one part
    of the image cannot change another's scale."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


NORMS = {"instance": lambda channels: nn.InstanceNorm2d(channels, affine=True), "pixel": lambda channels: PixelNorm()}


def conv_norm_relu(
    inputs: int, outputs: int, kernel: int = 3, stride: int = 1, norm: str = "instance"
) -> nn.Sequential:
    """Reflection-padded conv + normalisation (see NORMS) + ReLU: no zero borders, no batch statistics."""
    return nn.Sequential(
        nn.ReflectionPad2d(kernel // 2),
        nn.Conv2d(inputs, outputs, kernel, stride),
        NORMS[norm](outputs),
        nn.ReLU(inplace=True),
    )


def upsample_conv(inputs: int, outputs: int) -> nn.Sequential:
    """Nearest-neighbour x2 then conv: the checkerboard-free alternative to a transposed conv (Odena et al.)."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv_norm_relu(inputs, outputs))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_norm_relu(channels, channels),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)
