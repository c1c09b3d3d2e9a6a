"""Tiles with a margin of context: how the upscaler and the brush texture cover a large image exactly."""

from __future__ import annotations

from collections.abc import Iterator

Box = tuple[int, int, int, int]  # top, left, bottom, right


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
