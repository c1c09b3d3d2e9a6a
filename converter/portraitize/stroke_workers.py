"""The stroke painter in worker processes, so that `convert` and `sample --size` paint several pictures at once.

The painter lays its strokes one by one from Python, so threads paint one photo at a time whatever the cores
(the GIL): on two cores, 20 photos at 512 px took 17.2 s with one painting thread, 15.0 s with two, 11.7 s with
two processes (measured by hand). Each worker gets the painting, the photo and the sitter's masks, and sends back
the painting in strokes and the stroke list: the same bytes as painting in-process (the painter is seeded by its
settings).

Workers start from a fork server that has imported the painter once (numpy, Pillow), not from the main
process (its model sessions' threads must not be forked). Memory is bounded by pixels, as in the pipeline: the
paintings in the workers at once add up to at most PAINTING_PIXELS (one larger than that paints alone). A worker
that dies (the system out of memory) breaks them all: the paintings in them are tried once more, one at a time,
each in a worker of its own, so the photo that killed its worker fails, with that reason, and the others do not.
Workers ignore Ctrl-C: on an interrupt nothing more is sent to them and the paintings they hold finish (a worker
is never killed: one killed while sending its result back leaves the pool's reader waiting for the rest
forever). A worker leaves as soon as its main process is gone (killed), rather than hold the terminal open.
"""

from __future__ import annotations

import concurrent.futures.process
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .interrupts import presses_held
from .painter import Strokes, paint_strokes
from .pixel_budget import PixelBudget
from .session import usable_cpus
from .text import first_line
from .translate import PaintError

# Pixels in the workers' paintings at once: the painter works in ~60 bytes a pixel at its peak (a 12 MP photo's
# painting: ~0.7 GB), so about 1 GB, on top of the pipeline's photos in flight.
PAINTING_PIXELS = 16_000_000

MOST_WORKERS = 8  # on the largest CPUs: each holds its own stamps and a painting
INTERRUPTED = "interrupted before its strokes were painted"


# concurrent.futures' exit hook wakes each pool's manager thread without the lock under which that thread closes its
# wake-up pipe (its own comment says so): a pool ending as Python exits after Ctrl-C now and then raised EBADF in the
# hook, a traceback after the "interrupted" line (a loaded machine, tests/test_interrupt.py). close() waits for the
# pools, which makes it rare; this makes it harmless.
def _wake_unless_closed(wake: Callable) -> Callable:
    def wakeup(self) -> None:
        try:
            wake(self)
        except OSError:  # its manager thread closed the pipe meanwhile: nothing is left to wake
            pass

    return wakeup


concurrent.futures.process._ThreadWakeup.wakeup = _wake_unless_closed(concurrent.futures.process._ThreadWakeup.wakeup)


def worker_count(threads: int, painting_pixels: list[int] | None = None) -> int:
    """Stroke workers for --threads (0: every usable core), and no more than the typical painting (the median of
    `painting_pixels`, where known) fits side by side in PAINTING_PIXELS: phone photos paint one at a time anyway,
    and a worker would only hold a second copy of each (a folder of four 12 MP photos peaked at 1.88 GB with two
    workers, 1.38 GB painting in-process, which was no slower: bench/phone_folder.py at e6a54d2)."""
    known = sorted(pixels for pixels in painting_pixels or () if pixels)
    fit = PAINTING_PIXELS // known[len(known) // 2] if known else MOST_WORKERS
    return max(1, min(MOST_WORKERS, threads or usable_cpus(), fit))


