"""Executes a plan's jobs: the one per-file conversion step, with the local engine's overlap of work.

A job goes read -> orient -> paint -> encode -> write, and every step is inside the per-file guard: a file
can fail, with its one-line reason, but never end the batch. The Ray engine runs this same function in each
of its workers (with `Files` on its file systems), so both engines follow the same rules.

How a photo is painted is the paint chain's (chain.py); this module schedules its stages. Decoding and encoding
run in a thread pool (Pillow and numpy release the GIL) while the main thread feeds the translator, so disk,
CPU codecs and inference overlap. The chain's heavy finishing stage (upscaler, brush texture, stroke painter)
runs on a worker of its own on the CPU, one photo at a time: concurrent passes would add up their workspaces (four
12 MP photos: 2.1 GB peak, against 1.2 GB for one) and share the same cores. But with `stroke_workers` the
stroke painter, which holds the GIL, runs in that many processes (stroke_workers.py, which bounds their paintings
in pixels), with as many finishing threads, each waiting on a worker: several photos are finished at once, the
painter's Python no longer waiting on itself, as long as their pixels fit FINISHING_PIXELS (small photos side by
side, a phone photo alone). Photos of one size share a model call. Memory is
bounded by pixels, not by count: a photo counts from the moment its decoding starts until its output is
written, and the next photo starts only while the total stays within `pixels_in_flight` (a photo larger
than that is converted alone).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePath
from typing import BinaryIO, Protocol

import numpy as np

from .bands import use_threads
from .chain import PaintChain, Sitting, written_size
from .files import write_atomically
from .images import (
    DEFAULT_MAX_PIXELS,
    FORMAT_BY_EXTENSION,
    ImageError,
    header_size,
    load_photo,
)
from .interrupts import presses_ignored
from .model_set import ModelSet
from .painter import Strokes, paint_strokes
from .painter_settings import PAINTER_VERSION
from .pixel_budget import PixelBudget
from .plan import Job, LocalStorage
from .source_marks import SourceMark, Stamp, read_marked
from .stroke_workers import PAINTING_PIXELS, start_workers
from .text import first_line
from .translate import PaintError, PaintSettings, needs_tiles

# A photo in flight costs up to ~9 bytes a pixel at its peak (Pillow's decoded image and its numpy copy, or
# the restored painting while it is encoded; measured: 12 MP JPEGs, 0.41 GB for 48 MP in flight; one 81 MP
# PNG alone, 0.77 GB), so 48 MP in flight stay under ~0.5 GB beyond the model's own memory.
PIXELS_IN_FLIGHT = 48_000_000
# Photos being finished at once (upscaled, painted in strokes), by their pixels, as the stroke workers' paintings
# (stroke_workers.PAINTING_PIXELS): where several finishing threads run (small photos, a worker each), a large
# photo among them finishes alone rather than adding its upscaler's and painter's workspaces to another's.
FINISHING_PIXELS = PAINTING_PIXELS


@dataclasses.dataclass(frozen=True)
class ConvertSettings:
    paint: PaintSettings
    batch_size: int = 4
    quality: int = 95
    max_pixels: int = DEFAULT_MAX_PIXELS
    io_workers: int = min(4, os.cpu_count() or 1)
    pixels_in_flight: int = PIXELS_IN_FLIGHT
    stroke_list: bool = False  # write each painting's strokes beside it (stroke_list_path)
    stroke_workers: int = 0  # processes the stroke painter runs in (0, 1: none, it paints in this process)
    threads: int = 0  # --threads: what a photo painted in this process may use for its pixel work (0: every core)
    overwrite: bool = False  # --overwrite: outputs there are painted again, and their old stroke lists go
    # Files already there that this run may replace (its own outputs painted again, an empty file); any other output
    # is published without replacing a file that appeared after the plan. None: any (the Ray engine's workers).
    replaceable: frozenset[PurePath] | None = None


def stroke_list_path(target: PurePath) -> PurePath:
    """Where `--stroke-list` writes a painting's strokes: beside it, its name + .strokes.json."""
    return target.with_name(target.name + ".strokes.json")


def stroke_list(layers: list[Strokes], size: tuple[int, int]) -> bytes:
    """The strokes as JSON: the canvas (width, height in pixels) and the painter's version, then the layers
    broadest first, each stroke's centre, direction at its centre (degrees, y down), length and width in the
    canvas's pixels, bend (degrees its direction turns from head to tail, positive towards +y at direction 0)
    and its colour. A centre may lie just outside the canvas: a stroke at the edge is centred on what it covers."""
    canvas = {"width": size[0], "height": size[1], "painter": PAINTER_VERSION}
    return json.dumps({"canvas": canvas, "layers": [layer.as_records() for layer in layers]}).encode()


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
# Called for each file written (a painting, with the mark of the photo it was painted from; its stroke list, with
# None), by the thread that wrote it, as soon as the file has its name: a record made when the main thread collected
# the write came seconds later, and a kill -9 left outputs without one.
OnWritten = Callable[[PurePath, SourceMark | None], None]


