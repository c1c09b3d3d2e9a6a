"""FastGAN-style sampler for small painting sets on little compute (Liu et al. 2021).

Hinge loss; DiffAugment on everything the critic sees; the critic also reconstructs real images (whole, and a
random quadrant) from its own features, with an L1 loss where FastGAN used LPIPS (no LPIPS weights here); an
exponential moving average of the generator is what previews and exports show. The critic sees pixels only:
it never looks through the ImageNet MobileNetV2 that `evaluate` scores with.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import torch
import torch.nn.functional as F

from ..augment import diff_augment
from ..data import seeded_generator
from ..losses import discriminator_loss, generator_loss
from ..models.fastgan import Discriminator, Generator, reconstruction_targets
from ..options import option
from .base import ExportSpec, Recipe, frozen


@dataclasses.dataclass
class FastGANConfig:
    images: str = option(help="Folder of training portraits (recursive).")
    size: int = option(128, help="Output size: a power of two from 32 to 256.")
    latent_size: int = option(128, help="Length of the latent vector.")
    width: int = option(256, help="Generator channels at 8x8 (halved per doubling of the size, at least 16).")
    d_width: int = option(32, help="Critic channels at full resolution (doubled per halving, capped at 256).")
    reconstruction_weight: float = option(1.0, help="Weight of the critic's reconstruction (L1) loss.")
    reconstruction_size: int = option(32, help="Side of the critic's reconstructions (px).")
    ema_decay: float = option(0.999, help="Decay of the generator's moving average (the exported weights).")
    lr: float = option(2e-4, help="Adam learning rate of G and D (betas 0.5, 0.999).")
    diffaugment: str = option("color,translation,cutout", help="DiffAugment policy for everything the critic sees.")


class FastGANRecipe(Recipe):
    name = "fastgan"
    Config = FastGANConfig
    description = "FastGAN-style portrait generator: paints a new portrait from a random latent vector."

    def __init__(self, config: FastGANConfig, device: torch.device, training: bool = True):
        super().__init__(config, device, training)
        self.nets["generator"] = Generator(config.size, config.latent_size, config.width).to(device)
        # The moving average is what users get; it is kept out of self.nets (it has no optimiser, and DDP
        # must not wrap it) and travels in the checkpoint as extra state.
        self.ema = copy.deepcopy(self.nets["generator"]).eval().requires_grad_(False)
        if not training:
            return
        self.nets["discriminator"] = Discriminator(
            config.size, config.d_width, reconstruction_size=config.reconstruction_size
        ).to(device)
        for name, net in self.nets.items():
            self.optimizers[name] = torch.optim.Adam(net.parameters(), lr=config.lr, betas=(0.5, 0.999))

    def data_roles(self) -> dict[str, str]:
        return {"images": self.config.images}

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        config, real = self.config, batches["images"]
        generator, critic = self.nets["generator"], self.nets["discriminator"]
        fake = generator(torch.randn(len(real), config.latent_size, device=self.device))

        # One augmentation draw for the real batch, so the reconstruction targets are what the critic saw.
        real_seen = diff_augment(real, config.diffaugment)
        quadrant = int(torch.randint(0, 4, ()).item())
        real_logits, whole, part = critic(real_seen, quadrant)
        fake_logits = critic(diff_augment(fake.detach(), config.diffaugment))
        want_whole, want_part = reconstruction_targets(real_seen, quadrant, config.reconstruction_size)
        reconstruction = F.l1_loss(whole, want_whole) + F.l1_loss(part, want_part)
        loss_d = discriminator_loss("hinge", real_logits, fake_logits) + config.reconstruction_weight * reconstruction
        self.optimizers["discriminator"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["discriminator"].step()

        with frozen(critic):
            loss_g = generator_loss("hinge", critic(diff_augment(fake, config.diffaugment)))
        self.optimizers["generator"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["generator"].step()
        self._update_ema()
        return {
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "d_real": real_logits.detach().mean().item(),
            "d_fake": fake_logits.detach().mean().item(),
            "reconstruction": reconstruction.item(),
        }

    @torch.no_grad()
    def _update_ema(self) -> None:
        for average, current in zip(self.ema.parameters(), self.unwrapped("generator").parameters()):
            average.lerp_(current, 1 - self.config.ema_decay)
        for average, current in zip(self.ema.buffers(), self.unwrapped("generator").buffers()):
            average.copy_(current)  # batch-norm statistics follow the live generator

    def extra_state(self) -> dict[str, Any]:
        return {"ema": self.ema.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.ema.load_state_dict(state["ema"])

    def init_extra_from(self, state: dict[str, Any]) -> None:
        # The moving average is the model users get: a run started from another goes on from its average (or,
        # where the generator's shape changed, from the generator as it now is), never from random weights.
        try:
            self.ema.load_state_dict(state["ema"])
        except (KeyError, RuntimeError):
            self.ema.load_state_dict(self.unwrapped("generator").state_dict())

    def preview(self, fixed: dict[str, torch.Tensor], seed: int = 0) -> torch.Tensor:
        count = len(next(iter(fixed.values()))) * 2 if fixed else 16
        latent = torch.randn(count, self.config.latent_size, generator=seeded_generator(seed)).to(self.device)
        return self.ema.eval()(latent)

    def export_specs(self) -> dict[str, ExportSpec]:
        example = torch.randn(2, self.config.latent_size, device=self.device)
        return {
            "generator": ExportSpec(
                self.ema.eval(), example, "sampler", self.config.size, latent_size=self.config.latent_size
            )
        }
