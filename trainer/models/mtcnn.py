"""MTCNN's three face-detector networks (Zhang et al. 2016), in the layout of `../shared/weights/mtcnn_*.pt`."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoint import read_torch_file


class _Flatten(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The original Caffe weights expect width-major order.
        return x.transpose(3, 2).contiguous().flatten(1)


def _conv_prelu(index: int, inputs: int, outputs: int, kernel: int) -> list[tuple[str, nn.Module]]:
    return [(f"conv{index}", nn.Conv2d(inputs, outputs, kernel)), (f"prelu{index}", nn.PReLU(outputs))]


class PNet(nn.Module):
    """Proposal net: fully convolutional, a face probability and box offsets per 12x12 window."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                [
                    *_conv_prelu(1, 3, 10, 3),
                    ("pool1", nn.MaxPool2d(2, 2, ceil_mode=True)),
                    *_conv_prelu(2, 10, 16, 3),
                    *_conv_prelu(3, 16, 32, 3),
                ]
            )
        )
        self.conv4_1, self.conv4_2 = nn.Conv2d(32, 2, 1), nn.Conv2d(32, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.features(x)
        return F.softmax(self.conv4_1(x), dim=1)[:, 1], self.conv4_2(x)


class RNet(nn.Module):
    """Refine net: 24x24 crops -> face probability and box offsets."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                [
                    *_conv_prelu(1, 3, 28, 3),
                    ("pool1", nn.MaxPool2d(3, 2, ceil_mode=True)),
                    *_conv_prelu(2, 28, 48, 3),
                    ("pool2", nn.MaxPool2d(3, 2, ceil_mode=True)),
                    *_conv_prelu(3, 48, 64, 2),
                    ("flatten", _Flatten()),
                    ("conv4", nn.Linear(576, 128)),
                    ("prelu4", nn.PReLU(128)),
                ]
            )
        )
        self.conv5_1, self.conv5_2 = nn.Linear(128, 2), nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.features(x)
        return F.softmax(self.conv5_1(x), dim=1)[:, 1], self.conv5_2(x)


class ONet(nn.Module):
    """Output net: 48x48 crops -> face probability and final box offsets (landmarks unused)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                [
                    *_conv_prelu(1, 3, 32, 3),
                    ("pool1", nn.MaxPool2d(3, 2, ceil_mode=True)),
                    *_conv_prelu(2, 32, 64, 3),
                    ("pool2", nn.MaxPool2d(3, 2, ceil_mode=True)),
                    *_conv_prelu(3, 64, 64, 3),
                    ("pool3", nn.MaxPool2d(2, 2, ceil_mode=True)),
                    *_conv_prelu(4, 64, 128, 2),
                    ("flatten", _Flatten()),
                    ("conv5", nn.Linear(1152, 256)),
                    ("drop5", nn.Dropout(0.25)),
                    ("prelu5", nn.PReLU(256)),
                ]
            )
        )
        self.conv6_1, self.conv6_2, self.conv6_3 = nn.Linear(256, 2), nn.Linear(256, 4), nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.features(x)
        return F.softmax(self.conv6_1(x), dim=1)[:, 1], self.conv6_2(x)


def _load_weights(network: nn.Module, path: Path) -> None:
    network.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))


def load_mtcnn(folder: Path) -> tuple[PNet, RNet, ONet]:
    """The three networks with weights from mtcnn_pnet.pt, mtcnn_rnet.pt, mtcnn_onet.pt in `folder`."""
    networks = []
    for name, network in (("pnet", PNet()), ("rnet", RNet()), ("onet", ONet())):
        path = Path(folder) / f"mtcnn_{name}.pt"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: MTCNN weights not found (see ../shared/weights/SOURCE.md)")
        read_torch_file(path, "MTCNN weights", _load_weights, network, path)
        networks.append(network.eval().requires_grad_(False))
    return tuple(networks)
