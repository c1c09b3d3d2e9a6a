"""ImageNet MobileNetV2 as a frozen feature network (loss network, FID features, translator encoder).

The layout matches torchvision's `mobilenet_v2` state_dict keys, so `../shared/weights/mobilenet_v2_imagenet.pth`
loads as is. torchvision has no CPU build here, hence these few lines.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..checkpoint import read_torch_file

# (expand ratio t, output channels c, repeats n, first stride s), from the MobileNetV2 paper.
BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
DEFAULT_WEIGHTS = "../shared/weights/mobilenet_v2_imagenet.pth"  # where the team's copy lives, beside the checkout
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageNetInput(nn.Module):
    """[-1, 1] images -> ImageNet-normalised, as pretrained weights expect."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + 1) / 2 - self.mean) / self.std


def conv_bn_relu(inputs: int, outputs: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(outputs),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int, expand_ratio: int):
        super().__init__()
        hidden = inputs * expand_ratio
        self.use_residual = stride == 1 and inputs == outputs
        layers = [conv_bn_relu(inputs, hidden, kernel=1)] if expand_ratio != 1 else []
        layers += [
            conv_bn_relu(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, outputs, 1, bias=False),
            nn.BatchNorm2d(outputs),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        layers: list[nn.Module] = [conv_bn_relu(3, 32, stride=2)]
        channels = 32
        for expand, outputs, repeats, stride in BLOCKS:
            for index in range(repeats):
                layers.append(InvertedResidual(channels, outputs, stride if index == 0 else 1, expand))
                channels = outputs
        layers.append(conv_bn_relu(channels, 1280, kernel=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean(dim=(2, 3)))


def load_mobilenet_v2(weights: Path | None) -> MobileNetV2:
    """MobileNetV2 with ImageNet weights from a file (never downloaded); random weights if None."""
    network = MobileNetV2()
    if weights is not None:
        if not Path(weights).is_file():
            raise FileNotFoundError(f"{weights}: MobileNetV2 weights not found (see ../shared/weights/SOURCE.md)")
        read_torch_file(
            weights,
            "MobileNetV2 weights",
            lambda: network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True)),
        )
    return network


class FeatureNetwork(nn.Module):
    """Frozen MobileNetV2 giving named intermediate features of [-1, 1] images (ImageNet-normalised inside)."""

    # Block outputs at strides 2, 4, 8, 16 and the pooled 1280-d head, like VGG's relu1_2..relu4_3 slices.
    LAYERS = {"block1": 1, "block3": 3, "block6": 6, "block13": 13, "head": 18}

    def __init__(self, weights: Path | None):
        super().__init__()
        self.features = load_mobilenet_v2(weights).features
        self.normalise = ImageNetInput()
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> FeatureNetwork:
        return super().train(False)  # batch-norm statistics stay ImageNet's

    def forward(self, images: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        x = self.normalise(images)
        wanted = {self.LAYERS[name]: name for name in layers}
        last = max(wanted)
        found = {}
        for index, layer in enumerate(self.features[: last + 1]):
            x = layer(x)
            if index in wanted:
                found[wanted[index]] = x
        return found
