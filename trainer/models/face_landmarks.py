"""MediaPipe's face-landmark network (Face Mesh: 468 points and a face-presence score), rebuilt in torch.

A BlazeFace-like residual network (depthwise 3x3 + pointwise 1x1, PReLU; strided blocks shortcut through a 2x2
max-pool, zero-padded to the new width) to 6 x 6, then two heads: the 468 points (x, y in pixels of the 192 x
192 crop, z at the same scale, smaller towards the camera) and the presence of a face (a logit: MediaPipe applies
a sigmoid). Input: RGB [N, 3, 192, 192] in 0..1. The weights come from `face_landmark.tflite` in the
`mediapipe` wheel (Apache-2.0), through `load_face_landmarks`.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..tflite_file import read_tflite
from .tflite_layers import Conv, load_tflite_weights

SIZE = 192
POINTS = 468


class Residual(nn.Module):
    """Depthwise 3x3 (strided or not) + 1x1, plus the input (max-pooled and zero-padded to the new width), PReLU."""

    def __init__(self, inputs: int, outputs: int, stride: int = 1):
        super().__init__()
        self.depthwise = Conv(inputs, inputs, 3, stride, depthwise=True)
        self.pointwise = Conv(inputs, outputs, 1, same=False)
        self.activation = nn.PReLU(outputs)
        self.stride, self.extra_channels = stride, outputs - inputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pointwise(self.depthwise(x))
        shortcut = F.max_pool2d(x, 2) if self.stride == 2 else x
        if self.extra_channels:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, self.extra_channels))
        return self.activation(shortcut + y)


class Head(nn.Module):
    """From the backbone's 6 x 6 to a 1 x 1 output of `outputs` values."""

    def __init__(self, outputs: int, blocks: int):
        super().__init__()
        self.blocks = nn.Sequential(Residual(128, 128, 2), *(Residual(128, 128) for _ in range(blocks - 1)))
        self.narrow = Conv(128, 32, 1, same=False)
        self.narrow_activation = nn.PReLU(32)
        self.last_block = Residual(32, 32)
        self.out = Conv(32, outputs, 3, 3, same=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.narrow_activation(self.narrow(self.blocks(x)))
        return self.out(self.last_block(x)).flatten(1)


class FaceLandmarks(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Conv(3, 16, 3, 2)
        self.stem_activation = nn.PReLU(16)
        widths = [(16, 16, 1), (16, 16, 1), (16, 32, 2), (32, 32, 1), (32, 32, 1), (32, 64, 2), (64, 64, 1)]
        widths += [(64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 128, 1), (128, 128, 2), (128, 128, 1)]
        widths += [(128, 128, 1)]
        self.backbone = nn.Sequential(*(Residual(*width) for width in widths))
        # Registered in the order of the TFLite layer names: the landmark head's layers come first.
        self.landmarks = Head(POINTS * 3, blocks=3)
        self.presence = Head(1, blocks=1)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """RGB [N, 3, 192, 192] in 0..1 -> points [N, 468, 3] in crop pixels, face presence logit [N]."""
        x = self.backbone(self.stem_activation(self.stem(image)))
        return self.landmarks(x).reshape(-1, POINTS, 3), self.presence(x)[:, 0]


def load_face_landmarks(tflite: Path | bytes) -> FaceLandmarks:
    """The network with the weights of MediaPipe's `face_landmark.tflite` (a path or its bytes), in eval mode."""
    network = FaceLandmarks()
    load_tflite_weights(network, read_tflite(tflite))
    return network.eval().requires_grad_(False)
