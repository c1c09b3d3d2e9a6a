"""Projected discriminator (Sauer et al. 2021, "Projected GANs Converge Faster"), on the frozen MobileNetV2.

A PatchGAN learns its features from the few hundred paintings it sees and soon judges only local texture. Here
the critic looks at ImageNet features instead: small trainable heads on three frozen MobileNetV2 stages (local
texture at stride 8, parts at stride 16, the whole picture at stride 32). Fixed random 1x1 mixings of the
channels before each head (the paper's cross-channel mixing) stop the heads from leaning on a few features.
Only the heads train, so a step costs one frozen MobileNetV2 pass more than the images alone.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .mobilenet_v2 import FeatureNetwork

STAGES = {"block6": 32, "block13": 96, "head": 1280}  # FeatureNetwork layer -> its channels
MIN_SIZE = 128  # smaller images are upsampled first: at 64 px the stride-32 stage would see 2x2 cells


class FeatureHead(nn.Module):
    def __init__(self, channels: int, mixed: int, width: int):
        super().__init__()
        self.mixing = nn.Conv2d(channels, mixed, 1, bias=False)
        self.mixing.requires_grad_(False)  # a fixed random projection, never trained
        self.network = nn.Sequential(
            spectral_norm(nn.Conv2d(mixed, width, 3, 1, 1)),
            nn.LeakyReLU(0.2, True),
            spectral_norm(nn.Conv2d(width, width, 3, 1, 1)),
            nn.LeakyReLU(0.2, True),
            spectral_norm(nn.Conv2d(width, 1, 1)),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.network(self.mixing(features))


class ProjectedDiscriminator(nn.Module):
    def __init__(self, weights: Path | None, width: int = 64):
        super().__init__()
        self.features = FeatureNetwork(weights)
        self.heads = nn.ModuleDict(
            {name: FeatureHead(channels, min(channels, 256), width) for name, channels in STAGES.items()}
        )

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """One map of real/fake logits per stage, coarser maps judging larger regions."""
        if images.shape[-1] < MIN_SIZE:
            images = F.interpolate(images, size=MIN_SIZE, mode="bilinear", align_corners=False)
        features = self.features(images, tuple(STAGES))
        return [head(features[name]) for name, head in self.heads.items()]
