"""Wet blending of the flesh: the painter's soft brush drawn along the form over the laid face strokes.

A portrait painter lays the face in strokes and then, while the paint is wet, draws a clean soft brush along the
planes, so neighbouring strokes melt into one another and the modelling turns continuously, while the last, thick
touches of light stay as laid. Viewers of the unblended strokes saw "a face cut into chips". The blend here is
a short smear along the form's direction (the picture's contours, as the strokes follow), never across it, so
the stroke direction survives as a grain; it fades out over the lights, which keep their crisp touches.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from .filters import by_rows, flow, luminance

BLEND = 0.75  # the share of the blended paint on the flesh's half-tones and shadows
REACH = 2.5  # brush radii the soft brush is drawn over, each way
SAMPLES = 7  # points along that reach (odd: the centre counted once)
LIGHTS_FROM, LIGHTS_OVER = 0.62, 0.15  # value (0..1) where the lights start to keep their touches, and fully do
FEATURES_KEEP = 0.7  # the share of the blend the features are spared: the eyes keep the picture's sharpest drawing
FLOW_RADII = 3.0
WORK_RADIUS = (
    4.0  # px: the brush radius on the copy the smear is found on  # brush radii the form's direction is smoothed over
)


def blended(canvas: np.ndarray, flesh: np.ndarray, features: np.ndarray, radius: float) -> np.ndarray:
    """uint8 RGB `canvas` with its flesh blended along the form. `flesh`, `features`: the face and the features'
    masks (0..1) on a working grid of the canvas (the eyes, brows and nostrils keep FEATURES_KEEP of their
    drawing); `radius`: the face strokes' brush radius (canvas px). The smear is found on a copy reduced until
    that radius is WORK_RADIUS px (it is smooth along the form, and the strokes' grain across it survives that),
    and mixed in at the canvas's size a block of rows at a time."""
    height, width = canvas.shape[:2]
    grid = np.clip(flesh * (1 - FEATURES_KEEP * features), 0, 1)
    scale_y, scale_x = grid.shape[0] / height, grid.shape[1] / width
    rows, columns = np.nonzero(grid > 0.01)
    if rows.size == 0 or radius < 1:
        return canvas
    reach = int(math.ceil(REACH * radius)) + 1
    top, bottom = max(0, int(rows.min() / scale_y) - reach), min(height, int((rows.max() + 1) / scale_y) + reach)
    left, right = max(0, int(columns.min() / scale_x) - reach), min(width, int((columns.max() + 1) / scale_x) + reach)
    box = (right - left, bottom - top)
    part = Image.fromarray(canvas[top:bottom, left:right])
    reduce = max(1.0, radius / WORK_RADIUS)
    small = np.asarray(part.resize((max(1, round(box[0] / reduce)), max(1, round(box[1] / reduce))), Image.BOX))
    smeared = Image.fromarray(_smeared(small.astype(np.float32), radius / reduce)).resize(box, Image.BILINEAR)
    grid_part = grid[
        int(top * scale_y) : int(np.ceil(bottom * scale_y)), int(left * scale_x) : int(np.ceil(right * scale_x))
    ]
    share = np.asarray(Image.fromarray(np.float32(BLEND * grid_part), "F").resize(box, Image.BILINEAR))
    smeared_rgb = np.asarray(smeared, np.float32)

    def mixed(block: np.ndarray, rows: slice) -> np.ndarray:
        lights = np.clip((luminance(block) / 255 - LIGHTS_FROM) / LIGHTS_OVER, 0, 1)  # the lights keep their touches
        return block + (smeared_rgb[rows] - block) * (share[rows] * (1 - lights))[..., None]

    out = canvas.copy()
    out[top:bottom, left:right] = by_rows(canvas[top:bottom, left:right], mixed)
    return out


def _smeared(part: np.ndarray, radius: float) -> np.ndarray:
    """`part` (float RGB) averaged along the form over REACH radii each way, as uint8."""
    dx, dy = _direction(part, radius)
    smeared = np.zeros_like(part)
    for step in np.linspace(-REACH * radius, REACH * radius, SAMPLES):
        smeared += _sample(part, dy * step, dx * step)
    return np.rint(np.clip(smeared / SAMPLES, 0, 255)).astype(np.uint8)


def _direction(part: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """The unit vector along the form at each pixel: the structure tensor's flow, found on a copy reduced to
    about a brush radius a pixel and brought back (as a doubled angle, so opposite directions agree)."""
    height, width = part.shape[:2]
    reduce = max(1, int(radius))
    small = luminance(part[::reduce, ::reduce]) / 255
    along, _ = flow(small, FLOW_RADII)
    doubled = [
        np.asarray(Image.fromarray(np.float32(f(2 * along)), "F").resize((width, height), Image.Resampling.BILINEAR))
        for f in (np.cos, np.sin)
    ]
    angle = 0.5 * np.arctan2(doubled[1], doubled[0])
    return np.cos(angle), np.sin(angle)


def _sample(image: np.ndarray, shift_y: np.ndarray, shift_x: np.ndarray) -> np.ndarray:
    """`image` read at each pixel moved by (shift_y, shift_x), bilinearly, edges extended."""
    height, width = image.shape[:2]
    ys = np.clip(np.arange(height, dtype=np.float32)[:, None] + shift_y, 0, height - 1)
    xs = np.clip(np.arange(width, dtype=np.float32)[None, :] + shift_x, 0, width - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, height - 1), np.minimum(x0 + 1, width - 1)
    fy, fx = (ys - y0)[..., None], (xs - x0)[..., None]
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return top * (1 - fy) + bottom * fy
