"""`python -m trainer sample`: a torch-side grid from a checkpoint, without exporting it."""

from __future__ import annotations

from pathlib import Path

import torch
from .data import find_images, load_square
from .export import load_for_inference
from .loop import save_grid


def write_preview(checkpoint: Path, out: Path, count: int, seed: int) -> None:
    recipe, _ = load_for_inference(checkpoint)
    fixed = {}
    for role, folder in recipe.data_roles().items():
        images = [load_square(path, recipe.config.size) for path in find_images(Path(folder))[: count * 2]]
        fixed[role] = torch.stack([image for image in images if image is not None][:count]).float() / 127.5 - 1
    with torch.no_grad():
        save_grid(recipe.preview(fixed, seed=seed), out, columns=count)
