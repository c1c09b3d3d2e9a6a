"""Fast neural style transfer (Johnson et al. 2016): one network per painting, trained on content photos.

Loss = content (feature distance to the photo) + style (Gram-matrix distance to the painting) + total
variation, all measured by a frozen ImageNet MobileNetV2 (VGG-16 is not available offline here).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..data import read_rgb
from ..losses import gram_matrix, total_variation
from ..models.mobilenet_v2 import DEFAULT_WEIGHTS, FeatureNetwork
from ..models.resnet_generator import ResnetGenerator
from ..options import option
from .base import TranslatorRecipe

STYLE_LAYERS = ("block1", "block3", "block6", "block13")
CONTENT_LAYER = "block6"


@dataclasses.dataclass
class StyleConfig:
    photos: str = option(help="Folder of content photos (recursive).")
    style_image: str = option(help="The painting whose style the network learns.")
    feature_weights: str | None = option(
        DEFAULT_WEIGHTS, help="ImageNet MobileNetV2 state_dict for the losses; never downloaded."
    )
    size: int = option(256, help="Training crop size (px).")
    style_size: int = option(256, help="Short side of the painting for its Gram matrices (sets the brush scale).")
    width: int = option(32, help="Channels of the first layer (x2, x4 deeper).")
    residual_blocks: int = option(5, help="Residual blocks at 1/4 resolution.")
    content_weight: float = option(1.0, help="Weight of the perceptual content loss.")
    style_weight: float = option(5000.0, help="Weight of the Gram-matrix style loss.")
    tv_weight: float = option(0.5, help="Weight of the total-variation loss.")
    lr: float = option(1e-3, help="Adam learning rate.")


class StyleRecipe(TranslatorRecipe):
    name = "style"
    Config = StyleConfig
    description = "Fast style transfer: repaints a photo in the colours and brushwork of one painting."
    size_multiple = ResnetGenerator.SIZE_MULTIPLE

    def __init__(self, config: StyleConfig, device: torch.device, training: bool = True):
        super().__init__(config, device, training)
        self.nets["generator"] = ResnetGenerator(config.width, config.residual_blocks, outer_kernel=9).to(device)
        if not training:
            return
        self.optimizers["generator"] = torch.optim.Adam(self.nets["generator"].parameters(), lr=config.lr)
        self.features = FeatureNetwork(Path(config.feature_weights) if config.feature_weights else None).to(device)
        style = self._load_style(Path(config.style_image), config.style_size).to(device)
        with torch.no_grad():
            found = self.features(style, STYLE_LAYERS)
            self.style_grams = {name: gram_matrix(found[name]) for name in STYLE_LAYERS}

    @staticmethod
    def _load_style(path: Path, short_side: int) -> torch.Tensor:
        """The whole painting (not a crop), short side resized to `short_side`, in [-1, 1]."""
        try:
            image = read_rgb(path)
        except OSError as error:
            raise ValueError(f"cannot read the style image {error}") from None  # it names the file
        scale = short_side / min(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        pixels = np.asarray(image.resize(size, Image.Resampling.LANCZOS)).copy()
        return torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 127.5 - 1

    def data_roles(self) -> dict[str, str]:
        return {"photos": self.config.photos}

    def losses(self, photos: torch.Tensor, painted: torch.Tensor) -> dict[str, torch.Tensor]:
        config = self.config
        wanted = tuple(dict.fromkeys((*STYLE_LAYERS, CONTENT_LAYER)))
        painted_features = self.features(painted, wanted)
        with torch.no_grad():
            photo_features = self.features(photos, (CONTENT_LAYER,))
        content = F.mse_loss(painted_features[CONTENT_LAYER].float(), photo_features[CONTENT_LAYER].float())
        style = sum(
            F.mse_loss(gram_matrix(painted_features[name]), self.style_grams[name].expand(len(painted), -1, -1))
            for name in STYLE_LAYERS
        )
        return {
            "content": config.content_weight * content,
            "style": config.style_weight * style,
            "tv": config.tv_weight * total_variation(painted.float()),
        }

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        photos = batches["photos"]
        painted = self.nets["generator"](photos)
        terms = self.losses(photos, painted)
        total = sum(terms.values())
        optimizer = self.optimizers["generator"]
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        return {"loss": total.item(), **{name: value.item() for name, value in terms.items()}}
