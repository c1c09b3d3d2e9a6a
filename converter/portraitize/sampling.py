"""Painting new portraits with a sampler: seeded latents in, numbered PNGs (and a contact sheet) out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .contract import sample_latents, tensor_to_images
from .images import save_image
from .session import ModelSession


def sample_path(folder: Path, model: str, seed: int, index: int) -> Path:
    """Names carry model and seed, so samples of different models or seeds never overwrite each other."""
    return folder / f"{model}-seed{seed}-{index:04d}.png"


def grid_path(folder: Path, model: str, seed: int, count: int) -> Path:
    return folder / f"{model}-seed{seed}-grid{count}.png"


def paint_samples(
    model: ModelSession,
    count: int,
    seed: int,
    truncation: float | None,
    batch_size: int,
    on_batch: Callable[[int], None] = lambda done: None,
) -> np.ndarray:
    """uint8 [count, S, S, 3]; image i depends only on (seed, i, truncation)."""
    latents = sample_latents(count, model.info.latent_size, seed, truncation)
    images = []
    for start in range(0, count, batch_size):
        images.append(tensor_to_images(model.run(latents[start : start + batch_size]), model.info))
        on_batch(len(images[-1]))
    return np.concatenate(images) if images else np.zeros((0, 1, 1, 3), np.uint8)


def save_png(path: Path, rgb: np.ndarray) -> None:
    save_image(path, rgb, "PNG", quality=95)
