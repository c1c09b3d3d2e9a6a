"""Which latents a sampler paints from, in order: all of them, or those its latent check keeps (contract.py's
ModelInfo.latent_check), and which of those the check is sure of."""

from __future__ import annotations

import bisect

import numpy as np

from .contract import ModelInfo, sample_latents
from .session import ModelError


class Latents:
    """The numbers of the latents a sampler paints from, in order: every latent (`contract.sample_latents`), or,
    where the sampler has a latent check (contract.ModelInfo.latent_check) and `every_latent` is false, those the
    check keeps. Worked out as far as asked, a chunk of latents at a time: the check costs microseconds a latent,
    painting one milliseconds, so stepping over a latent costs next to nothing. ModelError at once, before any
    painting, where the check keeps almost none of these latents (a model fitted wrong, or a small --truncation)."""

    CHUNK = 256
    FEWEST_KEPT = 0.01  # of the first TRIED latents: a check keeping fewer would take long to fill a count
    TRIED = 4 * CHUNK  # drawn at once (a small --truncation redraws each value many times: keep it short)

    def __init__(self, info: ModelInfo, seed: int, truncation: float | None, every_latent: bool = False):
        self.info, self.seed, self.truncation = info, seed, truncation
        self.checked = bool(info.latent_check) and not every_latent
        self._kept: list[int] = []
        self._sure: set[int] = set()  # kept latents scoring at least the check's sure score
        self._drawn = 0
        if self.checked:
            while self._drawn < self.TRIED:
                self._draw()
            if len(self._kept) < self.FEWEST_KEPT * self._drawn:
                cause = (
                    f"with --truncation {truncation:g}, whose latents score low: a larger one, or --every-latent"
                    if truncation is not None
                    else "re-fit it (`python -m trainer latent-check`), or paint with --every-latent"
                )
                raise ModelError(
                    f"{info.name}'s latent check keeps {len(self._kept)} of its first {self._drawn} latents: {cause}"
                )

    def __getitem__(self, position: int) -> int:
        """The number of the `position`-th latent painted from (0 is the first)."""
        if not self.checked:
            return position
        while len(self._kept) <= position:
            self._draw()
        return self._kept[position]

    def position(self, number: int, below: int) -> int | None:
        """Where latent `number` lies among those painted from, if that is before place `below`; None where it lies
        further or the check steps over it (a recorded latent number far ahead costs no more than `below`)."""
        if not self.checked:
            return number if number < below else None
        while self._drawn <= number and len(self._kept) < below:
            self._draw()
        place = bisect.bisect_left(self._kept, number)
        return place if place < min(len(self._kept), below) and self._kept[place] == number else None

    def sure(self, number: int) -> bool:
        """Whether the check is sure of latent `number` (one it keeps): the face check need not look at its portrait."""
        return number in self._sure

    def numbers(self, start: int, stop: int) -> list[int]:
        return [self[position] for position in range(start, stop)]

    def _draw(self) -> None:
        chunk = sample_latents(self.CHUNK, self.info.latent_size, self.seed, self.truncation, self._drawn)
        scores = self.info.latent_scores(chunk)
        self._kept += [self._drawn + int(offset) for offset in np.flatnonzero(scores >= 0)]
        self._sure.update(self._drawn + int(offset) for offset in np.flatnonzero(scores >= self.info.latent_sure))
        self._drawn += self.CHUNK
