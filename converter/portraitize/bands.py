"""A large picture's pixel work split into bands of rows, run on several threads at once.

Pillow and numpy let go of the GIL while they work on pixels, so a phone photo painted in this process (the stroke
workers paint one photo each, and a 12 MP photo paints alone) can use every core the run may: its enlargements,
its strokes' stamping, each layer's laying and lighting, and the making of its brushes' stamps. Where a band's
result could depend on where the bands lie (an enlargement) they lie at fixed rows (BAND_ROWS apart, whatever the
threads), so the painting is the same to the bit on any number of threads. Only where `use_threads` is called does
any of this use more than the calling thread.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from PIL import Image

from .session import usable_cpus

BAND_ROWS = 512  # output rows a band: a few MB of floats at a time at 4,000 px wide
Result = TypeVar("Result")
PREMULTIPLIED = {"RGBA": "RGBa", "LA": "La"}  # modes Pillow resizes with their colour premultiplied by alpha
# How far each filter the painter resizes with reaches, in source rows at scale 1 (Pillow's supports; scaled up when
# reducing).
SUPPORT = {
    Image.Resampling.BOX: 0.5,
    Image.Resampling.BILINEAR: 1.0,
    Image.Resampling.BICUBIC: 2.0,
    Image.Resampling.LANCZOS: 3.0,
}

_threads = 1
_pool: ThreadPoolExecutor | None = None
_pool_threads = 0
_pool_lock = threading.Lock()
_inside = threading.local()  # .band: this thread is doing a band's work


def use_threads(requested: int) -> None:
    """Let band work in this process run on up to `requested` threads (a run's --threads; 0: every usable core),
    never more than the cores it may use. Until then it runs on the calling thread alone."""
    global _threads
    _threads = min(requested or usable_cpus(), usable_cpus())


def threads() -> int:
    return _threads


def bands(height: int, rows: int = BAND_ROWS) -> list[slice]:
    """Rows 0..height in bands of `rows` (the last one shorter)."""
    return [slice(top, min(top + rows, height)) for top in range(0, height, rows)]


def each(parts: list, work: Callable[..., Result]) -> list[Result]:
    """`work(part)` for each part, in order, on the band threads where there are several parts and threads. Work
    asked for inside a band runs on its own thread: a band thread waiting for others could leave all of them
    waiting."""
    if _threads <= 1 or len(parts) < 2 or getattr(_inside, "band", False):
        return [work(part) for part in parts]

    def band(part):
        _inside.band = True
        try:
            return work(part)
        finally:
            _inside.band = False

    return list(_executor().map(band, parts))


def resize_bands(source_height: int, height: int) -> list[slice]:
    """The bands an enlargement or reduction from `source_height` rows to `height` is made in: fixed by the two
    heights alone, each reading or writing about BAND_ROWS rows, whichever of the two is taller."""
    return bands(height, max(1, BAND_ROWS * height // max(height, source_height)))


def resized_rows(image: Image.Image, size: tuple[int, int], resample: Image.Resampling, rows: slice) -> Image.Image:
    """Rows `rows` of `image` resized to `size`, from the source rows round them that the filter reaches (Pillow's
    `box`), so bands laid side by side show no seam. Pillow rounds a band's filter weights a hair apart from the
    whole's: a level here and there (on a photo enlarged 4x, 0.1 of a level on average), and a BOX enlargement
    may take a row's neighbour where its centre falls on a box's edge; so bands are only ever cut where
    resize_bands says, and the picture is the same on any number of threads."""
    width, height = size
    if rows.stop - rows.start == height:
        return image.resize(size, resample)
    step = image.height / height  # source rows per output row
    reach = SUPPORT[resample] * max(step, 1.0) + 2  # source rows the filter reads past a band's own
    top = max(0, math.floor(rows.start * step - reach))
    bottom = min(image.height, math.ceil(rows.stop * step + reach))
    source = image.crop((0, top, image.width, bottom))
    mode = source.mode
    if mode in PREMULTIPLIED:  # as Pillow resizes these, here on the band's rows alone
        source = source.convert(PREMULTIPLIED[mode])
    box = (0, rows.start * step - top, image.width, rows.stop * step - top)
    return source.resize((width, rows.stop - rows.start), resample, box=box).convert(mode)


def resized(image: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    """`image.resize(size, resample)`, in bands on the band threads (resized_rows)."""
    parts = resize_bands(image.height, size[1])
    if len(parts) < 2:
        return image.resize(size, resample)
    out = Image.new(image.mode, size)
    for rows, part in zip(parts, each(parts, lambda rows: resized_rows(image, size, resample, rows))):
        out.paste(part, (0, rows.start))
    return out


def _executor() -> ThreadPoolExecutor:
    """The band threads, started when first needed (never in the fork server: it only imports this module), and
    afresh where another number is allowed (a run sets it once; an old pool's threads leave with it)."""
    global _pool, _pool_threads
    with _pool_lock:
        if _pool is None or _pool_threads != _threads:
            _pool, _pool_threads = ThreadPoolExecutor(_threads, thread_name_prefix="portraitize-band"), _threads
        return _pool
