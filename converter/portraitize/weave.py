"""The canvas under the paint: a plain weave that shows through where the paint is thin.

Oil paint is laid on woven linen or cotton, and at 100% a painting shows its weave wherever the paint is thin:
in the darks and the ground far more than in the built-up lights (the painter's "thin darks, thick lights").
The weave is a plain one (each thread passes over one crossing thread, then under the next), its grooves
darker; its pitch follows the picture's size, as a larger canvas of the same portrait would have been painted
on a coarser one. Linen is spun by hand and woven loose: its threads wander a little off their lines and thicken
and thin along their length (slubs). A weave of straight, even threads is a square mesh, and at 100% on a
phone photo's painting two blind viewers saw it as a screen laid over the paint, not as canvas under it.

A picture too small for its threads to be MIN_PITCH apart (under 1,500 px long) is left unwoven: its weave would be
coarser than the canvas's, a grid of a few pixels over the whole picture, and blind viewers chose the paintings
without it (forced choice 155).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .filters import by_rows, luminance

THREADS_PER_SIDE = 500  # threads across the picture's long side (a 60 cm canvas: a medium linen, 1.2 mm a thread)
MIN_PITCH = 3  # px: a finer weave is lost in a pixel grid
DEPTH = 0.12  # how much a groove between threads darkens the thinnest paint
THICK_PAINT = 0.8  # the lightest paint hides this share of the weave
# A thread's straying and thickness follow smooth random fields scaled to -1..1 at their extreme point: typically
# about a quarter of that (a thread strays about 0.1 of a thread and is about 7% thicker or thinner), at most
# WANDER and UNEVEN.
UNEVEN = 0.25  # most change of a thread's thickness, along it (slubs) and from thread to thread
WANDER = 0.4  # most a thread strays off its line, in threads
WANDER_THREADS = 6 / (2 * math.pi)  # the fields' smoothness: a Gaussian of this many threads (about one)
TILE_THREADS = 64  # the weave is made for this many threads and repeated (no repeat a viewer can find)


@functools.lru_cache(maxsize=8)  # photos of a batch share a few pitches; a 12 MP photo's tile costs 0.05 s to make
def weave_pattern(pitch: int, seed: int) -> np.ndarray:
    """How far each point of one tile of weave stands out (float32, 0 in a groove .. 1 on a thread's crown),
    TILE_THREADS * pitch px square; made once per pitch and seed, and read-only."""
    rng = np.random.default_rng(seed)
    side = TILE_THREADS * pitch
    ys, xs = (np.mgrid[0:side, 0:side].astype(np.float32) + 0.5) / pitch
    # Each set of threads strays from its lines, and thickens and thins, by its own smooth random field.
    warp_at = xs + WANDER * _wobble(side, pitch, rng)  # the threads running down, by column
    weft_at = ys + WANDER * _wobble(side, pitch, rng)  # the threads running across, by row
    warp_thread, weft_thread = np.floor(warp_at).astype(int), np.floor(weft_at).astype(int)
    warp_across, weft_across = np.sin(np.pi * (warp_at % 1)), np.sin(np.pi * (weft_at % 1))
    warp = warp_across * (1 + UNEVEN * _wobble(side, pitch, rng))
    weft = weft_across * (1 + UNEVEN * _wobble(side, pitch, rng))
    over = ((warp_thread + weft_thread) % 2).astype(bool)  # which thread is on top at each crossing
    # Where a thread passes over, its crown shows, rising and falling along it over the crossings.
    height = np.where(over, weft * (0.55 + 0.45 * warp_across), warp * (0.55 + 0.45 * weft_across))
    tile = np.clip(height / (1 + UNEVEN), 0, 1).astype(np.float32)
    tile.flags.writeable = False  # shared by every picture of this pitch and seed
    return tile


def _wobble(side: int, pitch: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth random field over the tile, -1..1 at its extreme point: white noise blurred by a Gaussian of
    WANDER_THREADS threads, in the frequency domain, so that it wraps round at the tile's edges and the repeated
    tiles show no seam."""
    noise = np.fft.rfft2(rng.standard_normal((side, side)))
    fy = np.fft.fftfreq(side)[:, None]
    fx = np.fft.rfftfreq(side)[None, :]
    cutoff = 1 / (2 * math.pi * WANDER_THREADS * pitch)  # the blur's width in frequency
    field = np.fft.irfft2(noise * np.exp(-(fx**2 + fy**2) / (2 * cutoff**2)), s=(side, side))
    return (field / max(float(np.abs(field).max()), 1e-12)).astype(np.float32)


def woven(rgb: np.ndarray, seed: int) -> np.ndarray:
    """uint8 RGB with the canvas's weave showing through its thin paint; as it is where the picture is too small
    for the weave's pitch (above)."""
    height, width = rgb.shape[:2]
    if max(height, width) < MIN_PITCH * THREADS_PER_SIDE:
        return rgb
    pitch = round(max(height, width) / THREADS_PER_SIDE)
    tile = weave_pattern(pitch, seed)
    side = tile.shape[0]
    columns = np.arange(width) % side

    def shaded(block: np.ndarray, rows: slice) -> np.ndarray:
        pattern = tile[np.arange(rows.start, rows.stop) % side][:, columns]
        thin = 1 - THICK_PAINT * luminance(block) / 255
        return block * (1 - DEPTH * thin * (1 - pattern))[..., None]

    return by_rows(rgb, shaded)
