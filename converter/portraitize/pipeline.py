"""Executes a plan's jobs: the one per-file conversion step, with the local engine's overlap of work.

A job goes read -> orient -> paint -> encode -> write, and every step is inside the per-file guard: a file
can fail, with its one-line reason, but never end the batch. The Ray engine runs this same function in each
of its workers (with `Files` on its file systems), so both engines follow the same rules.

Decoding and encoding run in a thread pool (Pillow and numpy release the GIL) while the main thread feeds
the model, so disk, CPU codecs and inference overlap. Photos of one size share a model call. Memory is
bounded by pixels, not by count: a photo counts from the moment its decoding starts until its output is
written, and the next photo starts only while the total stays within `pixels_in_flight` (a photo larger
than that is converted alone).
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePath
from typing import BinaryIO, Protocol

import numpy as np

from .faces import Face
from .files import write_atomically
from .images import (
    DEFAULT_MAX_PIXELS,
    FORMAT_BY_EXTENSION,
    ImageError,
    Photo,
    load_photo,
    open_input,
    pixel_count,
)
from .model_set import ModelSet
from .plan import Job
from .text import first_line
from .translate import PaintSettings, model_input, needs_tiles, paint_photos, render

# A photo in flight costs up to ~9 bytes a pixel at its peak (Pillow's decoded image and its numpy copy, or
# the restored painting while it is encoded; measured: 12 MP JPEGs, 0.41 GB for 48 MP in flight; one 81 MP
# PNG alone, 0.77 GB), so 48 MP in flight stay under ~0.5 GB beyond the model's own memory.
PIXELS_IN_FLIGHT = 48_000_000


@dataclasses.dataclass(frozen=True)
class ConvertSettings:
    paint: PaintSettings
    batch_size: int = 4
    quality: int = 95
    max_pixels: int = DEFAULT_MAX_PIXELS
    io_workers: int = min(4, os.cpu_count() or 1)
    pixels_in_flight: int = PIXELS_IN_FLIGHT


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one job ended: written (error None) or not, and what the user should know about its output."""

    error: str | None = None
    notes: tuple[str, ...] = ()


@dataclasses.dataclass
class Report:
    converted: list[Job] = dataclasses.field(default_factory=list)
    skipped: list[Job] = dataclasses.field(default_factory=list)
    failed: list[tuple[PurePath, str]] = dataclasses.field(default_factory=list)
    notes: list[tuple[PurePath, str]] = dataclasses.field(default_factory=list)

    def record(self, job: Job, outcome: Outcome) -> None:
        if outcome.error is None:
            self.converted.append(job)
        else:
            self.failed.append((job.source, outcome.error))
        self.notes.extend((job.source, note) for note in outcome.notes)


# Called once per finished job.
OnDone = Callable[[Job, Outcome], None]


class Files(Protocol):
    """Where inputs are read and outputs written."""

    def open(self, path: PurePath) -> BinaryIO:
        """An input opened for reading (seekable); ImageError with the reason when it cannot be."""

    def write(self, path: PurePath, data: bytes) -> None:
        """Store an output whole or not at all."""


class LocalFiles:
    def open(self, path: PurePath) -> BinaryIO:
        return open_input(path)

    def write(self, path: PurePath, data: bytes) -> None:
        write_atomically(Path(path), lambda handle: handle.write(data))


@dataclasses.dataclass
class _Item:
    """A job in flight and what it holds."""

    job: Job
    pixels: int
    photo: Photo | None = None
    model_rgb: np.ndarray | None = None
    face: Face | None = None  # the main face, when the scale or the frame needs it


def convert_jobs(
    models: ModelSet, jobs: list[Job], settings: ConvertSettings, on_done: OnDone, files: Files | None = None
) -> None:
    """Paint every job's photo and write it; per-file problems go to on_done, never abort the batch."""
    pool = ThreadPoolExecutor(settings.io_workers, thread_name_prefix="portraitize-io")
    batch = _Batch(models, settings, on_done, files or LocalFiles(), pool)
    try:
        for job in jobs:
            batch.start(job)
        batch.finish()
    except BaseException:
        # Ctrl-C: drop queued work; writes already running finish (each one is atomic) before we leave.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _read(item: _Item, files: Files, settings: ConvertSettings, models: ModelSet) -> Outcome | None:
    """Decode and orient the photo, find its main face if needed, and make the model's input; the Outcome when
    the file cannot be used."""
    try:
        with files.open(item.job.source) as handle:
            item.photo = load_photo(handle, settings.max_pixels)
        if models.faces is not None and settings.paint.wants_faces:
            item.face = models.faces.main_face(item.photo.rgb)
        item.model_rgb = model_input(item.photo, settings.paint, item.face)
        if settings.paint.strength >= 1 and not needs_tiles(item.photo, settings.paint):
            item.photo.rgb = None  # nothing will blend with it: only the model-sized copy stays in flight
    except ImageError as error:
        return Outcome(str(error))
    except Exception as error:  # the per-file guard: whatever a library raises fails this file only
        return Outcome(f"cannot be read ({type(error).__name__}: {first_line(error)})")
    return None