class Files(Protocol):
    """Where inputs are read and outputs written."""

    def open(self, path: PurePath) -> BinaryIO:
        """An input opened for reading (seekable); ImageError with the reason when it cannot be."""

    def stamp(self, path: PurePath) -> Stamp | None:
        """An input's stamp (plan.Storage.stamp)."""

    def write(self, path: PurePath, data: bytes, replace: bool = True) -> None:
        """Store an output whole or not at all; `replace=False`: FileExistsError where a file is there by then (on
        disks; an object store replaces)."""

    def remove(self, path: PurePath) -> None:
        """Delete a file of ours that would now mislead (nothing where there is none); OSError when it cannot."""


class LocalFiles:
    def __init__(self) -> None:
        self.storage = LocalStorage()

    def open(self, path: PurePath) -> BinaryIO:
        return self.storage.open(path)

    def stamp(self, path: PurePath) -> Stamp | None:
        return self.storage.stamp(path)

    def write(self, path: PurePath, data: bytes, replace: bool = True) -> None:
        write_atomically(Path(path), lambda handle: handle.write(data), replace)

    def remove(self, path: PurePath) -> None:
        Path(path).unlink(missing_ok=True)


@dataclasses.dataclass
class _Item:
    """A job in flight and what it holds."""

    job: Job
    pixels: int
    sitting: Sitting | None = None
    mark: SourceMark | None = None  # the photo's, as it was read


def convert_jobs(
    models: ModelSet,
    jobs: list[Job],
    settings: ConvertSettings,
    on_done: OnDone,
    files: Files | None = None,
    on_note: Callable[[str], None] = lambda note: None,
    on_written: OnWritten = lambda path, mark: None,
) -> None:
    """Paint every job's photo and write it; per-file problems go to on_done, never abort the batch; `on_note`
    hears of what concerns the whole run (stroke workers that cannot start), `on_written` of each file written."""
    pool = ThreadPoolExecutor(settings.io_workers, thread_name_prefix="portraitize-io")
    on_cpu = models.translator.device_name != "CUDA"
    workers = start_workers(settings.stroke_workers, on_note) if settings.stroke_workers > 1 else None
    if workers is None:  # none planned, or they cannot start: the photos paint here, one at a time, each band by
        use_threads(settings.threads)  # band on every core the run allows
    finishing = workers.workers if workers else 1 if on_cpu else settings.io_workers
    finisher = ThreadPoolExecutor(finishing, thread_name_prefix="portraitize-finish")
    chain = PaintChain(models, settings.paint, settings.batch_size, workers.paint if workers else paint_strokes)
    batch = _Batch(chain, settings, on_done, on_written, files or LocalFiles(), pool, finisher)
    try:
        for job in jobs:
            batch.start(job)
        batch.finish()
    except BaseException:
        # Ctrl-C: drop queued work and the paintings in the stroke workers; writes already running finish (each
        # one is atomic) before we leave. More presses meanwhile wait too: one that broke off this wait left a
        # model call running while Python shut down, which aborted the process (exit 134, a hostile run).
        with presses_ignored():
            if workers:
                workers.stop()
            batch.finishing.stop()
            finisher.shutdown(wait=True, cancel_futures=True)
            pool.shutdown(wait=True, cancel_futures=True)
            if workers:
                workers.close()
        raise
    if workers:  # batch.finish waited for every painting
        workers.close()
    finisher.shutdown(wait=True)
    pool.shutdown(wait=True)


def _read(item: _Item, files: Files, settings: ConvertSettings, chain: PaintChain) -> Outcome | None:
    """Decode and orient the photo and prepare it for the translator (chain.prepare); the Outcome when the file
    cannot be used."""
    try:
        data, item.mark = read_marked(files, item.job.source, settings.max_pixels)
        photo = load_photo(data, settings.max_pixels)
        item.sitting = chain.prepare(photo)
        width, height = written_size(item.sitting.photo.size, settings.paint.size)
        if width * height > settings.max_pixels:  # only --size makes a painting larger than its photo
            raise ImageError(
                f"painted {settings.paint.size} px long it would be {width}x{height}, {width * height:,} pixels, above "
                f"the --max-pixels limit of {settings.max_pixels:,} (lower --size or raise --max-pixels)"
            )
    except ImageError as error:
        return Outcome(str(error))
    except Exception as error:  # the per-file guard: whatever a library raises fails this file only
        return Outcome(f"cannot be read ({type(error).__name__}: {first_line(error)})")
    return None


def _finish(item: _Item, painted: np.ndarray, chain: PaintChain, budget: PixelBudget):
    """The chain's finishing stage, once `budget` has room for the photo's pixels; the painting, or the Outcome of a
    failure."""
    try:
        with budget.room_for(item.pixels):
            return chain.finish(item.sitting, painted)
    except PaintError as error:  # a stroke worker's, which says what happened
        return Outcome(str(error))
    except Exception as error:  # the per-file guard
        return Outcome(f"cannot be finished ({type(error).__name__}: {first_line(error)})")


