"""Band work (bands.py): a large picture's resizing, stamping and lighting on several threads gives the same
pixels as on one, and its bands show no seam."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import EXAMPLES
from PIL import Image
from test_painter import _plane, sitter

from portraitize import bands, filters, painter, stroke_render
from portraitize.brush import Brush
from portraitize.filters import by_rows
from portraitize.images import load_photo
from portraitize.painter import paint_strokes
from portraitize.painter_settings import PainterSettings


@pytest.fixture
def threads():
    """Sets the band threads for one test (as convert does for a photo painted in its own process), then puts
    them back to the calling thread alone."""
    yield bands.use_threads
    bands.use_threads(1)


def photo(width: int, height: int, mode: str = "RGB") -> Image.Image:
    return Image.fromarray(load_photo(EXAMPLES / "grace_hopper.jpg").rgb).resize((width, height)).convert(mode)


@pytest.mark.parametrize(
    ("source", "size", "resample", "mode"),
    [
        ((1010, 757), (4032, 3024), Image.Resampling.BICUBIC, "RGBA"),  # a broad layer enlarged
        ((1024, 768), (4032, 3024), Image.Resampling.LANCZOS, "RGB"),  # the painting enlarged to the photo
        ((4032, 3024), (384, 288), Image.Resampling.BOX, "RGBA"),  # the canvas reduced to the working grid
        ((333, 1200), (333, 1100), Image.Resampling.BILINEAR, "L"),  # a mask
    ],
)
def test_a_resize_in_bands_is_the_same_on_any_threads_and_within_a_level_of_the_whole(
    threads, source, size, resample, mode
):
    picture = photo(*source, mode)
    assert len(bands.resize_bands(picture.height, size[1])) > 2
    threads(1)
    alone = np.asarray(bands.resized(picture, size, resample), np.int16)
    threads(3)
    shared = np.asarray(bands.resized(picture, size, resample), np.int16)
    whole = np.asarray(picture.resize(size, resample), np.int16)
    assert np.array_equal(alone, shared)
    difference = np.abs(shared - whole)
    assert difference.max() <= 1 and difference.mean() < 0.05, "no seam, no shift: Pillow's rounding only"


def test_a_picture_changed_by_rows_is_the_same_on_any_threads(threads):
    picture = np.asarray(photo(700, 1500))

    def change(block: np.ndarray, rows: slice) -> np.ndarray:
        return block * 0.9 + np.arange(rows.start, rows.stop)[:, None, None] / 20  # each row by its own place

    threads(1)
    alone = by_rows(picture, change)
    threads(3)
    assert np.array_equal(by_rows(picture, change), alone)
    assert alone[-1, 0, 0] != picture[-1, 0, 0]


def test_a_broad_brush_made_on_several_threads_has_the_same_stamps(threads):
    threads(1)
    alone = Brush(60.0, seed=3, ladder=False)
    alone.prepare(5, 1, 0, list(range(8)))
    threads(3)
    shared = Brush(60.0, seed=3, ladder=False)
    shared.prepare(5, 1, 0, list(range(8)))
    for angle in range(8):
        one, other = alone.stamp(5, angle, 0), shared.stamp(5, angle, 0)
        assert (one.left, one.top) == (other.left, other.top) and one.alpha.size[0] > 100
        for plane in ("alpha", "relief", "pickup"):
            assert np.array_equal(_plane(getattr(one, plane)), _plane(getattr(other, plane)))


def test_a_large_photo_is_painted_the_same_on_one_thread_and_on_several(threads, monkeypatch):
    """At 1,100 px the broad layers' enlargements, the stamping and the lighting all run in bands."""
    rgb, face = sitter(1100)
    threads(1)
    alone, layers = paint_strokes(rgb, [face], PainterSettings(), photo=rgb)
    shared_out = []

    def each(parts, work):
        shared_out.append(len(parts))
        return bands.each(parts, work)

    for module in (painter, stroke_render, filters):
        monkeypatch.setattr(module, "each", each)
    threads(3)
    shared, _ = paint_strokes(rgb, [face], PainterSettings(), photo=rgb)
    assert sum(len(layer.x) for layer in layers) > 5000
    assert np.array_equal(alone, shared)
    assert sum(count > 1 for count in shared_out) >= 5, "layers laid, stamped and lit in bands"


def test_work_asked_for_inside_a_band_runs_on_its_thread(threads):
    """Every band thread waiting for band work of its own would wait forever."""
    threads(2)
    outcome = []
    nested = threading.Thread(
        target=lambda: outcome.append(bands.each([1, 2, 3, 4], lambda n: bands.each([n, -n], lambda m: 10 * m))),
        daemon=True,
    )
    nested.start()
    nested.join(timeout=30)
    assert outcome == [[[10, -10], [20, -20], [30, -30], [40, -40]]]
