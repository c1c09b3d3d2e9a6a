"""Tiles with a margin of context: how the upscaler and the brush texture cover a large image exactly."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

Box = tuple[int, int, int, int]  # top, left, bottom, right
# A tiled pass: a tile with its context (uint8 RGB) and the context's (top, left) in the whole image -> the
# context's float RGB, `factor` times its size.
TilePass = Callable[[np.ndarray, tuple[int, int]], np.ndarray]


def tiles_with_margin(height: int, width: int, tile: int, margin: int) -> Iterator[tuple[Box, Box]]:
    """Each tile of `tile` px, and the same tile grown by `margin` px on every side that has one: a model whose
    reach is under the margin gives the tile's pixels exactly as it would on the whole image."""
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            bottom, right = min(top + tile, height), min(left + tile, width)
            context = (
                max(0, top - margin),
                max(0, left - margin),
                min(height, bottom + margin),
                min(width, right + margin),
            )
            yield (top, left, bottom, right), context


def run_tiled(rgb: np.ndarray, tile: int, margin: int, run: TilePass, factor: int = 1) -> np.ndarray:
    """uint8 RGB -> uint8 RGB `factor` times its size, `run` on each tile with its margin of context; memory
    stays at one tile's worth beyond the output, whatever the image's size."""
    height, width = rgb.shape[:2]
    out = np.empty((height * factor, width * factor, 3), np.uint8)
    for (top, left, bottom, right), (y0, x0, y1, x1) in tiles_with_margin(height, width, tile, margin):
        floats = run(rgb[y0:y1, x0:x1], (y0, x0))
        inner = floats[(top - y0) * factor : (bottom - y0) * factor, (left - x0) * factor : (right - x0) * factor]
        out[top * factor : bottom * factor, left * factor : right * factor] = np.rint(inner).clip(0, 255)
    return out
