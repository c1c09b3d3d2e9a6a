"""Painting upscaler: free pairs from the paintings themselves (a painting made smaller, softer and
JPEG-compressed -> the painting), L1 + a perceptual loss, optionally + a pixel critic for texture.

L1 and the perceptual loss alone are minimised by the average of every detail the small input allows, so the
enlargement stays soft. A critic that tells the upscaled crops from real painting crops (ESRGAN's adversarial
term, Wang et al. 2018; here a spectral-norm PatchGAN on pixels) makes the network commit to one plausible
stroke and canvas texture instead: sharper, at some cost in PSNR.

The crops are cut at about the paintings' own scale (their whole centred square cached at --source-size), so
the network learns what brushwork, canvas and craquelure look like where they are visible. The perceptual
loss compares an output with its own target (paired), so looking through the ImageNet MobileNetV2 here teaches
nothing about what `evaluate` scores.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..augment import diff_augment, random_crops
from ..data import DataRole
from ..losses import discriminator_loss, generator_loss
from ..models.mobilenet_v2 import DEFAULT_WEIGHTS, FeatureNetwork
from ..models.patchgan import PatchDiscriminator
from ..models.upscaler import Upscaler
from ..options import option
from .base import ExportSpec, Recipe, frozen


@dataclasses.dataclass
class UpscaleConfig:
    paintings: str = option(help="Folder of paintings (recursive).")
    factor: int = option(4, help="Output side / input side.")
    size: int = option(96, help="Side of the full-resolution training crops (a multiple of --factor).")
    source_size: int = option(448, help="Side at which each painting's centred square is cached (about its own scale).")
    width: int = option(32, help="Channels of the residual blocks.")
    blocks: int = option(6, help="Residual blocks.")
    perceptual_weight: float = option(0.1, help="Weight of the MobileNetV2 feature distance to the target.")
    feature_weights: str | None = option(DEFAULT_WEIGHTS, help="MobileNetV2 state_dict for the perceptual loss.")
    blur: float = option(1.0, help="Largest Gaussian blur (sigma, low-resolution pixels) of the degraded inputs.")
    jpeg_quality: int = option(60, help="Lowest JPEG quality of the degraded inputs (100: no JPEG).")
    critic_weight: float = option(
        0.0, help="Weight of the pixel critic's adversarial loss (0: none; e.g. 0.02 to fine-tune for texture)."
    )
    critic_width: int = option(32, help="Channels of the critic's first layer.")
    lr: float = option(5e-4, help="Adam learning rate.")


def gaussian_blur(images: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """Per-image Gaussian blur with standard deviations `sigmas` [N] (0: unchanged)."""
    radius = 3
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernels = torch.exp(-(offsets[None] ** 2) / (2 * sigmas.clamp(min=1e-3)[:, None] ** 2))
    kernels = kernels / kernels.sum(dim=1, keepdim=True)  # [N, 7]
    batch, channels, height, width = images.shape
    flat = F.pad(images.reshape(1, batch * channels, height, width), [radius] * 4, mode="reflect")
    rows = kernels.repeat_interleave(channels, 0)
    flat = F.conv2d(flat, rows[:, None, None, :], groups=batch * channels)
    flat = F.conv2d(flat, rows[:, None, :, None], groups=batch * channels)
    return flat.reshape(batch, channels, height, width)


def jpeg(images: torch.Tensor, qualities: list[int]) -> torch.Tensor:
    """Each [-1, 1] image through a JPEG encode/decode at its quality (100: unchanged)."""
    out = []
    for image, quality in zip(images, qualities):
        if quality >= 100:
            out.append(image)
            continue
        pixels = ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
        decoded = np.asarray(Image.open(buffer).convert("RGB")).copy()
        out.append(torch.from_numpy(decoded).permute(2, 0, 1).to(images) / 127.5 - 1)
    return torch.stack(out)


def degrade(targets: torch.Tensor, factor: int, blur: float, jpeg_quality: int) -> torch.Tensor:
    """Smaller (antialiased bicubic), then a random mild blur and a random JPEG quality: the low-resolution input."""
    small = F.interpolate(targets, scale_factor=1 / factor, mode="bicubic", antialias=True, align_corners=False)
    small = gaussian_blur(small, torch.rand(len(small), device=small.device) * blur)
    qualities = torch.randint(jpeg_quality, 101, (len(small),)).tolist()
    return jpeg(small, qualities)


class UpscaleRecipe(Recipe):
    name = "upscale"
    Config = UpscaleConfig
    description = "Painting upscaler: enlarges a painted portrait with painted detail instead of blur."

    def __init__(self, config: UpscaleConfig, device: torch.device, training: bool = True):
        super().__init__(config, device, training)
        if config.size % config.factor:
            raise ValueError(f"--size {config.size} must be a multiple of --factor {config.factor}")
        self.nets["upscaler"] = Upscaler(config.factor, config.width, config.blocks).to(device)
        if config.critic_weight:
            self.nets["critic"] = PatchDiscriminator(config.critic_width, layers=2, spectral=True).to(device)
        if training:
            self.optimizers["upscaler"] = torch.optim.Adam(self.nets["upscaler"].parameters(), lr=config.lr)
            if config.critic_weight:
                self.optimizers["critic"] = torch.optim.Adam(
                    self.nets["critic"].parameters(), lr=config.lr * 2, betas=(0.5, 0.999)
                )
            weights = Path(config.feature_weights) if config.feature_weights else None
            self.features = FeatureNetwork(weights).to(device) if config.perceptual_weight else None

    def data_roles(self) -> dict[str, str | DataRole]:
        return {"paintings": DataRole(self.config.paintings, size=self.config.source_size, face_framed=False)}

    def pairs(self, paintings: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        targets = random_crops(paintings, self.config.size)
        with torch.no_grad():
            inputs = degrade(targets, self.config.factor, self.config.blur, self.config.jpeg_quality)
        return inputs, targets

    def judge(self, images: torch.Tensor) -> torch.Tensor:
        # colour jitter and small shifts on both sides (DiffAugment): 1,549 paintings are few for a critic
        return self.nets["critic"](diff_augment(images, "color,translation"))

    def critic_step(self, targets: torch.Tensor, upscaled: torch.Tensor) -> float:
        loss = discriminator_loss("lsgan", self.judge(targets), self.judge(upscaled.detach()))
        self.optimizers["critic"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["critic"].step()
        return loss.item()

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        inputs, targets = self.pairs(batches["paintings"])
        upscaled = self.nets["upscaler"](inputs)
        adversarial = torch.zeros((), device=self.device)
        loss_d = 0.0
        if self.config.critic_weight:
            loss_d = self.critic_step(targets, upscaled)
            with frozen(self.nets["critic"]):
                adversarial = generator_loss("lsgan", self.judge(upscaled))
        l1 = F.l1_loss(upscaled, targets)
        perceptual = torch.zeros((), device=self.device)
        if self.features is not None:
            with torch.no_grad():
                wanted = self.features(targets, ("block3", "block6"))
            found = self.features(upscaled, ("block3", "block6"))
            perceptual = sum(F.l1_loss(found[name], wanted[name]) for name in wanted)
        loss = l1 + self.config.perceptual_weight * perceptual + self.config.critic_weight * adversarial
        self.optimizers["upscaler"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["upscaler"].step()
        bilinear = F.interpolate(inputs, scale_factor=self.config.factor, mode="bilinear", align_corners=False)
        return {
            "loss": loss.item(),
            "l1": l1.item(),
            "perceptual": perceptual.item(),
            "adversarial": adversarial.item(),
            "loss_d": loss_d,
            "l1_bilinear": F.l1_loss(bilinear, targets).item(),
        }

    def preview(self, fixed: dict[str, torch.Tensor], seed: int = 0) -> torch.Tensor:
        """Targets, the bilinear enlargement of their degraded copies, and the upscaler's."""
        generator_state = torch.get_rng_state()
        torch.manual_seed(seed)  # the same crops and degradations in every grid
        inputs, targets = self.pairs(fixed["paintings"])
        torch.set_rng_state(generator_state)
        upscaler = self.unwrapped("upscaler").eval()
        upscaled = upscaler(inputs).clamp(-1, 1)
        upscaler.train()
        bilinear = F.interpolate(inputs, scale_factor=self.config.factor, mode="bilinear", align_corners=False)
        return torch.cat([targets, bilinear, upscaled])

    def export_specs(self) -> dict[str, ExportSpec]:
        side = 2 * self.config.size // self.config.factor
        example = torch.rand(1, 3, side, side + 8, device=self.device) * 2 - 1
        return {
            "upscaler": ExportSpec(
                self.unwrapped("upscaler"), example, "upscaler", self.config.size, factor=self.config.factor
            )
        }
