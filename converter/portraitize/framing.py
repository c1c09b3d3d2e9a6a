"""`--frame portrait`: crop the result to a head-and-shoulders frame in a painted portrait's proportions.

4:5 (width:height), the width `FACE_WIDTHS` times the face, the face centred across and its centre at 40% of
the height: about the framing of the translators' training crops. Near an edge the frame slides inside the
image; a frame larger than the image shrinks, keeping 4:5. No face: the image is left as it is.
"""

from __future__ import annotations

from .faces import Face

ASPECT = 4 / 5  # width / height
FACE_WIDTHS = 2.6
FACE_HEIGHT_AT = 0.4


def portrait_box(size: tuple[int, int], face: Face | None) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the portrait frame inside an image of (width, height) `size`."""
    if face is None:
        return None
    width, height = size
    frame_w = face.size * FACE_WIDTHS
    frame_h = frame_w / ASPECT
    shrink = min(1.0, width / frame_w, height / frame_h)
    frame_w, frame_h = frame_w * shrink, frame_h * shrink
    centre_x, centre_y = face.centre
    left = min(max(0.0, centre_x - frame_w / 2), width - frame_w)
    top = min(max(0.0, centre_y - FACE_HEIGHT_AT * frame_h), height - frame_h)
    return round(left), round(top), round(left + frame_w), round(top + frame_h)
