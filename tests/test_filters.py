"""The painter's numpy blur against a direct convolution: three box filters each way, edges extended."""

from __future__ import annotations

import numpy as np
import pytest

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


def _blur_in_float64(values: np.ndarray, sigma: float) -> np.ndarray:
    """The blur written plainly: three box means down each axis in turn, edges extended, each window summed in
    float64."""
    radius = max(1, int(round(np.sqrt(4 * sigma**2 + 1) / 2)))
    out = values.astype(np.float64)
    for axis in (0, 1):
        for _ in range(3):
            moved = np.moveaxis(out, axis, 0)
            padded = np.concatenate([np.repeat(moved[:1], radius, 0), moved, np.repeat(moved[-1:], radius, 0)])
            windows = sum(padded[offset : offset + len(moved)] for offset in range(2 * radius + 1))
            out = np.moveaxis(windows / (2 * radius + 1), 0, axis)
    return out


@pytest.mark.parametrize("shape", [(64, 96), (40, 30, 3), (1, 50), (33, 1), (300, 7), (50, 3000)])
def test_blur_is_three_box_means_down_and_across(shape):
    """Both ways _boxes sums (shifted copies for narrow boxes on short rows, a running sum for the rest: the
    3,000 px rows take the second, the rest the first) give the plain three box means to float32's rounding."""
    values = np.random.default_rng(5).random(shape, dtype=np.float32) * 255
    for sigma in (0.7, 3.0, 25.0):
        np.testing.assert_allclose(blur(values, sigma), _blur_in_float64(values, sigma), rtol=0, atol=2e-3)
