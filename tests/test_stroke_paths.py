"""Where strokes run (stroke_paths.py): a stroke inside the sitter never crosses the outline."""

from __future__ import annotations

import numpy as np

from portraitize.brush import LENGTHS
from portraitize.stroke_paths import END, lengths


def test_a_stroke_inside_the_sitter_stops_at_the_outline_however_plain_the_paint():
    """Only the outline (x = 100) can stop these strokes: anchored a few px inside it and running across it, each
    stamp, ends included, stays inside, even where a colour edge just behind the anchor would push its centre
    out; along the outline they keep their full length."""
    sitter = np.zeros((100, 200), bool)
    sitter[:, :100] = True
    for behind in (None, 90):  # plain paint, or another colour from x = 90 back
        reference = np.full((100, 200, 3), 0.5, np.float32)
        if behind:
            reference[:, :behind] = 0.1
        x, y, radius = np.full(4, 92.0), np.full(4, 50.0), np.full(4, 3.0)
        across, along, flat = np.zeros(4), np.full(4, np.pi / 2), np.ones(4, bool)
        centre, _, body = lengths(reference, radius, x, y, across, flat, sitter)
        tail = centre + (np.array(LENGTHS)[body] / 2 + END) * radius
        assert np.all(tail <= 100), (behind, centre, body)
        _, _, free_body = lengths(reference, radius, x, y, along, flat)
        _, _, parallel = lengths(reference, radius, x, y, along, flat, sitter)
        assert np.all(parallel == free_body), "along the outline nothing stops it"
    _, _, unbounded = lengths(np.full((100, 200, 3), 0.5, np.float32), radius, x, y, across, flat)
    assert np.all(unbounded == len(LENGTHS) - 1), "without an outline the same strokes run their longest"
