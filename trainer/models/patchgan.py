"""PatchGAN discriminator (pix2pix): with 3 stride-2 layers its outputs each see a 70x70 patch."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm


class PatchDiscriminator(nn.Module):
    """`spectral=True` swaps the instance norms for spectral norm on every conv (Miyato et al. 2018): a
    Lipschitz-bounded critic that stays useful without the per-image statistics a generator can game."""

    def __init__(self, width: int = 64, layers: int = 3, channels: int = 3, spectral: bool = False):
        super().__init__()

        def conv(inputs: int, outputs: int, stride: int) -> nn.Module:
            layer = nn.Conv2d(inputs, outputs, 4, stride, 1)
            return spectral_norm(layer) if spectral else layer

        blocks: list[nn.Module] = [conv(channels, width, 2), nn.LeakyReLU(0.2, True)]
        previous = width
        for index in range(1, layers + 1):
            outputs = width * min(2**index, 8)
            blocks.append(conv(previous, outputs, 2 if index < layers else 1))
            if not spectral:
                blocks.append(nn.InstanceNorm2d(outputs, affine=True))
            blocks.append(nn.LeakyReLU(0.2, True))
            previous = outputs
        blocks.append(conv(previous, 1, 1))
        self.network = nn.Sequential(*blocks)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)  # a map of real/fake logits, one per 70x70 patch


class MultiScaleDiscriminator(nn.Module):
    """PatchGANs on the image and on its 2x, 4x ... downsampled copies (pix2pixHD): the small scales see
    composition and colour masses, the full scale sees edges and texture."""

    def __init__(self, scales: int = 2, **patch_options):
        super().__init__()
        self.critics = nn.ModuleList(PatchDiscriminator(**patch_options) for _ in range(scales))
        self.down = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        logits = []
        for critic in self.critics:
            logits.append(critic(images))
            images = self.down(images)
        return logits
