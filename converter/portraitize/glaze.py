"""The last, transparent layers over the dry strokes: a glaze in the shadows and a warm varnish over all.

A painter who has laid the body colour in opaque strokes deepens the shadow masses with a thin, transparent
glaze of a warm brown: the strokes stay visible through it, their darks gain depth and warmth, and the shadows
of the head, the clothes and the ground join into one mass. Over the whole goes a varnish, which in every old
painting has warmed a little. The glaze follows the broad shadow masses (the painting's value blurred past the
strokes), not each stroke's own value, so it unifies rather than outlines.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .filters import blur, by_rows, luminance

GLAZE_TINT = np.array([0.86, 0.72, 0.55], np.float32)  # what a full glaze of transparent umber leaves of each channel
GLAZE = 0.45  # the glaze's strength in the deepest shadow masses
SHADOWS_BELOW = 0.42  # value (0..1) of the masses below which the glaze begins
VARNISH = np.array([1.0, 0.985, 0.95], np.float32)  # a warm varnish over everything
MASS_SIDE = 256  # long side of the copy the shadow masses are found on
MASS_BLUR = 0.015  # of that long side: blurred past single strokes, not past the head's own shadows


def glazed(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB -> the same with a warm glaze over its shadow masses and a varnish over all."""
    height, width = rgb.shape[:2]
    reduce = min(1.0, MASS_SIDE / max(height, width))
    small = Image.fromarray(rgb).resize((max(1, round(width * reduce)), max(1, round(height * reduce))), Image.BOX)
    value = blur(luminance(np.asarray(small, np.float32)) / 255, MASS_BLUR * MASS_SIDE)
    amount = GLAZE * np.clip((SHADOWS_BELOW - value) / SHADOWS_BELOW, 0, 1) ** 0.7
    mask = Image.fromarray(np.uint8(np.rint(amount * 255)), "L").resize((width, height), Image.BILINEAR)
    glaze = np.asarray(mask, np.float32) / 255

    def layered(block: np.ndarray, rows: slice) -> np.ndarray:
        share = glaze[rows][..., None]
        return block * ((1 - share) + share * GLAZE_TINT) * VARNISH

    return by_rows(rgb, layered)
