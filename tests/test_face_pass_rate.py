"""bench/face_pass_rate.py: the share of a sampler's portraits whose face check score reaches the threshold."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from face_pass_rate import pass_rate  # noqa: E402

from portraitize.face_check import PASSES  # noqa: E402


def test_a_portrait_passes_at_the_threshold_and_above(sampler):
    seen = []

    def scores(images):
        seen.extend(images)
        return [[PASSES + 1, PASSES - 0.1, PASSES, 3.0][index % 4] for index in range(len(images))]

    figures = pass_rate(sampler, 8, seed=5, scores=scores)
    assert len(seen) == 8 and all(image.ndim == 3 and image.shape[2] == 3 for image in seen)
    assert (figures["portraits"], figures["passing"], figures["pass_rate"]) == (8, 4, 0.5)
    assert figures["median_score"] == (PASSES - 0.1 + PASSES) / 2
