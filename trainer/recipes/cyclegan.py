"""CycleGAN (Zhu et al. 2017): unpaired photos <-> paintings with cycle-consistency and identity losses.

Two ResNet generators (photo -> painting exported as "generator", painting -> photo), two PatchGAN
critics, LSGAN losses, a pool of past fakes for each critic, and a learning rate that is constant for the
first part of the run and decays linearly to zero over the last `decay_fraction` of it.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from ..image_pool import ImagePool
from ..losses import discriminator_loss, generator_loss
from ..models.patchgan import PatchDiscriminator
from ..models.resnet_generator import ResnetGenerator
from ..options import option
from .base import TranslatorRecipe, decayed_rate, frozen


@dataclasses.dataclass
class CycleGANConfig:
    photos: str = option(help="Folder of photos (recursive).")
    paintings: str = option(help="Folder of paintings (recursive).")
    size: int = option(256, help="Training crop size (px).")
    width: int = option(64, help="Generator channels in its first layer.")
    residual_blocks: int = option(9, help="Residual blocks (6 is usual at 128 px).")
    d_width: int = option(64, help="PatchGAN channels in its first layer.")
    cycle_weight: float = option(10.0, help="Weight of the cycle-consistency L1 losses.")
    identity_weight: float = option(0.5, help="Identity loss weight, relative to --cycle-weight.")
    pool_size: int = option(50, help="Past fakes kept for the critics (0: none).")
    lr: float = option(2e-4, help="Adam learning rate.")
    beta1: float = option(0.5, help="Adam beta1.")
    decay_fraction: float = option(0.5, help="Last share of the run over which the learning rate decays to 0.")


class CycleGANRecipe(TranslatorRecipe):
    name = "cyclegan"
    Config = CycleGANConfig
    description = "Photo -> oil portrait (CycleGAN ResNet generator, trained with cycle consistency)."
    size_multiple = ResnetGenerator.SIZE_MULTIPLE

    def __init__(self, config: CycleGANConfig, device: torch.device, training: bool = True):
        super().__init__(config, device, training)
        self.nets["generator"] = ResnetGenerator(config.width, config.residual_blocks).to(device)  # photo -> painting
        if not training:
            return
        self.nets["generator_back"] = ResnetGenerator(config.width, config.residual_blocks).to(device)
        self.nets["critic_paintings"] = PatchDiscriminator(config.d_width).to(device)
        self.nets["critic_photos"] = PatchDiscriminator(config.d_width).to(device)
        generators = [*self.nets["generator"].parameters(), *self.nets["generator_back"].parameters()]
        critics = [*self.nets["critic_paintings"].parameters(), *self.nets["critic_photos"].parameters()]
        self.optimizers["generators"] = torch.optim.Adam(generators, lr=config.lr, betas=(config.beta1, 0.999))
        self.optimizers["critics"] = torch.optim.Adam(critics, lr=config.lr, betas=(config.beta1, 0.999))
        self.pools = {"paintings": ImagePool(config.pool_size), "photos": ImagePool(config.pool_size)}

    def data_roles(self) -> dict[str, str]:
        return {"photos": self.config.photos, "paintings": self.config.paintings}

    def learning_rate(self, step: int) -> float:
        return decayed_rate(self.config.lr, step, self.total_steps, self.config.decay_fraction)

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        config, nets = self.config, self.nets
        self.set_learning_rate(self.learning_rate(step))
        photos, paintings = batches["photos"], batches["paintings"]
        critics = (nets["critic_paintings"], nets["critic_photos"])

        fake_paintings, fake_photos = nets["generator"](photos), nets["generator_back"](paintings)
        with frozen(*critics):
            adversarial = generator_loss("lsgan", critics[0](fake_paintings)) + generator_loss(
                "lsgan", critics[1](fake_photos)
            )
        cycle = F.l1_loss(nets["generator_back"](fake_paintings), photos) + F.l1_loss(
            nets["generator"](fake_photos), paintings
        )
        identity = torch.zeros((), device=self.device)
        if config.identity_weight:
            identity = F.l1_loss(nets["generator"](paintings), paintings) + F.l1_loss(
                nets["generator_back"](photos), photos
            )
        loss_g = adversarial + config.cycle_weight * cycle + config.cycle_weight * config.identity_weight * identity
        self.optimizers["generators"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["generators"].step()

        old_paintings = self.pools["paintings"].query(fake_paintings.detach())
        old_photos = self.pools["photos"].query(fake_photos.detach())
        loss_d = 0.5 * (
            discriminator_loss("lsgan", critics[0](paintings), critics[0](old_paintings))
            + discriminator_loss("lsgan", critics[1](photos), critics[1](old_photos))
        )
        self.optimizers["critics"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["critics"].step()
        return {
            "loss_g": loss_g.item(),
            "loss_d": loss_d.item(),
            "adversarial": adversarial.item(),
            "cycle": cycle.item(),
            "identity": identity.item(),
        }

    def extra_state(self) -> dict:
        return {"pools": {name: pool.state() for name, pool in self.pools.items()}} if self.training else {}

    def load_extra_state(self, state: dict) -> None:
        if not self.training:  # export and previews have no pools
            return
        for name, images in state.get("pools", {}).items():
            self.pools[name].load(images, self.device)
