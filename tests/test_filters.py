"""The painter's numpy blur against a direct convolution: three box filters each way, edges extended."""

from __future__ import annotations

import numpy as np
import pytest

from portraitize import filters
from portraitize.filters import blur


def _three_boxes(values: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Three running means of 2 * radius + 1 along `axis`, each by an explicit convolution of the edge-padded
    values (float64)."""
    kernel = np.full(2 * radius + 1, 1 / (2 * radius + 1))
    out = values.astype(np.float64)
    for _ in range(3):
        padding = [(0, 0)] * out.ndim
        padding[axis] = (radius, radius)
        padded = np.pad(out, padding, mode="edge")
        out = np.apply_along_axis(lambda line: np.convolve(line, kernel, mode="valid"), axis, padded)
    return out


@pytest.mark.parametrize("shape", [(23, 31), (17, 12, 3), (1, 9), (40, 1)])
def test_blur_is_three_box_filters_each_way_with_edges_extended(shape):
    values = np.random.default_rng(3).random(shape, dtype=np.float32) * 255
    sigma = 2.3
    radius = max(1, int(round(np.sqrt(4 * sigma**2 + 1) / 2)))
    expected = _three_boxes(_three_boxes(values, radius, 0), radius, 1)
    kept = values.copy()
    result = blur(values, sigma)
    assert result.dtype == np.float32 and result.shape == values.shape
    np.testing.assert_allclose(result, expected, atol=2e-3)  # float32 running sums of values up to 255
    assert np.array_equal(values, kept)  # the input is left as it was


def test_blur_keeps_a_flat_field_and_spreads_an_impulse_symmetrically():
    flat = np.full((30, 30), 0.25, np.float32)
    np.testing.assert_allclose(blur(flat, 4.0), 0.25, atol=1e-6)
    impulse = np.zeros((41, 41), np.float32)
    impulse[20, 20] = 1.0
    spread = blur(impulse, 3.0)
    assert spread.sum() == pytest.approx(1.0, abs=1e-5)  # nothing lost far from the edges
    np.testing.assert_allclose(spread, spread.T, atol=1e-7)  # the same across as down
    np.testing.assert_allclose(spread, spread[::-1, ::-1], atol=1e-7)
    assert spread[20, 20] == spread.max() and spread[20, 20] < 0.05


def test_blur_below_half_a_pixel_leaves_the_values():
    values = np.random.default_rng(4).random((8, 8), dtype=np.float32)
    assert np.array_equal(blur(values, 0.4), values)


@pytest.mark.parametrize("shifted_box", [0, 10**9])  # every box a running sum, then every box shifted copies
@pytest.mark.parametrize("shape", [(64, 96), (40, 30, 3), (1, 50), (33, 1), (2, 5), (7, 2, 2), (1, 1, 1)])
def test_both_ways_of_summing_a_box_give_its_three_means(shape, shifted_box, monkeypatch):
    """_boxes sums a narrow box on short rows as shifted copies and a wide one as a running sum: each way gives
    the three box means, edges extended, to float32's rounding, also where the box is longer than the rows."""
    monkeypatch.setattr(filters, "SHIFTED_BOX", shifted_box)
    values = np.random.default_rng(5).random(shape, dtype=np.float32) * 255
    for radius in (1, 5, 30):
        summed = filters._boxes(values.copy(), radius)
        assert summed.dtype == np.float32
        np.testing.assert_allclose(summed, _three_boxes(values, radius, 0), atol=2e-3)
