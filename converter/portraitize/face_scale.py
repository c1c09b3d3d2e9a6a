"""At what size to paint a photo: where its main face has the size of the faces the translator learned on.

A translator trained on 128 px crops whose faces were about 100 px wide changes little on a face five times
that size, and smears a face five times smaller; painting each photo at the scale of its training faces
gives every photo the same treatment. Faces are found on a reduced copy (the detector is the bundled
`face-detector.onnx`, torch-free); the largest confident face sets the scale (`faces.main_face`). No face, or a
translator that does not record its face size: the long-side rule (the model's native size, or --max-size).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from .faces import Face, FaceCascade

DETECT_SIDE = 640  # long side of the copy the detector sees: faces from ~3% of the photo's long side
SMALLEST_PAINTING = 64  # long side: below it a portrait is a thumbnail whatever the face says
# A thin photo's short side is painted at least max_size / THIN_SHARE high (64 px at 256; a model sees no picture in
# 1 px), or as high as the photo is.
THIN_SHARE = 4
# Most pixels a face-scaled painting may have, in units of max_size squared: a 4:3 painting 4 x max_size long
# (1024 x 768 at 256; the model's working memory and time grow with them).
MAX_PAINTING_AREA = 4 * 3
MAX_PAINTING_SIDE = 16  # and at most this x max_size long: a strip would reach the area only at an absurd length


class FaceFinder:
    """The cascade on a reduced copy of each photo, boxes mapped back to the photo's pixels."""

    def __init__(self, cascade: FaceCascade):
        self.cascade = cascade

    def faces(self, rgb: np.ndarray) -> list[Face]:
        """Faces found, largest first, in the photo's own coordinates."""
        height, width = rgb.shape[:2]
        shrink = min(1.0, DETECT_SIDE / max(width, height))
        small = (
            rgb
            if shrink == 1.0
            else np.asarray(
                Image.fromarray(rgb).resize(
                    (max(1, round(width * shrink)), max(1, round(height * shrink))), Image.Resampling.BILINEAR
                )
            )
        )
        if min(small.shape[:2]) < 12:  # smaller than the detector's window
            return []
        return [
            Face(face.x1 / shrink, face.y1 / shrink, face.x2 / shrink, face.y2 / shrink, face.probability)
            for face in self.cascade.faces(small)
        ]


def painting_size(size: tuple[int, int], face: Face | None, face_size: int, max_size: int) -> tuple[int, int]:
    """(width, height) to paint a photo of `size` at: its face at `face_size` px when known, but never at fewer pixels
    than the long-side rule's (a close-up's face, larger than the training faces, would be painted blurrier than a
    photo without a face); else the long side at `max_size`. Never larger than the photo, never above the pixels of
    a 4:3 painting with its long side at `max_size` * 4 (a photo whose face is tiny is painted as a scene, at most
    that large): a bound on pixels, not on the long side, so a panorama's face is not painted smaller than a 4:3
    photo's. A thin photo keeps a short side of at least `max_size` / THIN_SHARE (or its own, if smaller) as far
    as those pixels allow: a 20000 x 40 strip, painted at 256 x 1 by the long-side rule (one smear), is painted at 12288 x 25."""
    width, height = size
    long_side_rule = max_size / max(width, height)
    most_pixels = math.sqrt(MAX_PAINTING_AREA * max_size**2 / (width * height))
    scale = long_side_rule
    if face is not None and face_size > 0:
        scale = min(face_size / max(face.size, 1.0), most_pixels, MAX_PAINTING_SIDE * max_size / max(width, height))
        scale = max(scale, SMALLEST_PAINTING / max(width, height), long_side_rule)
    # A thin painting's pixels are counted as if its short side were that high: a model pads it about that far.
    shortest = max_size / THIN_SHARE
    thin_pixels = MAX_PAINTING_AREA * max_size**2 / (shortest * max(width, height))
    scale = max(scale, min(shortest / min(width, height), most_pixels, thin_pixels))
    scale = min(1.0, scale)
    return max(1, round(width * scale)), max(1, round(height * scale))
