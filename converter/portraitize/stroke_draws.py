"""A layer's random choices for its strokes, each a function of the stroke's anchor alone.

Every choice (whether a finer layer keeps the anchor, the hand's turn off the stroke's direction, which end it
starts from, the brush's size, the hand's change of the paint's value, the bristle pattern, the order strokes are
laid in) is a hash of that choice's key and the anchor's number in the layer's grid (SplitMix64's mixer, a
counter-based generator), not the next draw of a shared stream. So an anchor's choices do not depend on which
others the layer keeps: a small change (a colour, a mask) moves only the strokes it touches, instead of
reshuffling every stroke after them. And all but whether to keep it are computed only for the anchors a layer
keeps: a finer layer's grid covers the whole picture (millions of anchors at 12 MP) and keeps a few percent.
"""

from __future__ import annotations

import math

import numpy as np

# Each choice's key is the state word at its place here: append a new choice, never insert or reorder (that would
# change every painting's later choices).
CHOICES = ("keep", "tremor", "tremor_angle", "flip", "size", "value", "value_angle", "variant", "rank")
_GOLDEN, _MIX1, _MIX2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


class AnchorDraws:
    """The choices (`keys`, one per name in CHOICES) of a layer's anchors `index` (numbers in its grid)."""

    def __init__(self, keys: dict[str, np.uint64], index: np.ndarray):
        self.keys, self.index = keys, index.astype(np.uint64)

    @classmethod
    def of_grid(cls, stream: np.random.SeedSequence, anchors: int) -> AnchorDraws:
        """The choices of all `anchors` of a layer whose random `stream` this is."""
        return cls(dict(zip(CHOICES, stream.generate_state(len(CHOICES), np.uint64))), np.arange(anchors))

    def chosen(self, kept: np.ndarray) -> AnchorDraws:
        """The same choices for the kept anchors only."""
        return AnchorDraws(self.keys, self.index[kept])

    def uniform(self, choice: str) -> np.ndarray:
        """0 <= u < 1 for each anchor: SplitMix64's output for the anchor's number under the choice's key (in place
        on one array: over a 12 MP picture's finest grid each temporary is tens of MB)."""
        z = self.index + self.keys[choice]  # uint64 throughout: the hash's arithmetic is modulo 2**64 by design
        z *= _GOLDEN
        z ^= z >> np.uint64(30)
        z *= _MIX1
        z ^= z >> np.uint64(27)
        z *= _MIX2
        z ^= z >> np.uint64(31)
        z >>= np.uint64(11)
        return z.astype(np.float64) * 2.0**-53

    def normal(self, radius_choice: str, angle_choice: str) -> np.ndarray:
        """Standard normal for each anchor (Box-Muller on the uniforms of two choices)."""
        radius = np.sqrt(-2 * np.log1p(-self.uniform(radius_choice)))  # 1 - u lies in (0, 1]: the log is finite
        return radius * np.cos(2 * math.pi * self.uniform(angle_choice))

    @property
    def keep(self) -> np.ndarray:
        return self.uniform("keep")

    @property
    def tremor(self) -> np.ndarray:
        return self.normal("tremor", "tremor_angle")

    @property
    def flip(self) -> np.ndarray:
        return self.uniform("flip") < 0.5

    def size(self, odds: tuple[float, ...]) -> np.ndarray:
        """An index into the sizes whose `odds` (summing to 1) these are."""
        if not math.isclose(sum(odds), 1.0):
            raise ValueError(f"odds {odds} do not sum to 1")
        return np.minimum(np.searchsorted(np.cumsum(odds), self.uniform("size"), side="right"), len(odds) - 1)

    @property
    def value(self) -> np.ndarray:
        return self.normal("value", "value_angle")

    def variant(self, count: int) -> np.ndarray:
        """One of `count` bristle patterns."""
        return (self.uniform("variant") * count).astype(int)

    @property
    def rank(self) -> np.ndarray:
        return self.uniform("rank")