def _write(item: _Item, painted: np.ndarray, files: Files, settings: ConvertSettings, models: ModelSet) -> Outcome:
    """Bring the painting to the photo's size, encode it with what the photo carries and store it atomically."""
    target = item.job.target
    try:
        image_format = FORMAT_BY_EXTENSION[item.job.format_extension]
        data, notes = render(
            item.photo,
            painted,
            settings.paint,
            image_format,
            settings.quality,
            models.upscaler,
            item.face,
            models.texture,
        )
        files.write(target, data)
    except ImageError as error:
        return Outcome(str(error))
    except OSError as error:
        return Outcome(f"cannot write {target} ({first_line(error)})")
    except Exception as error:  # the per-file guard: an encoder's surprise fails this file only
        return Outcome(f"cannot be encoded ({type(error).__name__}: {first_line(error)})")
    return Outcome(None, (*item.photo.notes, *notes))


class _Batch:
    """One run's work in flight: photos being read, waiting for a model call, being written.

    Only the main thread touches this; the pool runs `_read` and `_write`.
    """

    def __init__(self, models: ModelSet, settings: ConvertSettings, on_done: OnDone, files: Files, pool):
        self.models, self.settings, self.on_done, self.files, self.pool = models, settings, on_done, files, pool
        self.reading: deque[tuple[_Item, Future]] = deque()
        self.writing: deque[tuple[_Item, Future]] = deque()
        self.batcher = _Batcher(settings.batch_size)
        self.pixels = 0  # of every photo started and not done
        self.window = settings.batch_size * 2 + settings.io_workers  # photos read ahead, and writes pending

    def start(self, job: Job) -> None:
        item = _Item(job, self._pixels(job))
        while self.pixels and self.pixels + item.pixels > self.settings.pixels_in_flight:
            self._advance()
        while len(self.reading) >= self.window:
            self._receive()
        self.pixels += item.pixels
        self.reading.append((item, self.pool.submit(_read, item, self.files, self.settings, self.models)))
        while self.writing and self.writing[0][1].done():
            self._finish_write()

    def finish(self) -> None:
        while self.reading:
            self._receive()
        for group in self.batcher.flush():
            self._paint(group)
        while self.writing:
            self._finish_write()

    def _pixels(self, job: Job) -> int:
        """The photo's size from its header; a file refused before decoding (unreadable, a bomb) costs none."""
        try:
            with self.files.open(job.source) as handle:
                pixels = pixel_count(handle)
        except Exception:  # reading will fail too, and say why
            return 0
        return pixels if pixels <= self.settings.max_pixels else 0

    def _advance(self) -> None:
        """Move the oldest work one step, towards freeing pixels: a write, else a read, else a model call."""
        if self.writing:
            self._finish_write()
        elif self.reading:
            self._receive()
        else:
            self._paint(self.batcher.release_fullest())

    def _receive(self) -> None:
        item, future = self.reading.popleft()
        failure = future.result()
        if failure is not None:
            self._done(item, failure)
        elif needs_tiles(item.photo, self.settings.paint):
            self._paint([item])
        else:
            for group in self.batcher.add(item):
                self._paint(group)

    def _paint(self, group: list[_Item]) -> None:
        photos, inputs = [item.photo for item in group], [item.model_rgb for item in group]
        painted = paint_photos(self.models.translator, photos, inputs, self.settings.paint, self.settings.batch_size)
        for item, result in zip(group, painted):
            if isinstance(result, str):
                self._done(item, Outcome(result))
            else:
                self.writing.append(
                    (item, self.pool.submit(_write, item, result, self.files, self.settings, self.models))
                )
        while len(self.writing) > self.window:
            self._finish_write()

    def _finish_write(self) -> None:
        item, future = self.writing.popleft()
        self._done(item, future.result())

    def _done(self, item: _Item, outcome: Outcome) -> None:
        self.pixels -= item.pixels
        item.photo = item.model_rgb = None
        self.on_done(item.job, outcome)


class _Batcher:
    """Groups decoded photos by model input size; a group is released when full or when too many wait."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.waiting: dict[tuple[int, ...], list[_Item]] = {}

    def add(self, item: _Item) -> list[list[_Item]]:
        group = self.waiting.setdefault(item.model_rgb.shape, [])
        group.append(item)
        if len(group) >= self.batch_size:
            return [self.waiting.pop(item.model_rgb.shape)]
        if sum(len(waiting) for waiting in self.waiting.values()) >= 2 * self.batch_size:
            # Many sizes, few repeats: release the fullest group rather than hold photos in memory.
            return [self.release_fullest()]
        return []

    def release_fullest(self) -> list[_Item]:
        return self.waiting.pop(max(self.waiting, key=lambda shape: len(self.waiting[shape])))

    def flush(self) -> list[list[_Item]]:
        groups = list(self.waiting.values())
        self.waiting.clear()
        return groups
