"""One file per training objective; RECIPES maps the CLI's recipe names to them."""

from .base import ExportSpec, Recipe
from .cyclegan import CycleGANRecipe
from .dcgan import DCGANRecipe
from .style import StyleRecipe
from .unet import UNetRecipe
from .vae import VAERecipe

RECIPES: dict[str, type[Recipe]] = {
    recipe.name: recipe for recipe in (StyleRecipe, UNetRecipe, CycleGANRecipe, DCGANRecipe, VAERecipe)
}

__all__ = ["RECIPES", "ExportSpec", "Recipe"]
