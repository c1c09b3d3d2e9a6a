"""U-Net translator: a (pretrained) encoder, and an upsample+conv decoder joined to it by skip connections."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .encoders import ENCODERS
from .layers import NORMS, conv_norm_relu


class UpBlock(nn.Module):
    """x2 nearest upsample, concatenate the encoder's feature map of that size, two convs."""

    def __init__(self, inputs: int, skip: int, outputs: int, norm: str):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.convs = nn.Sequential(
            conv_norm_relu(inputs + skip, outputs, norm=norm), conv_norm_relu(outputs, outputs, norm=norm)
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        x = self.up(x)
        return self.convs(x if skip is None else torch.cat([x, skip], dim=1))


class UNet(nn.Module):
    SIZE_MULTIPLE = 32  # five stride-2 stages in both encoders
    # Instance norm in the decoder let GAN training paint black "droplets" into bright, plain photos: the decoder
    # sneaks brightness past the normalisation with a strong localised spike (StyleGAN2, Karras et al. 2020,
    # section 2.1; we measured spikes of 30 sigma under the holes). No norm at all let the activations escalate
    # until the output saturated (a run collapsed at step 4,800). Pixel norm bounds them with no spatial
    # statistics to game.

    def __init__(
        self,
        encoder: str = "mobilenet_v2",
        encoder_weights: str | None = None,
        width: int = 32,
        freeze_encoder_norm: bool = True,
        decoder_norm: str = "pixel",
        brushwork: nn.Module | None = None,
    ):
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {', '.join(ENCODERS)}, not {encoder!r}")
        if decoder_norm not in NORMS:
            raise ValueError(f"decoder norm must be one of {', '.join(NORMS)}, not {decoder_norm!r}")
        self.encoder = ENCODERS[encoder](Path(encoder_weights) if encoder_weights else None)
        self.freeze_encoder_norm = freeze_encoder_norm
        channels = ENCODERS[encoder].CHANNELS  # strides 2, 4, 8, 16, 32
        widths = [width * 8, width * 4, width * 2, width, width]  # decoder at strides 16, 8, 4, 2, 1
        blocks, previous = [], channels[4]
        for skip, outputs in zip([*channels[3::-1], 0], widths):
            blocks.append(UpBlock(previous, skip, outputs, decoder_norm))
            previous = outputs
        self.decoder = nn.ModuleList(blocks)
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(width, 3, 7), nn.Tanh())
        self.brushwork = brushwork  # a fixed painting stage after the head (brushwork.py), or None
        self.train()  # applies the frozen encoder statistics from the first step on

    def train(self, mode: bool = True) -> UNet:
        super().train(mode)
        if self.freeze_encoder_norm:
            # Small GAN batches make poor batch statistics: keep the pretrained ones (affine params still learn).
            for module in self.encoder.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self

    def forward(self, images: torch.Tensor, with_features: bool = False):
        """The painted images; with `with_features`, also the encoder's maps at strides 2..32 (PatchNCE's keys)."""
        features = self.encoder(images)
        x = features[4]
        for block, skip in zip(self.decoder, [*features[3::-1], None]):
            x = block(x, skip)
        painted = self.head(x)
        if self.brushwork is not None:
            painted = self.brushwork(painted)
        return (painted, features) if with_features else painted
