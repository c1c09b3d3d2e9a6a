"""The stroke painter in worker processes, so that `convert` paints several photos at once.

The painter lays its strokes one by one from Python, so threads paint one photo at a time whatever the cores
(the GIL): on two cores, 20 photos at 512 px took 17.2 s with one painting thread, 15.0 s with two, 11.7 s with
two processes (measured by hand). Each worker gets the painting, the photo and the sitter's masks, and sends back the painting in
strokes and the stroke list: the same bytes as painting in-process (the painter is seeded by its settings).

Workers start from a fork server that has imported the painter once (numpy, Pillow), not from the main
process (its model sessions' threads must not be forked). They ignore Ctrl-C: the main process stops the batch,
and a painting already in a worker finishes. Memory is bounded by pixels, as in the pipeline: the paintings in
the workers at once add up to at most PAINTING_PIXELS (one larger than that paints alone). A worker that dies (the
system out of memory) breaks them all: the paintings in them are tried once more, each in a worker of its own,
so the photo that killed its worker fails, with that reason, and the others do not. On Ctrl-C the workers are killed at once;
a worker whose main process is gone (killed) leaves within MAIN_CHECK_SECONDS.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from .painter import Strokes, paint_strokes
from .session import usable_cpus
from .text import first_line
from .translate import PaintError

# Pixels in the workers' paintings at once: the painter works in ~60 bytes a pixel at its peak (a 12 MP photo's
# painting: ~0.7 GB), so about 1 GB, on top of the pipeline's photos in flight.
PAINTING_PIXELS = 16_000_000

MOST_WORKERS = 8  # on the largest CPUs: each holds its own stamps and a painting
MAIN_CHECK_SECONDS = 1.0  # how often a worker looks whether the main process is still there


def worker_count(threads: int) -> int:
    """Stroke workers for --threads (0: every usable core)."""
    return min(MOST_WORKERS, threads or usable_cpus())


class StrokeWorkers:
    """`workers` processes running paint_strokes; close() when done, stop() on an interrupt. OSError where they
    cannot start (no usable /dev/shm, a temporary folder too long for a socket's path): see `start_workers`."""

    def __init__(self, workers: int):
        self.workers = workers
        self.painting = 0  # pixels in the workers now
        self.room = threading.Condition()
        self.stopped = False
        self.pool = self._start(workers)
        self.apart: set[ProcessPoolExecutor] = set()  # one-worker pools of paintings tried again

    def paint(self, painted: np.ndarray, *rest) -> tuple[np.ndarray, list[Strokes]]:
        """`paint_strokes(painted, *rest)` in a worker, once the paintings there leave room for this one's pixels.
        A worker's death breaks the whole pool, so every painting in it is tried once more, each in a worker of
        its own: the photo that killed its worker (out of memory) fails, the others do not."""
        pixels = min(painted.shape[0] * painted.shape[1], PAINTING_PIXELS)
        with self.room:
            self.room.wait_for(lambda: self.painting + pixels <= PAINTING_PIXELS)
            self.painting += pixels
            pool = self.pool
        try:
            try:
                return pool.submit(paint_strokes, painted, *rest).result()
            except BrokenProcessPool:
                with self.room:
                    if self.pool is pool and not self.stopped:  # the first thread to see it starts the workers again
                        pool.shutdown(wait=False, cancel_futures=True)
                        self.pool = self._start(self.workers)
            return self._apart(painted, *rest)
        finally:
            with self.room:
                self.painting -= pixels
                self.room.notify_all()

    def close(self) -> None:
        """Wait for the paintings in the workers, then stop them."""
        self.pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """At once (Ctrl-C): the workers are killed. Their paintings are lost, but no file is written in a worker,
        and nothing is left waiting on them (a second Ctrl-C during a gentler shutdown left the process hanging)."""
        with self.room:
            self.stopped = True
            pools = [self.pool, *self.apart]
        for pool in pools:
            for process in list((pool._processes or {}).values()):  # no public way before Python 3.14
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    def _apart(self, painted: np.ndarray, *rest) -> tuple[np.ndarray, list[Strokes]]:
        """A painting tried again in a worker of its own."""
        with self.room:
            if self.stopped:
                raise PaintError("interrupted before its strokes were painted")
            pool = self._start(1)
            self.apart.add(pool)
        try:
            return pool.submit(paint_strokes, painted, *rest).result()
        except BrokenProcessPool:
            raise PaintError("the stroke painter's worker process stopped while painting it (out of memory?)") from None
        finally:
            pool.shutdown(wait=False)
            with self.room:
                self.apart.discard(pool)

    def _start(self, workers: int) -> ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload([__name__])
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_setup, initargs=(os.getpid(),))
        pool.submit(int)  # a worker starts now, while the first photos are read and translated
        return pool


def start_workers(workers: int, on_note: Callable[[str], None]) -> StrokeWorkers | None:
    """StrokeWorkers, or None where they cannot start (then the painter runs in this process; `on_note` says why)."""
    try:
        return StrokeWorkers(workers)
    except OSError as error:
        on_note(f"the stroke painter's worker processes cannot start ({first_line(error)}): one painting at a time")
        return None


def _worker_setup(main: int) -> None:
    """In each worker: Ctrl-C is the main process's to handle; and the worker leaves when the main process is
    gone (killed, out of memory), or it would live on, holding the terminal's output open."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_leave_with, args=(main,), daemon=True).start()


def _leave_with(main: int) -> None:
    while not _ended(main):
        time.sleep(MAIN_CHECK_SECONDS)
    os._exit(1)


def _ended(pid: int) -> bool:
    """Whether process `pid` has ended: gone, or (Linux) a zombie its parent has not reaped yet, as while a
    parent reads the output pipes our workers would hold open."""
    if os.path.isdir("/proc/self"):
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True
    try:
        os.kill(pid, 0)
    except OSError:  # gone (or its number reused by another user's process)
        return True
    return False
