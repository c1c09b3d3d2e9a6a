"""Brush texture at the photo's resolution (`--texture`): bristle streaks over an enlarged painting.

The translator paints at the scale of the faces it learned on, and an enlargement (upscale.py) cannot add the
marks a brush leaves at the photo's own size. A texture model lays them over the enlarged painting: fine
bristle streaks along its contours, with their relief. It runs in tiles with a margin wider than its reach,
and each tile is told where it lies, so the model's fixed pattern continues and tiles join as one image.
"""

from __future__ import annotations

import numpy as np

from .contract import TEXTURE_ORIGIN, images_to_tensor, tensor_to_float_images
from .session import ModelSession
from .tiling import run_tiled

TILE = 512  # pixels per tile side
MARGIN = 32  # > a model's reach: the flow smoothed over 20 px for the bundled one, then two Sobel filters (22 px)
# Below this strength (an enlargement of under 3.5%) the texture would move pixels by about a level: not run.
MIN_TEXTURE_STRENGTH = 0.05


def texture_strength(enlargement: float) -> float:
    """How much of the brush texture an enlarged painting gets: an enlargement loses an octave of detail per
    doubling, so the texture grows with log2 of it, in full from 2x on; none on a painting not enlarged."""
    return float(np.clip(np.log2(max(enlargement, 1.0)), 0.0, 1.0))


def texture_enlarged(rgb: np.ndarray, model: ModelSession, enlargement: float) -> np.ndarray:
    """The texture at the strength an enlargement by `enlargement` calls for (unchanged where that is ~none)."""
    strength = texture_strength(enlargement)
    return rgb if strength < MIN_TEXTURE_STRENGTH else apply_texture(rgb, model, strength)


def apply_texture(rgb: np.ndarray, model: ModelSession, strength: float = 1.0, tile: int = TILE) -> np.ndarray:
    """uint8 RGB -> the same size, textured, tile by tile; `strength` < 1 blends that share of the texture in."""

    def run(context: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
        tensor = images_to_tensor([context], model.info, model.min_side)
        inputs = {TEXTURE_ORIGIN: np.array(origin, np.int64)}
        textured = tensor_to_float_images(model.run(tensor, inputs), model.info, context.shape[:2])[0]
        return textured if strength >= 1 else context + strength * (textured - context)

    return run_tiled(rgb, tile, MARGIN, run)
