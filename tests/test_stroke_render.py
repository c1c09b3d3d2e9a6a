"""Stamping strokes and lighting their relief (stroke_render.py): thin darks, bounded lights, wet pick-up, and the
order they are stacked in."""

from __future__ import annotations

import numpy as np
import pytest

from portraitize.brush import RADIUS_STEP, STRAIGHT, brush
from portraitize.filters import luminance
from portraitize.painter import BRUSH_SIZES, PICKUP, RUNG, STACKING_TREMOR, WORK_RADIUS, stacking
from portraitize.stroke_render import render


def one_colour_strokes(rgb: tuple[int, int, int]) -> np.ndarray:
    """300 strokes of one colour, laid with no tremor on a ground of that colour: the middle of the layer (float
    RGB), where what shows is their relief alone."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(20, 180, 300), rng.uniform(20, 180, 300)
    angle, body = rng.uniform(0, 2 * np.pi, 300), np.full(300, 2)
    base = np.full((200, 200, 3), rgb, np.uint8)
    colour = np.tile(np.array(rgb, np.uint8), (300, 1))
    variant, rank = rng.integers(0, 2, 300), rng.uniform(0, 1, 300)
    layer = render(
        base, [brush(6.0, 0)], np.zeros(300, int), x, y, angle, body, np.full(300, STRAIGHT), colour, variant, rank
    )
    return np.asarray(layer, float)[40:160, 40:160, :3]


def test_dark_paint_stands_thinner_than_light_paint():
    """The relief's shading, on strokes of one colour laid with no tremor, grows with the paint's value."""
    contrast = [np.abs(one_colour_strokes((value,) * 3) - value).mean() / value for value in (220, 40)]
    assert contrast[1] < 0.6 * contrast[0], "the darks are thin: their relief shades them less"


def test_a_lit_ridge_never_bleaches_light_paint_to_white():
    """On light skin a lit ridge lightens the paint by no more than its headroom (multiplied, it clipped to white:
    pale swirl lines), and the relief still shows, by its shadows."""
    skin = (240, 220, 190)
    painted = one_colour_strokes(skin)
    assert painted[..., 1].max() <= skin[1] + 10, "a lit ridge lightens light paint by no more than its headroom"
    assert painted.mean(axis=2).std() > 1.5, "the relief still shows"


@pytest.mark.parametrize("flat", [False, True])
def test_a_stroke_picks_up_the_wet_priming_beneath_it_towards_its_tail(flat):
    """A red stroke dragged into blue wet priming leaves its head red and turns towards purple by its tail (the
    stamp's tail lies along its direction, +x at angle 0), about PICKUP of the way at most, and still so in a
    flat brush's dry, thinly covered tail (the pick-up is the covering paint's own, not scaled by its cover)."""
    red, blue = (200, 40, 40), (40, 40, 200)
    base, beneath = np.full((60, 120, 3), red, np.uint8), np.full((60, 120, 3), blue, np.uint8)
    one, priming = np.zeros(1, int), (beneath, np.full((60, 120), PICKUP, np.float32))
    layer = render(
        base, [brush(6.0, 0, flat)], one, np.array([60.0]), np.array([30.0]), np.zeros(1), np.array([4]),
        np.full(1, STRAIGHT), np.array([red], np.uint8), one, np.zeros(1), priming,
    )  # fmt: skip
    rgba = np.asarray(layer, float)
    painted = rgba[..., 3] > 0
    columns = np.nonzero(painted.any(axis=0))[0]
    head, tail = columns[:6], columns[-4:]
    share = [(rgba[:, part, 2][painted[:, part]] - 40).mean() / 160 for part in (head, tail)]  # blue picked up
    assert share[0] < 0.1 and 0.35 < share[1] <= PICKUP + 0.02, share
    assert rgba[..., 3][:, tail][painted[:, tail]].mean() < 200, "the tail is thinly covered"


def test_the_sitters_strokes_are_stacked_darkest_first_and_the_grounds_at_random():
    """Stacked by stacking(), a layer's sitter strokes lie darkest first, out of order by no more than
    STACKING_TREMOR of the value range; the ground's keep their random order."""
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, (400, 3)).astype(np.uint8)
    rank, on_ground = rng.uniform(0, 1, 400), np.arange(400) % 2 == 0
    places = stacking(colour, rank, on_ground)
    assert np.array_equal(places[on_ground], rank[on_ground])
    sitter = ~on_ground
    value = luminance(colour[sitter].astype(np.float32)) / 255
    stacked = value[np.argsort(places[sitter], kind="stable")]
    assert np.all(stacked[1:] >= np.maximum.accumulate(stacked)[:-1] - STACKING_TREMOR - 1e-6)
    assert np.corrcoef(places[sitter], value)[0, 1] > 0.9


def test_a_light_stroke_lies_over_a_dark_one_on_the_sitter_whatever_their_random_order():
    """Two strokes laid on one spot: on the sitter the lighter shows on top, though the random draw put the dark one
    last; on the ground the random draw decides."""
    dark, light = (60, 40, 30), (230, 200, 170)
    colour, rank = np.array([light, dark], np.uint8), np.array([0.2, 0.9])  # at random, the dark one lies on top

    def top(on_ground: bool) -> np.ndarray:
        place = stacking(colour, rank, np.full(2, on_ground))
        layer = render(
            np.zeros((40, 40, 3), np.uint8), [brush(6.0, 0)], np.zeros(2, int), np.full(2, 20.0), np.full(2, 20.0),
            np.zeros(2), np.full(2, 2), np.full(2, STRAIGHT), colour, np.zeros(2, int), place,
        )  # fmt: skip
        return np.asarray(layer, float)[20, 20, :3]

    assert np.abs(top(False) - light).max() < 40, "on the sitter the light stroke is on top"
    assert np.abs(top(True) - dark).max() < 40, "on the ground the random order decides"


def test_the_ladders_brushes_outlast_a_folder_of_broad_ones():
    """The ladder's brushes (every size and shape a photo's layers land on: 22 radii, two shapes) are kept apart
    from a large photo's broadest, which change with each photo: after the whole ladder and then a run of broad
    brushes, the ladder's first is still the one first made (with whatever stamps it holds)."""
    rungs = sorted(
        {round(WORK_RADIUS * RUNG**-step * size / RADIUS_STEP) for step in range(40) for size in BRUSH_SIZES}
    )
    ladder = [brush(steps * RADIUS_STEP, seed=9, flat=flat) for flat in (False, True) for steps in rungs if steps]
    assert len(ladder) == 44
    for radius in np.arange(9.0, 34.0):
        brush(float(radius), seed=9, flat=True, ladder=False)
    assert brush(ladder[0].radius, seed=9) is ladder[0]
    assert brush(8.0, seed=9, ladder=False) is not brush(8.0, seed=9), "a broad brush of a ladder's size is its own"
