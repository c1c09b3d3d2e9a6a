"""FastGAN-style sampler for small painting sets on little compute (Liu et al. 2021).

Hinge loss; DiffAugment on everything the critic sees; the critic also reconstructs real images (whole, and a
random quadrant) from its own features, with an L1 loss where FastGAN used LPIPS (no LPIPS weights here); an
exponential moving average of the generator is what previews and exports show. The critic sees pixels only:
it never looks through the ImageNet MobileNetV2 that `evaluate` scores with.

`--landmark-diversity` adds a mode-seeking term (Mao et al., CVPR 2019) on the faces' shapes: two latents apart
should give faces whose face-mesh points (MediaPipe's, rebuilt in torch) lie apart, in proportion. A sampler
that paints one face for every latent is penalised, and so is a broken face, on which the mesh falls back to its
average face. The mesh only measures shape against shape; nothing pulls towards paintings through it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..augment import diff_augment
from ..data import seeded_generator
from ..losses import discriminator_loss, generator_loss
from ..models.face_landmarks import SIZE as FACE_MESH_SIZE
from ..models.face_landmarks import load_face_landmarks
from ..models.fastgan import Discriminator, Generator, reconstruction_targets
from ..options import option
from .base import ExportSpec, Recipe, decayed_rate, frozen


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
    decay_fraction: float = option(
        0.0,
        help="Last share of the run (of --steps) over which every learning rate decays linearly to 0: late in a "
        "run the faces come and go from snapshot to snapshot, and smaller steps let them settle. 0: --lr throughout. "
        "A run may take one up when resumed, if it begins after the checkpoint's step.",
    )
    diffaugment: str = option("color,translation,cutout", help="DiffAugment policy for everything the critic sees.")
    face_critic: float = option(
        0.0,
        help="Weight, in the generator's loss, of a second critic that sees only the middle half of each portrait "
        "(the face, in crops framed at twice the face): a distorted face costs more there than as a quarter of "
        "the whole. 0: none.",
    )
    landmark_diversity: float = option(
        0.0,
        help="Weight of the mode-seeking term on the faces' shapes (the face mesh's points of two portraits apart, "
        "over their latents' distance, as -log). Needs --face-landmarks. 0: none.",
    )
    face_landmarks: str = option(
        "",
        help="MediaPipe's face_landmark.tflite (in the mediapipe 0.10.14 wheel, mediapipe/modules/face_landmark/), "
        "for --landmark-diversity.",
    )
    critic_warmup: int = option(
        0,
        help="Steps at the start in which only the critics train: a fresh critic beside a trained generator "
        "(--init-from) would first hand it noise.",
    )


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
        if config.face_critic > 0:
            if config.size < 64:
                raise ValueError(f"--face-critic needs --size 64 or more (its critic sees half), not {config.size}")
            self.nets["face_critic"] = Discriminator(
                config.size // 2, config.d_width, reconstruction_size=config.reconstruction_size
            ).to(device)
        for name, net in self.nets.items():
            self.optimizers[name] = torch.optim.Adam(net.parameters(), lr=config.lr, betas=(0.5, 0.999))
        self.mesh = None
        if config.landmark_diversity > 0:
            if not config.face_landmarks:
                raise ValueError("--landmark-diversity needs --face-landmarks (MediaPipe's face_landmark.tflite)")
            self.mesh = load_face_landmarks(Path(config.face_landmarks)).to(device)

    def data_roles(self) -> dict[str, str]:
        return {"images": self.config.images}

    def learning_rate(self, step: int) -> float:
        return decayed_rate(self.config.lr, step, self.total_steps, self.config.decay_fraction)

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        config, real = self.config, batches["images"]
        self.set_learning_rate(self.learning_rate(step))
        generator, warming = self.nets["generator"], step < config.critic_warmup
        latent = torch.randn(len(real), config.latent_size, device=self.device)
        with torch.set_grad_enabled(not warming):
            fake = generator(latent)
        critics = self._critics()
        losses = {}
        for name, (view, _) in critics.items():
            losses.update(self._critic_step(name, view(real), view(fake.detach())))
        with frozen(*(self.nets[name] for name in critics)), torch.set_grad_enabled(not warming):
            loss_g = sum(
                weight * generator_loss("hinge", self.nets[name](diff_augment(view(fake), config.diffaugment)))
                for name, (view, weight) in critics.items()
            )
            shapes = {}
            if self.mesh is not None and not warming:
                if len(fake) < 2:
                    raise ValueError("--landmark-diversity pairs the portraits of a batch: --batch-size 2 or more")
                spread = _shape_spread(self.mesh, fake, latent)
                loss_g = loss_g + config.landmark_diversity * spread
                shapes = {"landmark_diversity": spread.item()}
        if not warming:
            self.optimizers["generator"].zero_grad(set_to_none=True)
            loss_g.backward()
            self.optimizers["generator"].step()
            self._update_ema()
        return {"loss_g": loss_g.item(), **shapes, **losses}

    def _critics(self) -> dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], float]]:
        """Each critic's view of a portrait, and its weight in the generator's loss."""
        critics = {"discriminator": (lambda images: images, 1.0)}
        if "face_critic" in self.nets:
            critics["face_critic"] = (_middle_half, self.config.face_critic)
        return critics

    def _critic_step(self, name: str, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        """One step of one critic: hinge loss, and its reconstruction of what it saw of the real images."""
        config, critic = self.config, self.nets[name]
        # One augmentation draw for the real batch, so the reconstruction targets are what the critic saw.
        real_seen = diff_augment(real, config.diffaugment)
        quadrant = int(torch.randint(0, 4, ()).item())
        real_logits, whole, part = critic(real_seen, quadrant)
        fake_logits = critic(diff_augment(fake, config.diffaugment))
        want_whole, want_part = reconstruction_targets(real_seen, quadrant, config.reconstruction_size)
        reconstruction = F.l1_loss(whole, want_whole) + F.l1_loss(part, want_part)
        loss = discriminator_loss("hinge", real_logits, fake_logits) + config.reconstruction_weight * reconstruction
        self.optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers[name].step()
        prefix = "" if name == "discriminator" else "face_"
        return {
            f"{prefix}loss_d": loss.item(),
            f"{prefix}d_real": real_logits.detach().mean().item(),
            f"{prefix}d_fake": fake_logits.detach().mean().item(),
            f"{prefix}reconstruction": reconstruction.item(),
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


def _shape_spread(mesh: nn.Module, fake: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
    """The mode-seeking term: -log of how far apart the faces' shapes lie for how far apart their latents do,
    over the batch's two halves paired (an odd batch's last portrait sits out). A face's shape: its mesh points
    (x, y) about their centre, over their spread, so neither where the face sits nor its size counts. The mesh sees
    what `sample`'s face check sees first (the middle FIXED_CROP of the portrait), in float32 whatever autocast
    says: its points are pixel positions, and bfloat16 moves them by a pixel."""
    from portraitize.face_check import FIXED_CROP  # here, not at the top: it loads onnxruntime

    side = fake.shape[-1]
    margin = round(side * (1 - FIXED_CROP) / 2)
    crop = (fake[..., margin : side - margin, margin : side - margin].float() + 1) / 2
    with torch.autocast(device_type=fake.device.type, enabled=False):
        points, _ = mesh(
            F.interpolate(crop, size=(FACE_MESH_SIZE, FACE_MESH_SIZE), mode="bilinear", align_corners=False)
        )
    xy = points[..., :2] - points[..., :2].mean(dim=1, keepdim=True)
    shape = xy / xy.pow(2).sum(dim=2).mean(dim=1).sqrt()[:, None, None].clamp_min(1e-6)
    half = len(fake) // 2
    apart = (shape[:half] - shape[half : 2 * half]).abs().mean(dim=(1, 2))
    latents_apart = (latent[:half] - latent[half : 2 * half]).abs().mean(dim=1)
    return -torch.log(apart / latents_apart + 1e-5).mean()


def _middle_half(images: torch.Tensor) -> torch.Tensor:
    """The middle half of each side: the face, in portraits cropped at twice the face around it."""
    height, width = images.shape[-2:]
    return images[..., height // 4 : height // 4 + height // 2, width // 4 : width // 4 + width // 2]
