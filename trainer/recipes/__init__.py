"""One file per training objective; RECIPES maps the CLI's recipe names to them."""

from .base import ExportSpec, Recipe
from .style import StyleRecipe

RECIPES: dict[str, type[Recipe]] = {recipe.name: recipe for recipe in (StyleRecipe,)}

__all__ = ["RECIPES", "ExportSpec", "Recipe"]
