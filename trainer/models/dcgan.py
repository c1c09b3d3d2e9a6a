"""DCGAN (Radford et al. 2016) generator and discriminator for 64 or 128 px images.

G: latent -> 4x4 -> transposed convs with batch norm and ReLU, doubling the size each step -> tanh.
D: the mirror image with strided convs and leaky ReLU; optional spectral norm (then no batch norm).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def _levels(size: int) -> int:
    levels = int(math.log2(size)) - 2  # 4 -> size doublings
    if 2 ** (levels + 2) != size or levels < 1:
        raise ValueError(f"--size must be a power of two >= 8, not {size}")
    return levels


def _channels(width: int, level: int, max_channels: int) -> int:
    """Channels at `level` doublings from the 4x4 end: width, 2*width, 4*width ... capped."""
    return min(max_channels, width * 2**level)


class Generator(nn.Module):
    def __init__(self, size: int = 64, latent_size: int = 128, width: int = 64, max_channels: int = 512):
        super().__init__()
        levels = _levels(size)
        self.latent_size = latent_size
        top = _channels(width, levels - 1, max_channels)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_size, top, 4, 1, 0, bias=False),
            nn.BatchNorm2d(top),
            nn.ReLU(True),
        ]
        for level in range(levels - 1, 0, -1):
            inputs, outputs = _channels(width, level, max_channels), _channels(width, level - 1, max_channels)
            layers += [nn.ConvTranspose2d(inputs, outputs, 4, 2, 1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(width, 3, 4, 2, 1, bias=False), nn.Tanh()]
        self.network = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.network(latent.reshape(latent.shape[0], self.latent_size, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, size: int = 64, width: int = 64, max_channels: int = 512, use_spectral_norm: bool = False):
        super().__init__()
        levels = _levels(size)
        wrap = spectral_norm if use_spectral_norm else (lambda layer: layer)
        layers: list[nn.Module] = [wrap(nn.Conv2d(3, width, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        for level in range(1, levels):
            inputs, outputs = _channels(width, level - 1, max_channels), _channels(width, level, max_channels)
            layers.append(wrap(nn.Conv2d(inputs, outputs, 4, 2, 1, bias=use_spectral_norm)))
            if not use_spectral_norm:
                layers.append(nn.BatchNorm2d(outputs))
            layers.append(nn.LeakyReLU(0.2, True))
        layers.append(wrap(nn.Conv2d(_channels(width, levels - 1, max_channels), 1, 4, 1, 0)))
        self.network = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images).flatten(1).mean(1)  # one logit per image


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) weights, as in the DCGAN paper."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        weight = module.parametrizations.weight.original if hasattr(module, "parametrizations") else module.weight
        nn.init.normal_(weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
