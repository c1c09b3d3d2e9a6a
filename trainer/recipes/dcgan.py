"""DCGAN: unconditional portraits from a latent vector, with the stabilisers small data sets need.

Options: the loss ("bce": the original non-saturating DCGAN loss; "hinge"; "lsgan"), one-sided label
smoothing and label noise (bce/lsgan), R1 gradient penalty, spectral norm in D, Adam (lr 2e-4, beta1 0.5)
or RMSprop, and DiffAugment on real and fake images alike. The critic is DCGAN's own convolutional D or a
projected discriminator on frozen ImageNet features (--critic features), which learns from few images faster.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from ..augment import diff_augment
from ..data import seeded_generator
from ..losses import discriminator_loss, generator_loss, r1_penalty
from ..models.dcgan import Discriminator, Generator
from ..models.mobilenet_v2 import DEFAULT_WEIGHTS
from ..models.projected import ProjectedDiscriminator
from ..options import option
from .base import ExportSpec, Recipe, frozen

R1_INTERVAL = 4  # lazy regularisation (StyleGAN2): the penalty every 4th step, scaled by 4


@dataclasses.dataclass
class DCGANConfig:
    images: str = option(help="Folder of training portraits (recursive).")
    size: int = option(64, help="Output size: 64 or 128 (any power of two >= 8).")
    latent_size: int = option(128, help="Length of the latent vector.")
    width: int = option(64, help="Channels at full resolution (doubled per halving, capped at --max-channels).")
    max_channels: int = option(512, help="Cap on channels in G and D.")
    loss: str = option("bce", help="bce (the original non-saturating DCGAN loss), hinge or lsgan.")
    label_smoothing: float = option(0.0, help="One-sided: real label = 1 - this (bce/lsgan).")
    label_noise: float = option(0.0, help="Probability of flipping each D label (bce/lsgan).")
    r1_gamma: float = option(0.0, help="R1 gradient penalty weight (0: off).")
    spectral_norm: bool = option(False, help="Spectral norm in D instead of batch norm.")
    critic: str = option(
        "conv",
        help="conv (DCGAN's discriminator) or features (projected discriminator: trainable "
        "heads on frozen MobileNetV2 features at three scales).",
    )
    feature_weights: str | None = option(DEFAULT_WEIGHTS, help="MobileNetV2 state_dict for --critic features.")
    optimizer: str = option("adam", help="adam (beta1 below, beta2 0.999) or rmsprop.")
    lr: float = option(2e-4, help="Learning rate of G and D.")
    beta1: float = option(0.5, help="Adam beta1.")
    diffaugment: str = option("", help="DiffAugment policy for D's inputs, e.g. color,translation,cutout.")


class DCGANRecipe(Recipe):
    name = "dcgan"
    Config = DCGANConfig
    description = "DCGAN portrait generator: paints a new portrait from a random latent vector."

    def __init__(self, config: DCGANConfig, device: torch.device, training: bool = True):
        super().__init__(config, device, training)
        if config.loss not in ("bce", "hinge", "lsgan"):
            raise ValueError(f"--loss must be bce, hinge or lsgan, not {config.loss!r}")
        self.nets["generator"] = Generator(config.size, config.latent_size, config.width, config.max_channels).to(
            device
        )
        if not training:
            return
        self.nets["discriminator"] = self._critic().to(device)
        for name, net in self.nets.items():
            self.optimizers[name] = self._optimizer(
                [parameter for parameter in net.parameters() if parameter.requires_grad]
            )

    def _critic(self) -> torch.nn.Module:
        config = self.config
        if config.critic == "conv":
            return Discriminator(config.size, config.width, config.max_channels, config.spectral_norm)
        if config.critic == "features":
            return ProjectedDiscriminator(
                Path(config.feature_weights) if config.feature_weights else None, config.width
            )
        raise ValueError(f"--critic must be conv or features, not {config.critic!r}")

    def judge(self, images: torch.Tensor) -> torch.Tensor:
        """One logit per image; a projected critic's logit maps are averaged per scale and summed."""
        logits = self.nets["discriminator"](images)
        return sum(scale.mean(dim=(1, 2, 3)) for scale in logits) if isinstance(logits, list) else logits

    def _optimizer(self, parameters) -> torch.optim.Optimizer:
        if self.config.optimizer == "rmsprop":
            return torch.optim.RMSprop(parameters, lr=self.config.lr)
        if self.config.optimizer == "adam":
            return torch.optim.Adam(parameters, lr=self.config.lr, betas=(self.config.beta1, 0.999))
        raise ValueError(f"--optimizer must be adam or rmsprop, not {self.config.optimizer!r}")

    def data_roles(self) -> dict[str, str]:
        return {"images": self.config.images}

    def _targets(self, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Real/fake labels with one-sided smoothing and random flips."""
        real = torch.full((count,), 1.0 - self.config.label_smoothing, device=self.device)
        fake = torch.zeros(count, device=self.device)
        if self.config.label_noise > 0:
            flip = torch.rand(count, device=self.device) < self.config.label_noise
            real, fake = torch.where(flip, fake, real), torch.where(flip, real, fake)
        return real, fake

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        config, real = self.config, batches["images"]
        generator = self.nets["generator"]
        latent = torch.randn(len(real), config.latent_size, device=self.device)
        fake = generator(latent)

        # Discriminator: real vs (detached) fake, both augmented the same way.
        use_r1 = config.r1_gamma > 0 and step % R1_INTERVAL == 0
        real_input = diff_augment(real, config.diffaugment).detach().requires_grad_(use_r1)
        real_logits = self.judge(real_input)
        fake_logits = self.judge(diff_augment(fake.detach(), config.diffaugment))
        real_target, fake_target = self._targets(len(real))
        loss_d = discriminator_loss(config.loss, real_logits, fake_logits, real_target, fake_target)
        stats = {}
        if use_r1:
            penalty = r1_penalty(real_logits, real_input)
            loss_d = loss_d + config.r1_gamma / 2 * penalty * R1_INTERVAL
            stats["r1"] = penalty.item()
        self.optimizers["discriminator"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["discriminator"].step()

        # Generator: make D call the (augmented) fakes real.
        with frozen(self.nets["discriminator"]):
            fake_logits_for_g = self.judge(diff_augment(fake, config.diffaugment))
            loss_g = generator_loss(config.loss, fake_logits_for_g)
        self.optimizers["generator"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["generator"].step()

        as_probability = torch.sigmoid if config.loss == "bce" else (lambda logits: logits)
        return {
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "d_real": as_probability(real_logits.detach()).mean().item(),
            "d_fake": as_probability(fake_logits.detach()).mean().item(),
            **stats,
        }

    def preview(self, fixed: dict[str, torch.Tensor], seed: int = 0) -> torch.Tensor:
        generator = self.unwrapped("generator").eval()
        count = len(next(iter(fixed.values()))) * 2 if fixed else 16
        latent = torch.randn(count, self.config.latent_size, generator=seeded_generator(seed)).to(self.device)
        images = generator(latent)
        generator.train()
        return images

    def export_specs(self) -> dict[str, ExportSpec]:
        example = torch.randn(2, self.config.latent_size, device=self.device)
        generator = self.unwrapped("generator")
        return {
            "generator": ExportSpec(
                generator, example, "sampler", self.config.size, latent_size=self.config.latent_size
            )
        }
