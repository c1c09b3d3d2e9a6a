"""Small eyes finished from the picture the strokes paint, as a painter finishes them with the smallest brush.

On a face a few hundred px across an iris is a few px wide, no wider than the finest stroke, so the strokes smear
the pupil, the lid's line and the catchlight into a blank (the couple's man at 640 px, painter 24: pale, sightless
eyes). Once the strokes are laid, the eyes (the face mesh's eye contours, softened) take EYE_FINISH of the picture
itself: its pupil, iris and lids, under the strokes' texture. A large face's eyes (a 12 MP portrait's) are painted
in strokes of their own and keep them: the finish fades out between FINISHED_BELOW and STROKED_ABOVE px of face.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .bands import resized
from .fineness import Regions

EYE_FINISH = 0.5  # the share of the picture in a small eye once the strokes are laid
FINISHED_BELOW, STROKED_ABOVE = 300.0, 600.0  # face sizes (px): the whole finish below, none above


def finished_eyes(painted: Image.Image, picture: Image.Image, found: Regions) -> Image.Image:
    """`painted` (RGB) with its small eyes partly `picture`'s (RGB, the same size); `found` on the working grid."""
    small = np.clip((STROKED_ABOVE - found.sizes) / (STROKED_ABOVE - FINISHED_BELOW), 0, 1)
    share = found.eyes * small * EYE_FINISH
    if not share.any():
        return painted
    mask = Image.fromarray(np.uint8(np.rint(np.clip(share, 0, 1) * 255)), "L")
    return Image.composite(picture, painted, resized(mask, painted.size, Image.Resampling.BILINEAR))
