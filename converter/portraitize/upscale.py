"""From the painting's size to the photo's: a painting upscaler (`--upscaler`) applied where more than
UPSCALE_ABOVE is left (again while more than UPSCALE_AGAIN_ABOVE is), then one plain resize (down to the exact
size, or up by at most UPSCALE_AGAIN_ABOVE, or more where the upscaler would have to run on a painting above
MAX_INPUT_PIXELS: its cost grows with its input; a second x4 pass on a 12-megapixel photo's 2.5-megapixel
painting would be ~0.3 T multiply-adds, an estimate of tens of seconds on two CPU cores).

A learned upscaler paints detail (strokes, canvas) where a resize only blurs. It runs in tiles with a margin
wider than its receptive field, so tiles join exactly and memory stays bounded on large photos.
"""

from __future__ import annotations

import numpy as np

from .contract import images_to_tensor, tensor_to_float_images
from .images import resize
from .session import ModelSession
from .tiling import run_tiled

TILE = 256  # input pixels per tile side
MARGIN = 16  # > the upscaler's receptive radius (14 px for the bundled one), so tiles join without seams
MAX_INPUT_PIXELS = 1_000_000
# Enlargement left above which the upscaler runs on the painting (its output then reduced to size): a resize by
# less loses under a third of an octave of detail, not worth a pass over 16x the painting's pixels.
UPSCALE_ABOVE = 1.25
# ... and above which it runs again on its own output: a second pass costs 16x the first, worth it only where a
# resize would lose more than an octave.
UPSCALE_AGAIN_ABOVE = 2.0


def enlarge(
    rgb: np.ndarray, size: tuple[int, int], upscaler: ModelSession | None, max_input_pixels: int = MAX_INPUT_PIXELS
) -> np.ndarray:
    """uint8 RGB -> uint8 RGB of (width, height) `size`."""
    threshold = UPSCALE_ABOVE
    while (
        upscaler is not None and enlargement(rgb, size) > threshold and rgb.shape[0] * rgb.shape[1] <= max_input_pixels
    ):
        rgb = upscale(rgb, upscaler)
        threshold = UPSCALE_AGAIN_ABOVE
    return resize(rgb, size)


def enlargement(rgb: np.ndarray, size: tuple[int, int]) -> float:
    """The smaller of the two axes' enlargements (a very thin photo is enlarged by its thin side)."""
    return min(size[0] / rgb.shape[1], size[1] / rgb.shape[0])


def upscale(rgb: np.ndarray, model: ModelSession, tile: int = TILE) -> np.ndarray:
    """One pass of the upscaler over the whole image, tile by tile."""
    factor = model.info.factor

    def run(context: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
        tensor = images_to_tensor([context], model.info, model.min_side)
        size = (context.shape[0] * factor, context.shape[1] * factor)
        return tensor_to_float_images(model.run(tensor), model.info, size=size)[0]

    return run_tiled(rgb, tile, MARGIN, run, factor)
