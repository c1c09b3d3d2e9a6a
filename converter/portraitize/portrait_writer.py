"""`sample`'s portraits written on a thread of their own, in order, stopping at the first that cannot be."""

from __future__ import annotations

import collections
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .sampling import save_png


class WriteFailed(Exception):
    def __init__(self, path: Path, error: OSError):
        super().__init__(f"{path}: {error}")
        self.path, self.error = path, error


class PortraitWriter:
    """Writes portraits (`save_png`) on a thread of its own, so that encoding one (a tenth of `sample --count 50`'s
    time) overlaps painting the next. At most PENDING wait, so memory stays bounded whatever the count. Writes
    settle in the order given: `on_written(path)` for each that did, and the first that failed raises WriteFailed
    (later ones are not begun). Leaving the block, also on Ctrl-C, waits for the writes given: each is atomic, so a
    file is complete or absent, and every portrait painted before the interruption is kept."""

    PENDING = 8

    def __init__(self, on_written: Callable[[Path], None] = lambda path: None):
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="png")
        self._waiting: collections.deque = collections.deque()
        self._on_written = on_written
        self._failed = False  # on the writing thread: a write failed, so none more is begun

    def write(self, path: Path, rgb: np.ndarray, text: dict[str, str]) -> None:
        self._waiting.append((path, self._pool.submit(self._save, path, rgb, text)))
        while len(self._waiting) > self.PENDING or (self._waiting and self._waiting[0][1].done()):
            self._settle()

    def _save(self, path: Path, rgb: np.ndarray, text: dict[str, str]) -> bool:
        """On the writing thread: whether it was written (not after a failure)."""
        if self._failed:
            return False
        try:
            save_png(path, rgb, text)
        except OSError:
            self._failed = True
            raise
        return True

    def finish(self) -> None:
        """Wait for every write given; WriteFailed for the first that failed."""
        while self._waiting:
            self._settle()

    def _settle(self) -> None:
        path, future = self._waiting.popleft()
        try:
            written = future.result()
        except OSError as error:
            raise WriteFailed(path, error) from None
        if written:
            self._on_written(path)

    def __enter__(self) -> PortraitWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        # Interrupted (Ctrl-C) or not, every portrait painted is written, and counted; after a failed write, none
        # more is begun.
        self._pool.shutdown(wait=True, cancel_futures=isinstance(error, WriteFailed))
        for path, future in self._waiting:
            if not future.cancelled() and future.exception() is None and future.result():
                self._on_written(path)
        self._waiting.clear()
