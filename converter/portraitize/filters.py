"""Small numpy filters the stroke painter plans with (Pillow blurs only 8-bit images)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .bands import BAND_ROWS, bands, each, threads

SHIFTED_BOX = 8000  # box width times a row's values up to which _boxes adds shifted copies (the cheaper there)


def blur(values: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian-like blur of a float [H, W] or [H, W, C] array: three box filters of matching variance
    (Wells 1986), each a running sum where the box is wide, so the cost does not grow with sigma. Edges are
    extended."""
    if sigma < 0.5:
        return values
    radius = max(1, int(round(np.sqrt(4 * sigma**2 + 1) / 2)))  # 3 boxes of width 2r+1: variance ~ sigma^2
    down = _boxes(values.astype(np.float32, copy=True), radius)
    # Across: the same down a transposed copy, so every running sum walks contiguous rows (along a strided axis
    # numpy's sums ran at a third of the speed).
    return np.ascontiguousarray(np.swapaxes(_boxes(np.ascontiguousarray(np.swapaxes(down, 0, 1)), radius), 0, 1))


def _boxes(values: np.ndarray, radius: int) -> np.ndarray:
    """Three running means over 2 * radius + 1 pixels down axis 0, edges extended, in place in `values` (float32)
    and one buffer. A narrow box over short rows is summed as that many shifted copies of the whole array: a
    running sum walks the rows one numpy call at a time, and on the painter's grids of a few hundred px the calls'
    overhead cost two to three times the shifted adds (measured)."""
    width, length = 2 * radius + 1, values.shape[0]
    shifted = width * values[0].size <= SHIFTED_BOX
    # The edge's row repeated before the first: radius times, and once more for a running sum, whose first mean
    # is the difference of its sums one box apart.
    start = radius if shifted else radius + 1
    padded = np.empty((start + length + radius, *values.shape[1:]), np.float32)
    scale = np.float32(1 / width)
    for _ in range(3):
        padded[:start] = values[:1]
        padded[start : start + length] = values
        padded[start + length :] = values[-1:]
        if shifted:
            np.copyto(values, padded[:length])
            for offset in range(1, width):
                values += padded[offset : offset + length]
        else:
            # The running sum a row at a time: the same float32 additions in the same order as numpy's cumsum,
            # which down axis 0 ran at a sixth of the speed. float32: the painter blurs values of 0..1 (and the
            # flow's products of gradients) on grids of a few hundred px, where the rounding is a few millionths;
            # at 4,000 px of values up to 255 it would reach a few hundredths of a level, far below a visible change.
            for row in range(1, len(padded)):
                np.add(padded[row - 1], padded[row], out=padded[row])
            np.subtract(padded[width : width + length], padded[:length], out=values)
        values *= scale
    return values


def gradient(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d/dy, d/dx) of a 2-D array; zero along an axis one pixel thin (a strip has no slope across it)."""
    return tuple(
        np.gradient(values, axis=axis) if values.shape[axis] > 1 else np.zeros_like(values, np.float32)
        for axis in (0, 1)
    )


def by_rows(image: np.ndarray, change: Callable[[np.ndarray, slice], np.ndarray]) -> np.ndarray:
    """A uint8 image changed a block of rows at a time: `change(block, rows)` gets the block as float32 and where it
    lies, and gives it back changed (rounded and clipped here), so a 12 MP picture needs tens of MB of floats at a
    time, not hundreds. On band threads the blocks are that much shorter, so the floats in hand stay as many; a
    change of each pixel by its own row is the same however the rows are cut."""
    out = np.empty_like(image)

    def changed(rows: slice) -> None:
        out[rows] = np.rint(np.clip(change(image[rows].astype(np.float32), rows), 0, 255)).astype(np.uint8)

    each(bands(image.shape[0], max(1, BAND_ROWS // threads())), changed)
    return out


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of float RGB [..., 3]."""
    return rgb @ np.array([0.299, 0.587, 0.114], np.float32)


def flow(grey: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The direction along the image's contours at each pixel (radians, y down) and how clearly there is one
    (coherence, 0..1): the minor eigenvector of the structure tensor smoothed over `sigma`."""
    gy, gx = gradient(grey)
    tensor = blur(np.stack([gx * gx, gx * gy, gy * gy], axis=-1), sigma)
    xx, xy, yy = tensor[..., 0], tensor[..., 1], tensor[..., 2]
    gradient_angle = 0.5 * np.arctan2(2 * xy, xx - yy)
    spread = np.sqrt((xx - yy) ** 2 + 4 * xy**2)
    coherence = spread / (xx + yy + 1e-6)
    return gradient_angle + np.pi / 2, coherence
