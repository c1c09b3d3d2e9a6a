"""Sample grids: the loop's periodic previews, and `python -m trainer sample` (a checkpoint, without exporting it)."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

from portraitize.grid import contact_sheet

from .data import find_images, load_square


def save_grid(images: torch.Tensor, path: Path, columns: int) -> None:
    """[-1, 1] images [N, 3, H, W] as one contact-sheet PNG."""
    pixels = ((images.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(contact_sheet(pixels, columns=columns)).save(path)


def write_preview(checkpoint: Path, out: Path, count: int, seed: int) -> None:
    from .export import load_for_inference  # imports onnx: only this command needs it, not the loop

    recipe, _ = load_for_inference(checkpoint)
    fixed = {}
    for role, folder in recipe.data_roles().items():
        images = [load_square(path, recipe.config.size) for path in find_images(Path(folder))[: count * 2]]
        fixed[role] = torch.stack([image for image in images if image is not None][:count]).float() / 127.5 - 1
    with torch.no_grad():
        save_grid(recipe.preview(fixed, seed=seed), out, columns=count)
