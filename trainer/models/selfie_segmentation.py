"""MediaPipe's selfie segmentation network (the general, 256 x 256 model), rebuilt in torch to export to ONNX.

A MobileNetV3-like encoder (hard-swish, squeeze-and-excitation) to 1/16 of the image, an LR-ASPP-like head,
three decoder stages that gate a skip connection of the encoder, and MediaPipe's transposed convolution
(`Convolution2DTransposeBias`) to full size. Input: RGB [N, 3, 256, 256] in 0..1; output: the probability that
each pixel shows a person, [N, 1, 256, 256]. The weights come from `selfie_segmentation.tflite` in the
`mediapipe` wheel (Apache-2.0), through `load_selfie_segmentation`.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..tflite_file import read_tflite
from .tflite_layers import Conv, load_tflite_weights

SIZE = 256


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, squeezed: int):
        super().__init__()
        self.reduce, self.expand = Conv(channels, squeezed, 1, same=False), Conv(squeezed, channels, 1, same=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.expand(F.relu(self.reduce(x.mean((2, 3), keepdim=True)))))
        return x * gate


class InvertedResidual(nn.Module):
    """1x1 expansion, depthwise convolution, optional squeeze-and-excitation, 1x1 projection (+ the input)."""

    def __init__(
        self,
        inputs: int,
        expanded: int,
        outputs: int,
        kernel: int,
        stride: int,
        hard_swish: bool,
        squeezed: int = 0,
    ):
        super().__init__()
        self.expand = Conv(inputs, expanded, 1)
        self.depthwise = Conv(expanded, expanded, kernel, stride, depthwise=True)
        self.excite = SqueezeExcite(expanded, squeezed) if squeezed else nn.Identity()
        self.project = Conv(expanded, outputs, 1)
        self.activation = nn.Hardswish() if hard_swish else nn.ReLU()
        self.residual = stride == 1 and inputs == outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.activation(self.depthwise(self.activation(self.expand(x))))
        y = self.project(self.excite(y))
        return x + y if self.residual else y


class DecoderStage(nn.Module):
    """Upsample 2x, meet the encoder's features of that size through a learnt gate, refine."""

    def __init__(self, inputs: int, outputs: int):
        super().__init__()
        self.up = Conv(inputs, outputs, 1, same=False)
        self.gate_reduce = Conv(outputs, outputs, 1, same=False)
        self.gate_expand = Conv(outputs, outputs, 1, same=False)
        self.mix = Conv(outputs, outputs, 1, same=False)
        self.depthwise = Conv(outputs, outputs, 3, depthwise=True)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = self.up(F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))
        both = skip + up
        gate = torch.sigmoid(self.gate_expand(F.relu(self.gate_reduce(both.mean((2, 3), keepdim=True)))))
        y = F.relu(self.mix(skip * gate + up))
        return y + F.relu(self.depthwise(y))


class SelfieSegmentation(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Conv(3, 16, 3, 2)
        self.blocks = nn.ModuleList(
            [
                InvertedResidual(16, 16, 16, 3, 2, False, squeezed=8),  # 1/4
                InvertedResidual(16, 72, 24, 3, 2, False),  # 1/8
                InvertedResidual(24, 88, 24, 3, 1, False),
                InvertedResidual(24, 96, 32, 5, 2, True, squeezed=24),  # 1/16
                InvertedResidual(32, 128, 32, 5, 1, True, squeezed=32),
                InvertedResidual(32, 128, 32, 5, 1, True, squeezed=32),
                InvertedResidual(32, 96, 32, 5, 1, True, squeezed=24),
                InvertedResidual(32, 96, 32, 5, 1, True, squeezed=24),
            ]
        )
        self.head = Conv(32, 128, 1, same=False)
        self.head_gate = Conv(32, 128, 1, same=False)
        self.decoder = nn.ModuleList([DecoderStage(128, 24), DecoderStage(24, 16), DecoderStage(16, 16)])
        self.segment = nn.ConvTranspose2d(16, 1, 2, 2)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """RGB [N, 3, 256, 256] in 0..1 -> person probability [N, 1, 256, 256]."""
        x = F.hardswish(self.stem(image))
        skips = [x]  # 1/2
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in (0, 2):  # 1/4, 1/8
                skips.append(x)
        x = F.relu(self.head(x)) * torch.sigmoid(self.head_gate(x.mean((2, 3), keepdim=True)))
        for stage, skip in zip(self.decoder, reversed(skips)):
            x = stage(x, skip)
        return torch.sigmoid(self.segment(x))


def load_selfie_segmentation(tflite: Path | bytes) -> SelfieSegmentation:
    """The network with the weights of MediaPipe's `selfie_segmentation.tflite` (a path or its bytes), in eval mode."""
    network = SelfieSegmentation()
    load_tflite_weights(network, read_tflite(tflite))
    return network.eval().requires_grad_(False)
