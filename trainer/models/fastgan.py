"""FastGAN (Liu et al. 2021, "Towards Faster and Stabilized GAN Training for High-fidelity Few-shot Image
Synthesis"), scaled down for CPUs: a light generator with skip-layer excitation, and a discriminator that must
also reconstruct its input from its own features (so it learns to describe images, not to memorise them).

Sizes: any power of two from 32 to 256. Channels halve from --width at 8x8 as the maps grow (capped below).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def conv(inputs: int, outputs: int, kernel: int = 3, stride: int = 1, padding: int = 1) -> nn.Module:
    return spectral_norm(nn.Conv2d(inputs, outputs, kernel, stride, padding, bias=False))


def _levels(size: int) -> int:
    levels = int(math.log2(size))
    if 2**levels != size or not 32 <= size <= 256:
        raise ValueError(f"FastGAN size must be a power of two from 32 to 256, not {size}")
    return levels


class NoiseInjection(nn.Module):
    """Per-pixel noise with a learned strength (starts at 0): the variety of strokes and hair.

    Fresh noise while training; a fixed map in eval mode (StyleGAN's "const" noise), so that an exported sampler's
    image depends on its latent alone and `sample --seed` repeats."""

    def __init__(self, side: int):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(1))
        self.register_buffer("fixed", torch.randn(1, 1, side, side, generator=torch.Generator().manual_seed(side)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x + self.strength * self.fixed.to(x.dtype)
        batch, _, height, width = x.shape
        return x + self.strength * torch.randn(batch, 1, height, width, device=x.device, dtype=x.dtype)


class GLU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = x.shape[1] // 2
        return x[:, :half] * torch.sigmoid(x[:, half:])


def up_block(inputs: int, outputs: int, noise_side: int = 0) -> nn.Sequential:
    """x2 nearest, conv, (noise at maps of `noise_side`), batch norm, GLU: FastGAN's UpBlock / UpBlockComp."""
    layers = [nn.Upsample(scale_factor=2, mode="nearest"), conv(inputs, outputs * 2)]
    if noise_side:
        layers.append(NoiseInjection(noise_side))
    return nn.Sequential(*layers, nn.BatchNorm2d(outputs * 2), GLU())


class SkipExcitation(nn.Module):
    """Skip-layer excitation: a small map's channels gate a large map's (a cheap long-range skip)."""

    def __init__(self, small: int, large: int):
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4), conv(small, large, 4, 1, 0), nn.SiLU(), conv(large, large, 1, 1, 0), nn.Sigmoid()
        )

    def forward(self, small: torch.Tensor, large: torch.Tensor) -> torch.Tensor:
        return large * self.gate(small)


class Generator(nn.Module):
    def __init__(self, size: int = 128, latent_size: int = 128, width: int = 256, min_channels: int = 16):
        super().__init__()
        self.size, self.latent_size = size, latent_size
        levels = _levels(size)  # 2**levels = size; the 4x4 start is level 2
        self.channels = {level: max(min_channels, width >> max(0, level - 3)) for level in range(2, levels + 1)}
        self.start = nn.Sequential(
            spectral_norm(nn.ConvTranspose2d(latent_size, self.channels[2] * 2, 4, 1, 0, bias=False)),
            nn.BatchNorm2d(self.channels[2] * 2),
            GLU(),
        )
        self.ups = nn.ModuleDict(
            {
                str(level): up_block(
                    self.channels[level - 1], self.channels[level], noise_side=2**level if level <= 5 else 0
                )
                for level in range(3, levels + 1)
            }
        )
        # 4x4 gates 4 levels up (64 px), 8x8 gates 128 px, 16x16 gates 256 px, as far as the size reaches.
        self.excitations = nn.ModuleDict(
            {
                str(level): SkipExcitation(self.channels[level - 4], self.channels[level])
                for level in range(6, levels + 1)
            }
        )
        self.to_rgb = nn.Sequential(conv(self.channels[levels], 3, 3), nn.Tanh())

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        maps = {2: self.start(latent[:, :, None, None])}
        for level in range(3, len(self.channels) + 2):
            x = self.ups[str(level)](maps[level - 1])
            if str(level) in self.excitations:
                x = self.excitations[str(level)](maps[level - 4], x)
            maps[level] = x
        return self.to_rgb(maps[max(maps)])


def down_block(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(conv(inputs, outputs, 4, 2, 1), nn.BatchNorm2d(outputs), nn.LeakyReLU(0.2, inplace=True))


def decoder(inputs: int, size: int) -> nn.Sequential:
    """8x8 features -> a small image (FastGAN's SimpleDecoder, ending at `size` px)."""
    layers, channels, side = [], inputs, 8
    while side < size:
        outputs = max(16, channels // 2)
        layers.append(up_block(channels, outputs))
        channels, side = outputs, side * 2
    return nn.Sequential(*layers, conv(channels, 3, 3), nn.Tanh())


class Discriminator(nn.Module):
    """Strided convs to 8x8, patch logits there, and two decoders: the whole image from the 8x8 features, and
    one quadrant of the 16x16 features back to that quadrant of the image."""

    def __init__(self, size: int = 128, width: int = 32, max_channels: int = 256, reconstruction_size: int = 32):
        super().__init__()
        levels = _levels(size)
        channels = {levels: width}
        for level in range(levels - 1, 2, -1):
            channels[level] = min(max_channels, channels[level + 1] * 2)
        self.stem = nn.Sequential(conv(3, width, 3), nn.LeakyReLU(0.2, inplace=True))
        self.downs = nn.ModuleDict(
            {str(level): down_block(channels[level + 1], channels[level]) for level in range(levels - 1, 2, -1)}
        )
        self.logits = conv(channels[3], 1, 3)
        self.reconstruction_size = reconstruction_size
        self.decode_whole = decoder(channels[3], reconstruction_size)
        self.decode_part = decoder(channels[4], reconstruction_size)

    def forward(self, images: torch.Tensor, quadrant: int | None = None):
        """Logits [N, 1, 8, 8]; with `quadrant` (0-3) also the two reconstructions (for real images)."""
        x, maps = self.stem(images), {}
        for level, block in self.downs.items():
            x = block(x)
            maps[int(level)] = x
        logits = self.logits(maps[3])
        if quadrant is None:
            return logits
        half = maps[4].shape[-1] // 2
        row, col = divmod(quadrant, 2)
        part = maps[4][:, :, row * half : (row + 1) * half, col * half : (col + 1) * half]
        return logits, self.decode_whole(maps[3]), self.decode_part(part)


def reconstruction_targets(images: torch.Tensor, quadrant: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """What the decoders must give back: the whole image and the quadrant, each resized to `size`."""
    half = images.shape[-1] // 2
    row, col = divmod(quadrant, 2)
    part = images[:, :, row * half : (row + 1) * half, col * half : (col + 1) * half]
    resize = lambda x: F.interpolate(x, size=(size, size), mode="area")  # noqa: E731
    return resize(images), resize(part)
