"""From the painting's size to the photo's: a painting upscaler (`--upscaler`) applied while more than 2x is
left, then one plain resize (down to the exact size, or up by at most 2x, or more where the upscaler would have
to run on a painting above MAX_INPUT_PIXELS: its cost grows with its input; a second x4 pass on a 12-megapixel
photo's 2.5-megapixel painting would be ~0.3 T multiply-adds, an estimate of tens of seconds on two CPU cores),
then, where the painting was enlarged more than 2x, brush texture at the photo's own resolution (`--texture`,
texture.py).

A learned upscaler paints detail (strokes, canvas) where a resize only blurs. It runs in tiles with a margin
wider than its receptive field, so tiles join exactly and memory stays bounded on large photos.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .contract import images_to_tensor, tensor_to_float_images
from .session import ModelSession
from .texture import apply_texture
from .tiling import tiles_with_margin

TILE = 256  # input pixels per tile side
MARGIN = 16  # > the upscaler's receptive radius (14 px for the bundled one), so tiles join without seams
MAX_INPUT_PIXELS = 1_000_000


def enlarge(
    rgb: np.ndarray,
    size: tuple[int, int],
    upscaler: ModelSession | None,
    texture: ModelSession | None = None,
    max_input_pixels: int = MAX_INPUT_PIXELS,
) -> np.ndarray:
    """uint8 RGB -> uint8 RGB of (width, height) `size`."""
    textured = texture is not None and _fits(rgb, size)
    while upscaler is not None and _fits(rgb, size) and rgb.shape[0] * rgb.shape[1] <= max_input_pixels:
        rgb = upscale(rgb, upscaler)
    if (rgb.shape[1], rgb.shape[0]) != size:
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
    return apply_texture(rgb, texture) if textured else rgb


def _fits(rgb: np.ndarray, size: tuple[int, int]) -> bool:
    """More than a 2x plain resize is left on both axes (a very thin photo is only resized)."""
    return 2 * rgb.shape[1] < size[0] and 2 * rgb.shape[0] < size[1]


def upscale(rgb: np.ndarray, model: ModelSession, tile: int = TILE) -> np.ndarray:
    """One pass of the upscaler over the whole image, tile by tile."""
    factor = model.info.factor
    height, width = rgb.shape[:2]
    out = np.empty((height * factor, width * factor, 3), np.uint8)
    for (top, left, bottom, right), (y0, x0, y1, x1) in tiles_with_margin(height, width, tile, MARGIN):
        tensor = images_to_tensor([rgb[y0:y1, x0:x1]], model.info, model.min_side)
        floats = tensor_to_float_images(model.run(tensor), model.info, size=((y1 - y0) * factor, (x1 - x0) * factor))[0]
        inner = floats[(top - y0) * factor : (bottom - y0) * factor, (left - x0) * factor : (right - x0) * factor]
        out[top * factor : bottom * factor, left * factor : right * factor] = np.rint(inner).astype(np.uint8)
    return out
