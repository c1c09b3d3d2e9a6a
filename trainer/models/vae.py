"""A colour convolutional VAE: conv encoder -> (mu, logvar) -> upsample+conv decoder."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .dcgan import _levels


class Encoder(nn.Module):
    def __init__(self, size: int = 64, latent_size: int = 128, width: int = 32, max_channels: int = 256):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for level in range(_levels(size)):
            outputs = min(max_channels, width * 2**level)
            layers += [nn.Conv2d(channels, outputs, 4, 2, 1), nn.BatchNorm2d(outputs), nn.LeakyReLU(0.2, True)]
            channels = outputs
        self.network = nn.Sequential(*layers)
        self.to_stats = nn.Linear(channels * 16, 2 * latent_size)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_stats(self.network(images).flatten(1)).chunk(2, dim=1)
        return mu, logvar.clamp(-30, 20)


class Decoder(nn.Module):
    def __init__(self, size: int = 64, latent_size: int = 128, width: int = 32, max_channels: int = 256):
        super().__init__()
        levels = _levels(size)
        self.top = min(max_channels, width * 2 ** (levels - 1))
        self.from_latent = nn.Linear(latent_size, self.top * 16)
        layers: list[nn.Module] = []
        channels = self.top
        for level in range(levels - 1, -1, -1):
            outputs = min(max_channels, width * 2 ** max(level - 1, 0))
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(channels, outputs, 3, 1, 1),
                nn.BatchNorm2d(outputs),
                nn.LeakyReLU(0.2, True),
            ]
            channels = outputs
        layers += [nn.Conv2d(channels, 3, 3, 1, 1), nn.Tanh()]
        self.network = nn.Sequential(*layers)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.network(self.from_latent(latent).reshape(-1, self.top, 4, 4))


class Reconstructor(nn.Module):
    """Image of any size -> its VAE reconstruction at the same size (squashed to the VAE's size and back)."""

    def __init__(self, encoder: Encoder, decoder: Decoder, size: int):
        super().__init__()
        self.encoder, self.decoder, self.size = encoder, decoder, size

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2:]
        squashed = F.interpolate(
            images, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True
        )
        mu, _ = self.encoder(squashed)
        return F.interpolate(self.decoder(mu), size=(height, width), mode="bilinear", align_corners=False)
