"""The local engine: executes a plan on this machine.

Decoding and encoding run in a thread pool (Pillow and numpy release the GIL) while the main thread feeds
the model, so disk, CPU codecs and inference overlap. Photos of one size share a model call. Memory stays
bounded: a fixed window of photos is decoded ahead and a fixed number of writes may be pending.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .engine import Engine, first_line
from .images import DEFAULT_MAX_PIXELS, FORMAT_BY_EXTENSION, ImageError, Photo, load_photo, write_atomically
from .plan import Job
from .translate import PaintSettings, model_input, needs_tiles, paint_photos, render


@dataclasses.dataclass(frozen=True)
class ConvertSettings:
    paint: PaintSettings
    batch_size: int = 4
    quality: int = 95
    max_pixels: int = DEFAULT_MAX_PIXELS
    io_workers: int = min(4, os.cpu_count() or 1)


@dataclasses.dataclass
class Report:
    converted: list[Job] = dataclasses.field(default_factory=list)
    skipped: list[Job] = dataclasses.field(default_factory=list)
    failed: list[tuple[Path, str]] = dataclasses.field(default_factory=list)

    def record(self, job: Job, error: str | None) -> None:
        if error is None:
            self.converted.append(job)
        else:
            self.failed.append((job.source, error))


# Called once per finished job with None (written) or the one-line reason it failed.
OnDone = Callable[[Job, "str | None"], None]


@dataclasses.dataclass
class _Decoded:
    job: Job
    photo: Photo
    model_rgb: np.ndarray


def convert_jobs(engine: Engine, jobs: list[Job], settings: ConvertSettings, on_done: OnDone) -> None:
    """Paint every job's photo and write it; per-file problems go to on_done, never abort the batch."""
    pool = ThreadPoolExecutor(settings.io_workers, thread_name_prefix="portraitize-io")
    writes: deque[tuple[Job, Future]] = deque()
    max_pending = settings.batch_size * 2 + settings.io_workers

    def paint_and_write(group: list[_Decoded]) -> None:
        painted = paint_photos(engine, [item.photo for item in group], [item.model_rgb for item in group],
                               settings.paint, settings.batch_size)  # fmt: skip
        for item, result in zip(group, painted):
            if isinstance(result, str):
                on_done(item.job, result)
            else:
                writes.append((item.job, pool.submit(_render_and_write, item, result, settings)))
        while len(writes) > max_pending:
            _collect(writes.popleft(), on_done)

    try:
        decode = lambda job: _decode(job, settings)  # noqa: E731
        batcher = _Batcher(settings.batch_size)
        for job, decoded in _prefetch(pool, decode, jobs, window=max_pending):
            if isinstance(decoded, str):
                on_done(job, decoded)
            elif needs_tiles(decoded.photo, settings.paint):
                paint_and_write([decoded])
            else:
                for group in batcher.add(decoded):
                    paint_and_write(group)
        for group in batcher.flush():
            paint_and_write(group)
        while writes:
            _collect(writes.popleft(), on_done)
    except BaseException:
        # Ctrl-C: drop queued work; writes already running finish (each one is atomic) before we leave.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _decode(job: Job, settings: ConvertSettings) -> _Decoded | str:
    try:
        photo = load_photo(job.source, settings.max_pixels)
    except ImageError as error:
        return str(error)
    return _Decoded(job, photo, model_input(photo, settings.paint))


def _render_and_write(item: _Decoded, painted: np.ndarray, settings: ConvertSettings) -> str | None:
    image_format = FORMAT_BY_EXTENSION[item.job.format_extension]
    data = render(item.photo, painted, settings.paint, image_format, settings.quality)
    try:
        write_atomically(item.job.target, lambda handle: handle.write(data))
    except OSError as error:
        return f"cannot write {item.job.target} ({first_line(error)})"
    return None


def _collect(pending: tuple[Job, Future], on_done: OnDone) -> None:
    job, future = pending
    on_done(job, future.result())


def _prefetch(pool: ThreadPoolExecutor, function, items: Iterable, window: int) -> Iterator[tuple]:
    """Yield (item, function(item)) in order, keeping up to `window` calls running ahead in the pool."""
    items = iter(items)
    running = deque((item, pool.submit(function, item)) for item in itertools.islice(items, window))
    while running:
        item, future = running.popleft()
        for upcoming in itertools.islice(items, 1):
            running.append((upcoming, pool.submit(function, upcoming)))
        yield item, future.result()


class _Batcher:
    """Groups decoded photos by pixel size; a group is released when full or when too many wait."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.waiting: dict[tuple[int, ...], list[_Decoded]] = {}

    def add(self, item: _Decoded) -> list[list[_Decoded]]:
        group = self.waiting.setdefault(item.model_rgb.shape, [])
        group.append(item)
        if len(group) >= self.batch_size:
            return [self.waiting.pop(item.model_rgb.shape)]
        if sum(len(waiting) for waiting in self.waiting.values()) >= 2 * self.batch_size:
            # Many sizes, few repeats: release the fullest group rather than hold photos in memory.
            fullest = max(self.waiting, key=lambda shape: len(self.waiting[shape]))
            return [self.waiting.pop(fullest)]
        return []

    def flush(self) -> list[list[_Decoded]]:
        groups = list(self.waiting.values())
        self.waiting.clear()
        return groups

