"""pix2pix-style translator for unpaired data: U-Net generator with a pretrained encoder, and a critic.

Photos and paintings are not paired, so there is no L1 to a target. The generator instead minimises:
adversarial (LSGAN, towards paintings) + content (keeps the sitter: L1 between low-passed photo and result,
or a perceptual distance) + identity (a painting should pass through unchanged). The critic is pix2pix's
PatchGAN or a projected discriminator on frozen ImageNet features (--critic features).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
import torch.nn.functional as F

from ..augment import diff_augment
from ..losses import discriminator_loss, generator_loss
from ..models.mobilenet_v2 import DEFAULT_WEIGHTS, FeatureNetwork
from ..models.patchgan import PatchDiscriminator
from ..models.projected import ProjectedDiscriminator
from ..models.unet import UNet
from .base import TranslatorRecipe, option

@dataclasses.dataclass
class UNetConfig:
    photos: str = option(help="Folder of photos (recursive).")
    paintings: str = option(help="Folder of paintings (recursive); not paired with the photos.")
    encoder: str = option("mobilenet_v2", help="mobilenet_v2 (ImageNet weights) or resnet18.")
    encoder_weights: str | None = option(DEFAULT_WEIGHTS, help="Encoder state_dict; '' trains the encoder from scratch.")
    size: int = option(256, help="Training crop size (px, a multiple of 32).")
    width: int = option(32, help="Decoder channels at full resolution.")
    decoder_norm: str = option("pixel", help="pixel (per-pixel feature normalisation), or instance (the older "
                               "models; it lets the decoder paint black blobs into bright photos).")
    critic: str = option("patch", help="patch (PatchGAN, 70 px patches) or features (projected discriminator: "
                         "trainable heads on frozen MobileNetV2 features at three scales).")
    d_width: int = option(64, help="Critic width: PatchGAN channels in its first layer, or each feature head's.")
    adversarial_weight: float = option(1.0, help="Weight of the LSGAN loss towards paintings.")
    content: str = option("lowpass", help="lowpass (L1 of blurred images) or perceptual (MobileNetV2 features).")
    content_weight: float = option(10.0, help="Weight of the content loss (keeps the sitter).")
    lowpass_factor: int = option(8, help="Average-pool factor of the lowpass content loss.")
    feature_weights: str | None = option(DEFAULT_WEIGHTS, help="MobileNetV2 state_dict for --content perceptual "
                                         "and --critic features.")
    identity_weight: float = option(5.0, help="Weight of L1(G(painting), painting).")
    lr: float = option(2e-4, help="Adam learning rate of G and D.")
    beta1: float = option(0.5, help="Adam beta1.")
    diffaugment: str = option("", help="DiffAugment policy for D's inputs, e.g. color,translation,cutout.")


def low_pass(images: torch.Tensor, factor: int) -> torch.Tensor:
    return F.avg_pool2d(images, factor) if factor > 1 else images


class UNetRecipe(TranslatorRecipe):
    name = "unet"
    Config = UNetConfig
    description = "Photo -> oil portrait (U-Net with an ImageNet encoder, trained against a PatchGAN critic)."
    size_multiple = UNet.SIZE_MULTIPLE

    def __init__(self, config: UNetConfig, device: torch.device, training: bool = True):
        super().__init__(config, device, training)
        # At export the encoder weights come from the checkpoint, not the (maybe absent) ImageNet file.
        self.nets["generator"] = UNet(config.encoder, config.encoder_weights if training else None, config.width,
                                      decoder_norm=config.decoder_norm).to(device)
        if not training:
            return
        self.nets["discriminator"] = self._critic().to(device)
        for name, net in self.nets.items():
            trainable = [parameter for parameter in net.parameters() if parameter.requires_grad]
            self.optimizers[name] = torch.optim.Adam(trainable, lr=config.lr, betas=(config.beta1, 0.999))
        if config.content == "perceptual":
            self.features = FeatureNetwork(Path(config.feature_weights) if config.feature_weights else None).to(device)
        elif config.content != "lowpass":
            raise ValueError(f"--content must be lowpass or perceptual, not {config.content!r}")

    def _critic(self) -> torch.nn.Module:
        if self.config.critic == "patch":
            return PatchDiscriminator(self.config.d_width)
        if self.config.critic == "features":
            return ProjectedDiscriminator(Path(self.config.feature_weights) if self.config.feature_weights else None,
                                          self.config.d_width)  # fmt: skip
        raise ValueError(f"--critic must be patch or features, not {self.config.critic!r}")

    def judge(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The critic's logit maps for (augmented) images: one for a PatchGAN, one per scale for features."""
        logits = self.nets["discriminator"](diff_augment(images, self.config.diffaugment))
        return logits if isinstance(logits, list) else [logits]

    def data_roles(self) -> dict[str, str]:
        return {"photos": self.config.photos, "paintings": self.config.paintings}

    def content_loss(self, photos: torch.Tensor, painted: torch.Tensor) -> torch.Tensor:
        if self.config.content == "perceptual":
            with torch.no_grad():
                target = self.features(photos, ("block6",))["block6"]
            return F.mse_loss(self.features(painted, ("block6",))["block6"], target)
        factor = self.config.lowpass_factor
        return F.l1_loss(low_pass(painted, factor), low_pass(photos, factor))

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        config = self.config
        photos, paintings = batches["photos"], batches["paintings"]
        generator, discriminator = self.nets["generator"], self.nets["discriminator"]
        painted = generator(photos)

        real_logits, fake_logits = self.judge(paintings), self.judge(painted.detach())
        loss_d = sum(discriminator_loss("lsgan", real, fake) for real, fake in zip(real_logits, fake_logits)) / len(real_logits)
        self.optimizers["discriminator"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["discriminator"].step()

        discriminator.requires_grad_(False)
        adversarial = sum(generator_loss("lsgan", fake) for fake in self.judge(painted)) / len(real_logits)
        discriminator.requires_grad_(True)
        content = self.content_loss(photos, painted)
        identity = F.l1_loss(generator(paintings), paintings) if config.identity_weight else torch.zeros((), device=self.device)
        loss_g = (config.adversarial_weight * adversarial + config.content_weight * content
                  + config.identity_weight * identity)  # fmt: skip
        self.optimizers["generator"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["generator"].step()
        return {"loss_g": loss_g.item(), "loss_d": loss_d.item(), "adversarial": adversarial.item(),
                "content": content.item(), "identity": identity.item()}  # fmt: skip
