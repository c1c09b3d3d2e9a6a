"""A layer's random choices for its strokes, each a function of the stroke's anchor alone.

Every choice (whether a finer layer keeps the anchor, the hand's tremor, the brush's size, its bristle pattern,
the order strokes are laid in) is a hash of the layer's key and the anchor's number in the layer's grid
(SplitMix64, a counter-based generator), not the next draw of a shared stream. So an anchor's choices do not
depend on which others the layer keeps: a small change (a colour, a mask) moves only the strokes it touches,
instead of reshuffling every stroke after them. And they are computed only for the anchors a layer keeps: the
finest layer of a 12 MP photo has two million anchors and keeps a few percent (drawn for all of them from a
stream, the choices cost half a second a photo).
"""

from __future__ import annotations

import math

import numpy as np

CHOICES = ("keep", "tremor", "tremor_angle", "flip", "size", "value", "value_angle", "variant", "rank")
_GOLDEN, _MIX1, _MIX2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


class AnchorDraws:
    """The choices of a layer's anchors `index` (numbers in its grid), under the layer's random `stream`."""

    def __init__(self, stream: np.random.SeedSequence, index: np.ndarray):
        self._keys = dict(zip(CHOICES, stream.generate_state(len(CHOICES), np.uint64)))
        self.index = index.astype(np.uint64)

    @classmethod
    def of_grid(cls, stream: np.random.SeedSequence, anchors: int) -> AnchorDraws:
        return cls(stream, np.arange(anchors))

    def chosen(self, kept: np.ndarray) -> AnchorDraws:
        """The same choices for the kept anchors only."""
        subset = AnchorDraws.__new__(AnchorDraws)
        subset._keys, subset.index = self._keys, self.index[kept]
        return subset

    def uniform(self, choice: str) -> np.ndarray:
        """0 <= u < 1 for each anchor: SplitMix64's output for the anchor's number under the choice's key."""
        with np.errstate(over="ignore"):  # the hash's arithmetic is modulo 2**64 by design
            z = (self.index + self._keys[choice]) * _GOLDEN
            z = (z ^ (z >> np.uint64(30))) * _MIX1
            z = (z ^ (z >> np.uint64(27))) * _MIX2
            z ^= z >> np.uint64(31)
        return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53

    def normal(self, choice: str) -> np.ndarray:
        """Standard normal for each anchor (Box-Muller on two of its uniforms)."""
        radius = np.sqrt(-2 * np.log1p(-self.uniform(choice)))  # 1 - u lies in (0, 1]: the log is finite
        return radius * np.cos(2 * math.pi * self.uniform(choice + "_angle"))

    @property
    def keep(self) -> np.ndarray:
        return self.uniform("keep")

    @property
    def tremor(self) -> np.ndarray:
        return self.normal("tremor")

    @property
    def flip(self) -> np.ndarray:
        return self.uniform("flip") < 0.5

    def size(self, odds: tuple[float, ...]) -> np.ndarray:
        """An index into the sizes whose `odds` these are."""
        return np.minimum(np.searchsorted(np.cumsum(odds), self.uniform("size"), side="right"), len(odds) - 1)

    @property
    def value(self) -> np.ndarray:
        return self.normal("value")

    def variant(self, count: int) -> np.ndarray:
        return (self.uniform("variant") * count).astype(int)

    @property
    def rank(self) -> np.ndarray:
        return self.uniform("rank")
