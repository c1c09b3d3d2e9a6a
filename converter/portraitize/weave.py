"""The canvas under the paint: a plain weave that shows through where the paint is thin.

Oil paint is laid on woven linen or cotton, and at 100% a painting shows its weave wherever the paint is thin:
in the darks and the ground far more than in the built-up lights (the painter's "thin darks, thick lights").
The weave is a plain one (each thread passes over one crossing thread, then under the next), its threads a
little uneven in thickness, its grooves darker; its pitch follows the picture's size, as a larger
canvas of the same portrait would have been painted on a coarser one.
"""

from __future__ import annotations

import numpy as np

from .filters import by_rows, luminance

THREADS_PER_SIDE = 300  # threads across the picture's long side (a 60 cm canvas: 2 mm a thread)
MIN_PITCH = 4  # px: a finer weave reads as a pixel pattern (viewers took it for a printer's dots), so none is laid
DEPTH = 0.12  # how much a groove between threads darkens the thinnest paint
THICK_PAINT = 0.8  # the lightest paint hides this share of the weave
UNEVEN = 0.25  # spread of a thread's thickness
TILE_THREADS = 64  # the weave is made for this many threads and repeated (no repeat a viewer can find)


def weave_pattern(pitch: int, seed: int) -> np.ndarray:
    """How far each point of one tile of weave stands out (float32, 0 in a groove .. 1 on a thread's crown),
    TILE_THREADS * pitch px square."""
    rng = np.random.default_rng(seed)
    side = TILE_THREADS * pitch
    position = (np.arange(side, dtype=np.float32) + 0.5) / pitch
    thread, within = position.astype(int), position % 1
    # Each thread's crown rises and falls across its width; threads differ a little in thickness.
    thickness = 1 + UNEVEN * (rng.uniform(-1, 1, (2, TILE_THREADS)).astype(np.float32))
    across = np.sin(np.pi * within)
    warp = (across * thickness[0][thread])[None, :]  # the threads running down, by column
    weft = (across * thickness[1][thread])[:, None]  # the threads running across, by row
    over = ((thread[:, None] + thread[None, :]) % 2).astype(bool)  # which thread is on top at each crossing
    # Where a thread passes over, its crown shows, rising and falling along it over the crossings.
    rise = 0.55 + 0.45 * across
    height = np.where(over, weft * rise[None, :], warp * rise[:, None])
    return np.clip(height / (1 + UNEVEN), 0, 1).astype(np.float32)


def woven(rgb: np.ndarray, seed: int) -> np.ndarray:
    """uint8 RGB with the canvas's weave showing through its thin paint."""
    height, width = rgb.shape[:2]
    pitch = round(max(height, width) / THREADS_PER_SIDE)
    if pitch < MIN_PITCH:
        return rgb
    tile = weave_pattern(pitch, seed)
    side = tile.shape[0]
    columns = np.arange(width) % side

    def shaded(block: np.ndarray, rows: slice) -> np.ndarray:
        pattern = tile[np.arange(rows.start, rows.stop) % side][:, columns]
        thin = 1 - THICK_PAINT * luminance(block) / 255
        return block * (1 - DEPTH * thin * (1 - pattern))[..., None]

    return by_rows(rgb, shaded)