class StrokeWorkers:
    """`workers` processes running paint_strokes; close() when done, stop() on an interrupt. OSError where they
    cannot start (no usable /dev/shm, a temporary folder too long for a socket's path): see `start_workers`."""

    def __init__(self, workers: int):
        self.workers = workers
        self.budget = PixelBudget(PAINTING_PIXELS, INTERRUPTED)  # the paintings in the workers at once
        self.room = threading.Lock()  # over the pools and `stopped`
        self.stopped = False
        self.pool = self._start(workers)
        self.apart: set[ProcessPoolExecutor] = set()  # one-worker pools of paintings tried again
        self.one_apart = threading.Lock()  # tried again one at a time: together, they could exhaust memory again

    def paint(self, painted: np.ndarray, *rest) -> tuple[np.ndarray, list[Strokes]]:
        """`paint_strokes(painted, *rest)` in a worker, once the paintings there leave room for this one's pixels.
        A worker's death breaks the whole pool, so every painting in it is tried once more in a worker of its
        own (`_apart`)."""
        with self.budget.room_for(painted.shape[0] * painted.shape[1]):
            try:
                with self.room:  # no painting is sent once stop() has begun; the pool now, restarted or not
                    if self.stopped:
                        raise PaintError(INTERRUPTED)
                    pool = self.pool
                    painting = pool.submit(paint_strokes, painted, *rest)
                return painting.result()
            except CancelledError:  # stop() dropped it before a worker took it
                raise PaintError(INTERRUPTED) from None
            except BrokenProcessPool:
                self._restart(pool)
            return self._apart(painted, *rest)

    def close(self) -> None:
        """Wait for the paintings in the workers, then for the workers to end; after stop() too, once the paintings
        they held are back: a pool still ending as Python exits races the exit hook of concurrent.futures, which
        then writes to the pool's closed wake-up pipe (Python 3.11: a traceback after Ctrl-C, now and then)."""
        with self.room:
            pools = [self.pool, *self.apart]
        for pool in pools:
            pool.shutdown(wait=True)

    def stop(self) -> None:
        """Send nothing more to the workers (an interrupt); the paintings they hold finish, the rest are dropped."""
        with self.room:
            self.stopped = True
            pools = [self.pool, *self.apart]
        self.budget.stop()
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        """Fresh workers in place of a broken pool (the first thread to see it starts them)."""
        with self.room:
            if self.pool is not broken or self.stopped:
                return
            broken.shutdown(wait=False, cancel_futures=True)
            try:
                self.pool = self._start(self.workers)
            except OSError as error:
                raise PaintError(f"the stroke painter's workers cannot start again ({first_line(error)})") from None

    def _apart(self, painted: np.ndarray, *rest) -> tuple[np.ndarray, list[Strokes]]:
        """A painting tried again in a worker of its own."""
        with self.one_apart:
            with self.room:
                if self.stopped:
                    raise PaintError(INTERRUPTED)
                pool = self._start(1)
                self.apart.add(pool)
                painting = pool.submit(paint_strokes, painted, *rest)
            try:
                return painting.result()
            except CancelledError:
                raise PaintError(INTERRUPTED) from None
            except BrokenProcessPool:
                raise PaintError(
                    "the stroke painter's worker process stopped while painting it (out of memory?)"
                ) from None
            finally:
                pool.shutdown(wait=False)
                with self.room:
                    self.apart.discard(pool)

    def _start(self, workers: int) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(workers, mp_context=start_fork_server(), initializer=_worker_setup)
        pool.submit(int)  # a worker starts now, while the first photos are read and translated
        return pool


def start_fork_server() -> multiprocessing.context.BaseContext:
    """The context workers start from, its fork server started (not waited for) if it has one: called before the
    models load, the server imports the painter on another core meanwhile, and the first worker forks at once
    (after them, a run waited about a quarter of a second on 2 cores for that import)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["portraitize.fork_server"])
        # started with Ctrl-C held: the server imports the painter without a KeyboardInterrupt traceback of its
        # own (it ignores Ctrl-C anyway once it runs), and a press meanwhile still reaches this process
        with presses_held():
            multiprocessing.forkserver.ensure_running()
    return context


def start_workers(workers: int, on_note: Callable[[str], None]) -> StrokeWorkers | None:
    """StrokeWorkers, or None where they cannot start (then the painter runs in this process; `on_note` says why)."""
    try:
        return StrokeWorkers(workers)
    except OSError as error:
        on_note(f"the stroke painter's worker processes cannot start ({first_line(error)}): painting in this process")
        return None


def _worker_setup() -> None:
    """In each worker: Ctrl-C is the main process's to handle; and the worker leaves when the main process is
    gone (killed, out of memory: its end of the parent's pipe closes), or it would live on, holding the
    terminal's output open."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    main = multiprocessing.parent_process()  # the main process, also with a fork server between
    threading.Thread(target=_leave_with, args=(main.sentinel,), daemon=True).start()


def _leave_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)
