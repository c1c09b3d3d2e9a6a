"""One file per training objective; RECIPES maps the CLI's recipe names to them."""

from typing import Any

import torch

from .base import ExportSpec, Recipe
from .cyclegan import CycleGANRecipe
from .dcgan import DCGANRecipe
from .fastgan import FastGANRecipe
from .style import StyleRecipe
from .unet import UNetRecipe
from .upscale import UpscaleRecipe
from .vae import VAERecipe

RECIPES: dict[str, type[Recipe]] = {
    recipe.name: recipe
    for recipe in (StyleRecipe, UNetRecipe, CycleGANRecipe, DCGANRecipe, FastGANRecipe, VAERecipe, UpscaleRecipe)
}


def build_recipe(name: str, config: Any, device: torch.device, training: bool = True) -> Recipe:
    return RECIPES[name](config, device, training)


__all__ = ["RECIPES", "ExportSpec", "Recipe", "build_recipe"]
