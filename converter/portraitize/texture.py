"""Brush texture at the photo's resolution (`--texture`): the last step for a painting enlarged to the photo.

The translator paints at the scale of the faces it learned on, and an enlargement (upscale.py) cannot add the
marks a brush leaves at the photo's own size. A texture model lays them over the enlarged painting: fine
bristle streaks along its contours, with their relief. It runs in tiles with a margin wider than its reach,
and each tile is told where it lies, so the model's fixed pattern continues and tiles join as one image.
"""

from __future__ import annotations

import numpy as np

from .contract import TEXTURE_ORIGIN, images_to_tensor, tensor_to_float_images
from .session import ModelSession
from .tiling import tiles_with_margin

TILE = 512  # pixels per tile side
MARGIN = 32  # > a model's reach: the flow smoothed over 20 px for the bundled one, then two Sobel filters (22 px)


def apply_texture(rgb: np.ndarray, model: ModelSession, strength: float = 1.0, tile: int = TILE) -> np.ndarray:
    """uint8 RGB -> the same size, textured, tile by tile; `strength` < 1 blends that share of the texture in."""
    height, width = rgb.shape[:2]
    out = np.empty_like(rgb)
    for (top, left, bottom, right), (y0, x0, y1, x1) in tiles_with_margin(height, width, tile, MARGIN):
        tensor = images_to_tensor([rgb[y0:y1, x0:x1]], model.info, model.min_side)
        origin = np.array([y0, x0], np.int64)
        floats = tensor_to_float_images(model.run(tensor, {TEXTURE_ORIGIN: origin}), model.info, (y1 - y0, x1 - x0))
        textured = floats[0, top - y0 : bottom - y0, left - x0 : right - x0]
        if strength < 1:
            inner = rgb[top:bottom, left:right]
            textured = inner + strength * (textured - inner)
        out[top:bottom, left:right] = np.rint(textured).clip(0, 255).astype(np.uint8)
    return out