def _write(
    item: _Item, finished, files: Files, on_written: OnWritten, settings: ConvertSettings, chain: PaintChain
) -> Outcome:
    """Encode the finished painting with what the photo carries and store it atomically."""
    if isinstance(finished, Outcome):
        return finished
    target = item.job.target
    try:
        image_format = FORMAT_BY_EXTENSION[item.job.format_extension]
        data, notes = chain.encode(item.sitting, finished.image, image_format, settings.quality)
        listed = settings.stroke_list and finished.strokes
        if listed:
            files.write(
                stroke_list_path(target),
                stroke_list(finished.strokes, finished.image.size),
                _may(settings, stroke_list_path(target)),
            )
            on_written(stroke_list_path(target), None)
        files.write(target, data, _may(settings, target))
        on_written(target, item.mark)
        if settings.overwrite and not listed:  # repainted without strokes listed: an old list describes another
            notes = [*notes, *_removed(files, stroke_list_path(target))]
    except ImageError as error:
        return Outcome(str(error))
    except OSError as error:
        return Outcome(f"cannot write {target} ({first_line(error)})")
    except Exception as error:  # the per-file guard: an encoder's surprise fails this file only
        return Outcome(f"cannot be encoded ({type(error).__name__}: {first_line(error)})")
    return Outcome(None, (*item.sitting.photo.notes, *notes))


def _may(settings: ConvertSettings, path: PurePath) -> bool:
    """Whether writing `path` may replace a file there."""
    return settings.overwrite or settings.replaceable is None or path in settings.replaceable


def _removed(files: Files, path: PurePath) -> list[str]:
    """Remove a file of ours that would now mislead; a note, not a failure, when it cannot be (the painting is
    saved; a store may let this role write but not delete)."""
    try:
        files.remove(path)
    except OSError as error:
        return [f"its old stroke list {path.name} could not be removed ({first_line(error)})"]
    return []


class _Batch:
    """One run's work in flight: photos being read, waiting for a model call, being written.

    Only the main thread touches this; the pool runs `_read` and `_write`, the finisher `_finish`.
    """

    def __init__(
        self,
        chain: PaintChain,
        settings: ConvertSettings,
        on_done: OnDone,
        on_written: OnWritten,
        files: Files,
        pool,
        finisher,
    ):
        self.chain, self.settings, self.files = chain, settings, files
        self.on_done, self.on_written = on_done, on_written
        self.pool, self.finisher = pool, finisher
        # Finishing photos side by side adds up their workspaces (the upscaler's, the painting's): at most
        # FINISHING_PIXELS of photos at once, so small photos finish side by side and large ones one at a time.
        self.finishing = PixelBudget(FINISHING_PIXELS, "interrupted before it was finished")
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
        self.reading.append((item, self.pool.submit(_read, item, self.files, self.settings, self.chain)))
        while self.writing and _written(self.writing[0][1]):
            self._finish_write()

    def finish(self) -> None:
        while self.reading:
            self._receive()
        for group in self.batcher.flush():
            self._paint(group)
        while self.writing:
            self._finish_write()

    def _pixels(self, job: Job) -> int:
        """The photo's size from its header, or its painting's where --size makes that larger (at most a square of
        that side); a file refused before decoding (unreadable, a bomb) costs none."""
        try:
            with self.files.open(job.source) as handle:
                width, height = header_size(handle)
        except Exception:  # reading will fail too, and say why
            return 0
        pixels = width * height
        return max(pixels, self.settings.paint.size**2) if 0 < pixels <= self.settings.max_pixels else 0

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
        elif needs_tiles(item.sitting.photo, self.settings.paint):
            self._paint([item])
        else:
            for group in self.batcher.add(item):
                self._paint(group)

    def _paint(self, group: list[_Item]) -> None:
        painted = self.chain.translate([item.sitting for item in group])
        for item, result in zip(group, painted):
            if isinstance(result, str):
                self._done(item, Outcome(result))
            else:
                self.writing.append((item, self.finisher.submit(self._finish_then_write, item, result)))
        while len(self.writing) > self.window:
            self._finish_write()

    def _finish_then_write(self, item: _Item, painted: np.ndarray) -> Future:
        """On the finisher: finish the painting, then hand encoding and writing to the pool."""
        finished = _finish(item, painted, self.chain, self.finishing)
        return self.pool.submit(_write, item, finished, self.files, self.on_written, self.settings, self.chain)

    def _finish_write(self) -> None:
        item, future = self.writing.popleft()
        self._done(item, future.result().result())

    def _done(self, item: _Item, outcome: Outcome) -> None:
        self.pixels -= item.pixels
        item.sitting = None
        self.on_done(item.job, outcome)


def _written(finishing: Future) -> bool:
    """Whether a job's finishing, and then its write, are over."""
    return finishing.done() and (finishing.exception() is not None or finishing.result().done())


class _Batcher:
    """Groups decoded photos by model input size; a group is released when full or when too many wait."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.waiting: dict[tuple[int, ...], list[_Item]] = {}

    def add(self, item: _Item) -> list[list[_Item]]:
        group = self.waiting.setdefault(item.sitting.model_rgb.shape, [])
        group.append(item)
        if len(group) >= self.batch_size:
            return [self.waiting.pop(item.sitting.model_rgb.shape)]
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
