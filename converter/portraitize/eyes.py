"""Small eyes finished from the picture the strokes paint, as a painter finishes them with the smallest brush.

On a face a few hundred px across an iris is a few px wide, no wider than the finest stroke, so the strokes smear
the pupil, the lid's line and the catchlight into a blank (the couple's man at 640 px, painter 24: pale, sightless
eyes). Once the strokes are laid, the eyes (the face mesh's eye contours, softened; without landmarks, where a face
box puts them) take EYE_FINISH of the picture itself: its pupil, iris and lids. A large face's eyes (a 12 MP
portrait's) are painted in strokes of their own and keep them: the finish fades out between FINISHED_BELOW and
STROKED_ABOVE px of face, measured in the picture the strokes are laid on (a thumbnail is painted enlarged to
painter.MIN_SIDE, so its faces count at that size). Each face's eye mask is softened by its own size
(fineness.EYE_SOFTEN), so a small face beside a much larger one gets its whole finish. The finish is not strokes:
the stroke list leaves it out.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .fineness import Regions

EYE_FINISH = 0.5  # the share of the picture in a small eye once the strokes are laid
FINISHED_BELOW, STROKED_ABOVE = 300.0, 600.0  # face sizes (px): the whole finish below, none above


def finish_eyes(painted: Image.Image, picture: Image.Image, found: Regions) -> None:
    """Give `painted`'s (RGB) small eyes their share of `picture`'s (RGB, the same size), in place; `found` on the
    working grid. Only the eyes' box is worked on: at 12 MP a full-size mask and copy would cost ~50 MB more."""
    small = np.clip((STROKED_ABOVE - found.sizes) / (STROKED_ABOVE - FINISHED_BELOW), 0, 1)
    share = found.eyes * small * EYE_FINISH
    rows, columns = np.nonzero(share > 0)
    if len(rows) == 0:
        return
    # The grid cells the eyes touch and one more each side (the enlargement's reach), in the painting's pixels.
    scale_x, scale_y = painted.width / share.shape[1], painted.height / share.shape[0]
    top, bottom = max(0, rows.min() - 1), min(share.shape[0], rows.max() + 2)
    left, right = max(0, columns.min() - 1), min(share.shape[1], columns.max() + 2)
    box = (int(left * scale_x), int(top * scale_y), int(np.ceil(right * scale_x)), int(np.ceil(bottom * scale_y)))
    on_grid = Image.fromarray(np.uint8(np.rint(np.clip(share, 0, 1) * 255)), "L")
    mask = on_grid.resize(
        (box[2] - box[0], box[3] - box[1]),
        Image.Resampling.BILINEAR,
        box=(box[0] / scale_x, box[1] / scale_y, box[2] / scale_x, box[3] / scale_y),
    )
    painted.paste(Image.composite(picture.crop(box), painted.crop(box), mask), box[:2])
