"""Colour VAE: reconstruction + beta * KL. Exports the decoder as a sampler and the whole model as a translator."""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from ..data import seeded_generator
from ..models.vae import Decoder, Encoder, Reconstructor
from ..options import option
from .base import ExportSpec, Recipe


@dataclasses.dataclass
class VAEConfig:
    images: str = option(help="Folder of training portraits (recursive).")
    size: int = option(64, help="Image size (a power of two).")
    latent_size: int = option(128, help="Length of the latent vector.")
    width: int = option(32, help="Channels at full resolution (doubled per halving, capped).")
    max_channels: int = option(256, help="Cap on channels.")
    beta: float = option(1.0, help="Weight of the KL term (> 1: beta-VAE, smoother latents, blurrier images).")
    lr: float = option(1e-3, help="Adam learning rate.")


class VAERecipe(Recipe):
    name = "vae"
    Config = VAEConfig
    description = "Colour VAE: paints a new portrait by decoding a random latent vector."

    def __init__(self, config: VAEConfig, device: torch.device, training: bool = True):
        super().__init__(config, device, training)
        shape = (config.size, config.latent_size, config.width, config.max_channels)
        self.nets["encoder"] = Encoder(*shape).to(device)
        self.nets["decoder"] = Decoder(*shape).to(device)
        if training:
            parameters = [*self.nets["encoder"].parameters(), *self.nets["decoder"].parameters()]
            self.optimizers["vae"] = torch.optim.Adam(parameters, lr=config.lr)

    def data_roles(self) -> dict[str, str]:
        return {"images": self.config.images}

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        images = batches["images"]
        mu, logvar = self.nets["encoder"](images)
        latent = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        reconstruction = self.nets["decoder"](latent)
        # Per-image sums (a Gaussian likelihood), so beta = 1 is the textbook ELBO whatever the image size.
        reconstruction_loss = F.mse_loss(reconstruction.float(), images.float(), reduction="sum") / len(images)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(images)
        loss = reconstruction_loss + self.config.beta * kl
        self.optimizers["vae"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["vae"].step()
        return {"loss": loss.item(), "reconstruction": reconstruction_loss.item(), "kl": kl.item()}

    def preview(self, fixed: dict[str, torch.Tensor], seed: int = 0) -> torch.Tensor:
        encoder, decoder = self.unwrapped("encoder").eval(), self.unwrapped("decoder").eval()
        images = fixed["images"]
        latent = torch.randn(len(images), self.config.latent_size, generator=seeded_generator(seed)).to(self.device)
        grid = torch.cat([images, decoder(encoder(images)[0]), decoder(latent)])
        encoder.train(), decoder.train()
        return grid

    def export_specs(self) -> dict[str, ExportSpec]:
        size = self.config.size
        decoder = self.unwrapped("decoder")
        reconstructor = Reconstructor(self.unwrapped("encoder"), decoder, size)
        image = torch.rand(1, 3, size, size * 3 // 4, device=self.device) * 2 - 1
        latent = torch.randn(2, self.config.latent_size, device=self.device)
        return {
            "decoder": ExportSpec(decoder, latent, "sampler", size, latent_size=self.config.latent_size),
            "reconstruction": ExportSpec(reconstructor, image, "translator", size),
        }
