"""Pretrained-capable encoders for the U-Net translator: each returns its feature maps at strides 2..32.

`mobilenet_v2` loads the ImageNet weights of `../shared/weights/mobilenet_v2_imagenet.pth`; `resnet18`
follows torchvision's key layout, so a ResNet18 state_dict loads if one is given, else it starts from
scratch. Weights always come from a path, never a download.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .mobilenet_v2 import ImageNetInput, load_mobilenet_v2


class MobileNetV2Encoder(nn.Module):
    STAGES = (1, 3, 6, 13, 18)  # last block at strides 2, 4, 8, 16, 32
    CHANNELS = (16, 24, 32, 96, 1280)

    def __init__(self, weights: Path | None = None):
        super().__init__()
        self.normalise = ImageNetInput()
        self.features = load_mobilenet_v2(weights).features

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x, skips = self.normalise(x), []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self.STAGES:
                skips.append(x)
        return skips


class BasicBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = None
        if stride != 1 or inputs != outputs:
            self.downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + identity)


class ResNet18Encoder(nn.Module):
    CHANNELS = (64, 64, 128, 256, 512)

    def __init__(self, weights: Path | None = None):
        super().__init__()
        self.normalise = ImageNetInput()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(64, 64, 1), BasicBlock(64, 64, 1))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128, 1))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256, 1))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512, 1))
        if weights is not None:
            if not Path(weights).is_file():
                raise FileNotFoundError(f"{weights}: ResNet18 weights not found")
            state = torch.load(weights, map_location="cpu", weights_only=True)
            self.load_state_dict({k: v for k, v in state.items() if not k.startswith("fc.")}, strict=False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        stem = self.relu(self.bn1(self.conv1(self.normalise(x))))
        stride4 = self.layer1(self.maxpool(stem))
        stride8 = self.layer2(stride4)
        stride16 = self.layer3(stride8)
        return [stem, stride4, stride8, stride16, self.layer4(stride16)]


ENCODERS = {"mobilenet_v2": MobileNetV2Encoder, "resnet18": ResNet18Encoder}
