"""The stroke painter in worker processes, so that `convert` paints several photos at once.

The painter lays its strokes one by one from Python, so threads paint one photo at a time whatever the cores
(the GIL): on two cores, 20 photos at 512 px took 17.2 s with one painting thread, 15.0 s with two, 11.7 s with
two processes (measured by hand). Each worker gets the painting, the photo and the sitter's masks, and sends back the painting in
strokes and the stroke list: the same bytes as painting in-process (the painter is seeded by its settings).

Workers start from a fork server that has imported the painter once (numpy, Pillow), not from the main
process (its model sessions' threads must not be forked). They ignore Ctrl-C: the main process stops the batch,
and a painting already in a worker finishes. Memory is bounded by pixels, as in the pipeline: the paintings in
the workers at once add up to at most PAINTING_PIXELS (one larger than that paints alone). A worker that dies (the
system out of memory) fails its photo with that reason, and the next photo gets a fresh worker.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .painter import Strokes, paint_strokes
from .session import usable_cpus
from .translate import PaintError

# Pixels in the workers' paintings at once: the painter works in ~60 bytes a pixel at its peak (a 12 MP photo's
# painting: ~0.7 GB), so about 1 GB, on top of the pipeline's photos in flight.
PAINTING_PIXELS = 16_000_000

MOST_WORKERS = 8  # on the largest CPUs: each holds its own stamps and a painting


def worker_count(threads: int) -> int:
    """Stroke workers for --threads (0: every usable core)."""
    return min(MOST_WORKERS, threads or usable_cpus())


class StrokeWorkers:
    """`workers` processes running paint_strokes; close() when done."""

    def __init__(self, workers: int):
        self.workers = workers
        self.painting = 0  # pixels in the workers now
        self.room = threading.Condition()
        self.pool = self._start()

    def paint(self, painted: np.ndarray, *rest) -> tuple[np.ndarray, list[Strokes]]:
        """`paint_strokes(painted, *rest)` in a worker, once the paintings there leave room for this one's pixels."""
        pixels = min(painted.shape[0] * painted.shape[1], PAINTING_PIXELS)
        with self.room:
            self.room.wait_for(lambda: self.painting + pixels <= PAINTING_PIXELS)
            self.painting += pixels
            pool = self.pool
        try:
            return pool.submit(paint_strokes, painted, *rest).result()
        except BrokenProcessPool:
            with self.room:
                if self.pool is pool:  # the first thread to see it starts the workers again
                    pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = self._start()
            raise PaintError("the stroke painter's worker process stopped (out of memory?)") from None
        finally:
            with self.room:
                self.painting -= pixels
                self.room.notify_all()

    def close(self) -> None:
        """Wait for the paintings in the workers, then stop them."""
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload([__name__])
        pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_ignore_interrupts)
        pool.submit(int)  # a worker starts now, while the first photos are read and translated
        return pool


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
