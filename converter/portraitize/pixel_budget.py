"""A budget of pixels shared by threads: work of so many pixels at once at most, so memory follows pixels, not
the number of threads (one piece larger than the whole budget runs alone)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from .translate import PaintError


class PixelBudget:
    def __init__(self, most: int, interrupted: str):
        self.most = most
        self.interrupted = interrupted  # what a piece of work waiting for room hears once the budget is stopped
        self.held = 0
        self.stopped = False
        self._room = threading.Condition()

    @contextlib.contextmanager
    def room_for(self, pixels: int) -> Iterator[None]:
        """Wait until `pixels` fit beside the work holding room, hold it for the block; PaintError(interrupted) once
        the budget is stopped."""
        pixels = min(pixels, self.most)
        with self._room:
            self._room.wait_for(lambda: self.stopped or self.held + pixels <= self.most)
            if self.stopped:
                raise PaintError(self.interrupted)
            self.held += pixels
        try:
            yield
        finally:
            with self._room:
                self.held -= pixels
                self._room.notify_all()

    def stop(self) -> None:
        """An interrupt: work waiting for room gives up, and none more is let in."""
        with self._room:
            self.stopped = True
            self._room.notify_all()
