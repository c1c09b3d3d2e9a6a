"""A layer's random choices for its strokes: a function of each anchor alone, with the right distributions."""

from __future__ import annotations

import numpy as np
import pytest

from portraitize.stroke_draws import AnchorDraws


def draws(seed: int = 0, anchors: int = 200_000) -> AnchorDraws:
    return AnchorDraws.of_grid(np.random.SeedSequence(seed), anchors)


def test_an_anchors_choices_do_not_depend_on_which_others_are_kept():
    every = draws()
    kept = np.random.default_rng(1).uniform(size=len(every.index)) < 0.03
    some = every.chosen(kept)
    for name in ("keep", "tremor", "flip", "value", "rank"):
        assert np.array_equal(getattr(some, name), getattr(every, name)[kept]), name
    assert np.array_equal(some.size((0.3, 0.45, 0.25)), every.size((0.3, 0.45, 0.25))[kept])
    assert np.array_equal(some.variant(2), every.variant(2)[kept])


def test_the_choices_have_their_distributions_and_differ_by_seed_and_by_choice():
    chosen = draws()
    keep, tremor, value = chosen.keep, chosen.tremor, chosen.value
    assert 0 <= keep.min() and keep.max() < 1 and abs(keep.mean() - 0.5) < 0.01
    assert np.histogram(keep, bins=10, range=(0, 1))[0].min() > 0.09 * len(keep), "uniform, bin by bin"
    for normal in (tremor, value):
        assert abs(normal.mean()) < 0.01 and abs(normal.std() - 1) < 0.01
        assert abs((np.abs(normal) < 1).mean() - 0.6827) < 0.01
    assert abs(np.corrcoef(tremor, value)[0, 1]) < 0.01, "each choice its own"
    assert abs(np.corrcoef(keep, chosen.rank)[0, 1]) < 0.01
    sizes = np.bincount(chosen.size((0.3, 0.45, 0.25)), minlength=3) / len(keep)
    assert np.allclose(sizes, (0.3, 0.45, 0.25), atol=0.01), sizes
    assert abs(chosen.flip.mean() - 0.5) < 0.01 and set(np.unique(chosen.variant(2))) == {0, 1}
    assert abs(np.corrcoef(keep, draws(seed=1).keep)[0, 1]) < 0.01, "another seed, other choices"
    assert np.array_equal(keep, draws().keep), "the same seed, the same choices"


def test_the_hash_is_splitmix64():
    """Key 1, anchor 0 is SplitMix64's first output from a state of 0 (its published reference value), as 53 bits."""
    one = AnchorDraws({"keep": np.uint64(1)}, np.zeros(1, int))
    assert one.uniform("keep")[0] == (0xE220A8397B1DCDAF >> 11) * 2.0**-53


def test_odds_that_do_not_sum_to_one_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        draws(anchors=10).size((0.3, 0.3))
