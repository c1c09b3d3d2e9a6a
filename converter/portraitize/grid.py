"""Contact sheets: many same-sized images in one near-square picture (used by `sample --grid` and the trainer)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def contact_sheet(images: np.ndarray, columns: int | None = None, gap: int = 2) -> np.ndarray:
    """uint8 [N, H, W, 3] -> one uint8 image, `columns` wide (default ceil(sqrt(N))), on white."""
    count, height, width = images.shape[:3]
    return sheet_of(images, count, height, width, columns, gap)


def sheet_of(
    images: Iterable[np.ndarray], count: int, height: int, width: int, columns: int | None = None, gap: int = 2
) -> np.ndarray:
    """`contact_sheet` of `count` images of height x width taken one at a time: memory holds the sheet and one
    image, never all of them as well."""
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    sheet = np.full((rows * (height + gap) + gap, columns * (width + gap) + gap, 3), 255, np.uint8)
    for index, image in enumerate(images):
        top = gap + (index // columns) * (height + gap)
        left = gap + (index % columns) * (width + gap)
        sheet[top : top + height, left : left + width] = image
    return sheet
