"""pix2pix-style translator for unpaired data: U-Net generator with a pretrained encoder, and critics.

Photos and paintings are not paired, so there is no L1 to a target. The generator instead minimises:
adversarial (LSGAN, towards paintings) + content (keeps the sitter: PatchNCE on the generator's own encoder
features as in CUT, L1 between low-passed photo and result, or a perceptual distance) + chroma (hues stay the
photo's) + light (the blurred luminance stays the photo's, so faces stay lit) + identity (a painting should
pass through unchanged) + texture (a grey-image critic on small crops of paintings at their own scale, so that
brushwork is judged where it is visible). Optionally a fixed painting stage after the generator
(--brush-radius, --brush-relief; models/brushwork.py) paints patches and strokes by construction; every loss
sees its output, so the generator learns around it.

The critic is pix2pix's PatchGAN, several of them at halved scales (--critic-scales), or a projected
discriminator on frozen ImageNet features (--critic features). The photos themselves can be shown to the
critics as "not a painting" (--photo-negative-weight), so an output that still looks like a photo is punished
directly (Sanakoyeu et al. 2018).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
import torch.nn.functional as F

from ..augment import diff_augment, random_crops
from ..data import DataRole
from ..losses import chroma_loss, discriminator_loss, generator_loss, to_grey
from ..models.brushwork import Brushwork
from ..models.encoders import ENCODERS
from ..models.mobilenet_v2 import DEFAULT_WEIGHTS, FeatureNetwork
from ..models.patchgan import MultiScaleDiscriminator, PatchDiscriminator
from ..models.projected import ProjectedDiscriminator
from ..models.unet import UNet
from ..options import option
from ..patch_nce import PatchProjection, patch_nce_loss, sample_positions
from .base import TranslatorRecipe, frozen


@dataclasses.dataclass
class UNetConfig:
    photos: str = option(help="Folder of photos (recursive).")
    paintings: str = option(help="Folder of paintings (recursive); not paired with the photos.")
    encoder: str = option("mobilenet_v2", help="mobilenet_v2 (ImageNet weights) or resnet18.")
    encoder_weights: str | None = option(
        DEFAULT_WEIGHTS, help="Encoder state_dict; '' trains the encoder from scratch."
    )
    size: int = option(256, help="Training crop size (px, a multiple of 32).")
    width: int = option(32, help="Decoder channels at full resolution.")
    decoder_norm: str = option(
        "pixel",
        help="pixel (per-pixel feature normalisation), or instance (the older "
        "models; it lets the decoder paint black blobs into bright photos).",
    )
    critic: str = option(
        "patch",
        help="patch (PatchGAN, 70 px patches, one per --critic-scales) or features "
        "(projected discriminator on frozen MobileNetV2 features at three scales; experiments "
        "only: `evaluate` scores through the same network, so a model trained against it learns "
        "to fool the measure, e.g. eye-like stamps, and its score means nothing).",
    )
    critic_scales: int = option(1, help="--critic patch: PatchGANs on the image and its 2x, 4x ... downsampled copies.")
    critic_norm: str = option("instance", help="--critic patch: instance (pix2pix) or spectral (spectral norm).")
    d_width: int = option(64, help="Critic width: PatchGAN channels in its first layer, or each feature head's.")
    adversarial_weight: float = option(1.0, help="Weight of the LSGAN loss towards paintings.")
    photo_negative_weight: float = option(0.0, help="Weight of the photos shown to the critics as 'not a painting'.")
    content: str = option(
        "lowpass",
        help="lowpass (L1 of blurred images), perceptual (MobileNetV2 features) or nce "
        "(PatchNCE on the generator's own encoder features, as CUT).",
    )
    content_weight: float = option(10.0, help="Weight of the content loss (keeps the sitter).")
    lowpass_factor: int = option(8, help="Average-pool factor of the lowpass content loss.")
    nce_depths: str = option("0,1,2,3", help="--content nce: encoder depths (0-4: strides 2, 4, 8, 16, 32).")
    nce_patches: int = option(256, help="--content nce: positions sampled per depth and image.")
    nce_temperature: float = option(0.07, help="--content nce: softmax temperature.")
    feature_weights: str | None = option(
        DEFAULT_WEIGHTS, help="MobileNetV2 state_dict for --content perceptual and --critic features."
    )
    identity_weight: float = option(5.0, help="Weight of L1(G(painting), painting).")
    chroma_weight: float = option(0.0, help="Weight of the L1 distance of the photo's and the result's U, V.")
    light_weight: float = option(
        0.0,
        help="Weight of the L1 distance of the photo's and the result's luminance, "
        "both blurred (8x average pool): keeps faces lit while shading and texture change.",
    )
    texture_weight: float = option(0.0, help="Weight of the grey texture critic (0: none).")
    texture_source_size: int = option(
        384,
        help="Side at which the paintings' whole centred square is cached for "
        "texture crops (paintings/train are up to 640 px: about their own scale).",
    )
    texture_crop: int = option(64, help="Side of the random grey crops the texture critic judges.")
    brush_radius: int = option(
        0,
        help="Brushwork, a fixed painting stage after the generator (models/brushwork.py): radius (px) of "
        "its Kuwahara filter, which flattens texture into paint patches while keeping edges; 0: none.",
    )
    brush_relief: float = option(
        0.0, help="Brushwork: relief of its bristle strokes, which follow the contours (0: none; 0.4: visible at 100%)."
    )
    brush_stroke: int = option(10, help="Brushwork: length (px, each way) of its strokes.")
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
        brushwork = (
            Brushwork(config.brush_radius, config.brush_stroke, config.brush_relief)
            if config.brush_radius or config.brush_relief
            else None
        )
        self.nets["generator"] = UNet(
            config.encoder,
            config.encoder_weights if training else None,
            config.width,
            decoder_norm=config.decoder_norm,
            brushwork=brushwork,
        ).to(device)
        if not training:
            return
        self.nets["discriminator"] = self._critic().to(device)
        if config.texture_weight:
            self.nets["texture_critic"] = PatchDiscriminator(config.d_width, channels=1, spectral=True).to(device)
        if config.content == "nce":
            self.nce_depths = [int(depth) for depth in config.nce_depths.split(",")]
            channels = tuple(ENCODERS[config.encoder].CHANNELS[depth] for depth in self.nce_depths)
            self.nets["nce_heads"] = PatchProjection(channels).to(device)
        for name, net in self.nets.items():
            trainable = [parameter for parameter in net.parameters() if parameter.requires_grad]
            self.optimizers[name] = torch.optim.Adam(trainable, lr=config.lr, betas=(config.beta1, 0.999))
        if config.content == "perceptual":
            self.features = FeatureNetwork(Path(config.feature_weights) if config.feature_weights else None).to(device)
        elif config.content not in ("lowpass", "nce"):
            raise ValueError(f"--content must be lowpass, perceptual or nce, not {config.content!r}")

    def _critic(self) -> torch.nn.Module:
        config = self.config
        if config.critic == "patch":
            if config.critic_norm not in ("instance", "spectral"):
                raise ValueError(f"--critic-norm must be instance or spectral, not {config.critic_norm!r}")
            options = {"width": config.d_width, "spectral": config.critic_norm == "spectral"}
            return (
                MultiScaleDiscriminator(config.critic_scales, **options)
                if config.critic_scales > 1
                else PatchDiscriminator(**options)
            )
        if config.critic == "features":
            return ProjectedDiscriminator(
                Path(config.feature_weights) if config.feature_weights else None, config.d_width
            )
        raise ValueError(f"--critic must be patch or features, not {config.critic!r}")

    def judge(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The critic's logit maps for (augmented) images: one for a PatchGAN, one per scale for features."""
        logits = self.nets["discriminator"](diff_augment(images, self.config.diffaugment))
        return logits if isinstance(logits, list) else [logits]

    def data_roles(self) -> dict[str, str | DataRole]:
        roles: dict[str, str | DataRole] = {"photos": self.config.photos, "paintings": self.config.paintings}
        if self.config.texture_weight:
            roles["textures"] = DataRole(self.config.paintings, size=self.config.texture_source_size, face_framed=False)
        return roles

    def content_loss(
        self, photos: torch.Tensor, painted: torch.Tensor, photo_features: list[torch.Tensor]
    ) -> torch.Tensor:
        """`photo_features`: the generator's own encoding of the photos (nce only), reused as PatchNCE's keys."""
        config = self.config
        if config.content == "nce":
            encoder, heads = self.unwrapped("generator").encoder, self.nets["nce_heads"]
            keys = [photo_features[depth].detach() for depth in self.nce_depths]  # the photo's patches are targets
            encoded = encoder(painted)
            queries = [encoded[depth] for depth in self.nce_depths]
            positions = sample_positions(keys, config.nce_patches)
            pairs = zip(heads(queries, positions), heads(keys, positions))
            return sum(patch_nce_loss(query, key, config.nce_temperature) for query, key in pairs) / len(keys)
        if config.content == "perceptual":
            with torch.no_grad():
                target = self.features(photos, ("block6",))["block6"]
            return F.mse_loss(self.features(painted, ("block6",))["block6"], target)
        factor = config.lowpass_factor
        return F.l1_loss(low_pass(painted, factor), low_pass(photos, factor))

    def critic_step(self, name: str, judge, real: torch.Tensor, fake: torch.Tensor, photos: torch.Tensor) -> float:
        """One LSGAN step of a critic: paintings real; the translations, and the photos at
        --photo-negative-weight, fake."""
        real_logits, fake_logits = judge(real), judge(fake.detach())
        loss = sum(discriminator_loss("lsgan", r, f) for r, f in zip(real_logits, fake_logits)) / len(real_logits)
        if self.config.photo_negative_weight:
            photo_logits = judge(photos)
            loss = loss + self.config.photo_negative_weight * sum(0.5 * (p**2).mean() for p in photo_logits) / len(
                photo_logits
            )
        self.optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers[name].step()
        return loss.item()

    def judge_texture(self, images: torch.Tensor) -> list[torch.Tensor]:
        return [self.nets["texture_critic"](random_crops(to_grey(images), self.config.texture_crop))]

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        config = self.config
        photos, paintings = batches["photos"], batches["paintings"]
        generator = self.nets["generator"]
        if config.content == "nce":
            painted, photo_features = generator(photos, with_features=True)
        else:
            painted, photo_features = generator(photos), []

        critics = {"discriminator": (self.judge, paintings, "loss_d")}
        if config.texture_weight:
            critics["texture_critic"] = (self.judge_texture, batches["textures"], "loss_texture_d")
        stats = {
            logged: self.critic_step(name, judge, real, painted, photos)
            for name, (judge, real, logged) in critics.items()
        }

        with frozen(*(self.nets[name] for name in critics)):
            fake_logits = self.judge(painted)
            adversarial = sum(generator_loss("lsgan", fake) for fake in fake_logits) / len(fake_logits)
            texture = (
                sum(generator_loss("lsgan", fake) for fake in self.judge_texture(painted))
                if config.texture_weight
                else torch.zeros((), device=self.device)
            )
        content = self.content_loss(photos, painted, photo_features)
        zero = torch.zeros((), device=self.device)
        identity = F.l1_loss(generator(paintings), paintings) if config.identity_weight else zero
        chroma = chroma_loss(painted, photos) if config.chroma_weight else zero
        light = F.l1_loss(low_pass(to_grey(painted), 8), low_pass(to_grey(photos), 8)) if config.light_weight else zero
        loss_g = (
            config.adversarial_weight * adversarial
            + config.content_weight * content
            + config.identity_weight * identity
            + config.chroma_weight * chroma
            + config.light_weight * light
            + config.texture_weight * texture
        )
        generator_side = ["generator", "nce_heads"] if config.content == "nce" else ["generator"]
        for name in generator_side:
            self.optimizers[name].zero_grad(set_to_none=True)
        loss_g.backward()
        for name in generator_side:
            self.optimizers[name].step()
        losses = {
            "loss_g": loss_g,
            "adversarial": adversarial,
            "texture": texture,
            "content": content,
            "identity": identity,
            "chroma": chroma,
            "light": light,
        }
        return {**stats, **{name: value.item() for name, value in losses.items()}}
