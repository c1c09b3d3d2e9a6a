"""From the painting's size to the photo's: a painting upscaler (`--upscaler`) applied where more than
UPSCALE_ABOVE is left (again while more than UPSCALE_AGAIN_ABOVE is), then one plain resize (down to the exact
size, or up by at most UPSCALE_AGAIN_ABOVE, or more where the upscaler would have to run on a painting above
MAX_INPUT_PIXELS: its cost grows with its input; a second x4 pass on a 12-megapixel photo's 2.5-megapixel
painting would be ~0.3 T multiply-adds, an estimate of tens of seconds on two CPU cores), then brush texture at
the photo's own resolution (`--texture`, texture.py), at a strength that grows with the enlargement
(`texture_strength`).

A learned upscaler paints detail (strokes, canvas) where a resize only blurs. It runs in tiles with a margin
wider than its receptive field, so tiles join exactly and memory stays bounded on large photos.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
from PIL import Image

from .contract import images_to_tensor, tensor_to_float_images
from .session import ModelSession
from .texture import apply_texture
from .tiling import tiles_with_margin

TILE = 256  # input pixels per tile side
MARGIN = 16  # > the upscaler's receptive radius (14 px for the bundled one), so tiles join without seams
MAX_INPUT_PIXELS = 1_000_000
# Enlargement left above which the upscaler runs on the painting (its output then reduced to size): a resize by
# less loses under a third of an octave of detail, not worth a pass over 16x the painting's pixels.
UPSCALE_ABOVE = 1.25
# ... and above which it runs again on its own output: a second pass costs 16x the first, worth it only where a
# resize would lose more than an octave.
UPSCALE_AGAIN_ABOVE = 2.0
# Below this strength (an enlargement of under 3.5%) the texture would move pixels by about a level: not run.
MIN_TEXTURE_STRENGTH = 0.05
# The converter's writer threads enlarge several photos at once; on the CPU their upscaler and texture passes
# take turns, since concurrent passes add up their workspaces (four 12 MP photos: 2.1 GB peak, against 1.2 GB
# for one) and share the same cores. Resizing, which needs no model, still runs side by side.
_CPU_PASSES = threading.Lock()


def _one_pass_at_a_time(model: ModelSession):
    return _CPU_PASSES if model.device_name == "CPU" else contextlib.nullcontext()


def enlarge(
    rgb: np.ndarray,
    size: tuple[int, int],
    upscaler: ModelSession | None,
    texture: ModelSession | None = None,
    max_input_pixels: int = MAX_INPUT_PIXELS,
) -> np.ndarray:
    """uint8 RGB -> uint8 RGB of (width, height) `size`."""
    strength = texture_strength(_enlargement(rgb, size)) if texture is not None else 0.0
    threshold = UPSCALE_ABOVE
    while (
        upscaler is not None and _enlargement(rgb, size) > threshold and rgb.shape[0] * rgb.shape[1] <= max_input_pixels
    ):
        with _one_pass_at_a_time(upscaler):
            rgb = upscale(rgb, upscaler)
        threshold = UPSCALE_AGAIN_ABOVE
    if (rgb.shape[1], rgb.shape[0]) != size:
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
    if strength < MIN_TEXTURE_STRENGTH:
        return rgb
    with _one_pass_at_a_time(texture):
        return apply_texture(rgb, texture, strength)


def texture_strength(enlargement: float) -> float:
    """How much of the brush texture an enlarged painting gets: an enlargement loses an octave of detail per
    doubling, so the texture grows with log2 of it, in full from 2x on; none on a painting not enlarged."""
    return float(np.clip(np.log2(max(enlargement, 1.0)), 0.0, 1.0))


def _enlargement(rgb: np.ndarray, size: tuple[int, int]) -> float:
    """The smaller of the two axes' enlargements (a very thin photo is enlarged by its thin side)."""
    return min(size[0] / rgb.shape[1], size[1] / rgb.shape[0])


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
