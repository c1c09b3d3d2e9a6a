"""A painter's light on the sitter: warm lights, cool half-tones and shadows, a fuller range of values.

A photo's colour is the light's: one temperature everywhere, its shadows the lit colour made darker. A painter
mixes the lights warmer (more yellow and red in the flesh where the light falls) and the shadows cooler (a
green-grey or violet in the turning planes), and sets darks against lights more firmly than a flat-lit photo
does. Viewers name the missing temperature shift and the muddy, averaged colour among the first things that
give a filtered photo away. Applied to the picture the strokes paint, before they are laid.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .filters import by_rows, luminance

WARM = np.array([14, 5, -9], np.float32)  # added to the lightest paint (0..255 RGB)
COOL = np.array([-8, 1, 9], np.float32)  # added to the darkest half-tones and shadows
LIGHTS_FROM, SHADOWS_BELOW = 0.5, 0.5  # luminance (0..1) where the warm and the cool shifts begin
CONTRAST = 0.18  # strength of the S-curve about mid-grey (0: none)


def _s_curve() -> np.ndarray:
    """An S-curve on every channel about mid-grey, for each 8-bit value: the darks deepen, the lights lift, the
    mid-tones keep (looked up, not computed per pixel: a 12 MP picture has 36 M channel values)."""
    values = np.arange(256, dtype=np.float32)
    return values + CONTRAST * 255 * np.sin(2 * np.pi * (values / 255 - 0.5)) / (2 * np.pi)


S_CURVE = _s_curve()


def painters_light(picture: Image.Image) -> Image.Image:
    """`picture` (RGB) with warm lights, cool shadows and a firmer value range."""

    def lit(block: np.ndarray, rows: slice) -> np.ndarray:
        value = luminance(block)[..., None] / 255
        curved = S_CURVE[block.astype(np.intp)]
        warm = np.clip((value - LIGHTS_FROM) / (1 - LIGHTS_FROM), 0, 1)
        cool = np.clip((SHADOWS_BELOW - value) / SHADOWS_BELOW, 0, 1) * np.clip(value / 0.15, 0, 1)  # not the blacks
        return curved + warm * WARM + cool * COOL

    return Image.fromarray(by_rows(np.asarray(picture), lit))
