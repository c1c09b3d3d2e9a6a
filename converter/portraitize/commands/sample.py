"""`portraitize sample`: paint seeded portraits with a sampler, write PNGs and optionally a contact sheet.

Each portrait is written (atomically) as soon as it is painted, so an interrupted run keeps every finished
portrait and memory holds one model call's portraits whatever --count. Each PNG records, in a text chunk, the
models that painted it and its latent: a rerun paints only the portraits missing, steps over
those there without painting them again (also with the face check), and refuses, naming what differs, where some
were painted by another model of the same name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape

from ..catalogue import resolve
from ..face_check import PASSES
from ..files import make_folder, remove_stale_temp_files
from ..grid import sheet_of
from ..latents import Latents
from ..plan import PlanError, check_destination
from ..portrait_writer import PortraitWriter, WriteFailed
from ..progress import image_progress
from ..records import differences, model_identity
from ..sampling import (
    StreamCount,
    bundled_face_landmarks,
    bundled_face_scores,
    face_check_runs,
    face_checked_by_default,
    grid_path,
    sample_path,
    save_png,
    stream_samples,
    variant_name,
)
from ..session import load_model
from ..text import counted, first_line
from . import EXIT_FAILED_FILES, print_catalogue_warnings

RECORD_KEY = "portraitize"  # the PNG text chunk that records what painted a sample
LATENT_NUMBERS = 2**31  # a record's latent number beyond these was not written by us
NAMED_CONFLICTS = 3


@dataclasses.dataclass(frozen=True)
class SampleRequest:
    count: int
    out: str
    model: str | None
    seed: int
    truncation: float | None
    face_check: bool | None  # None: as the sampler's default (sampling.face_checked_by_default)
    every_latent: bool  # also the latents the sampler's latent check steps over
    size: int | None  # paint each portrait again at this many px (sample_painting.py); None: as the sampler paints
    grid: bool
    device: str
    batch_size: int
    threads: int
    overwrite: bool


def run_sample(request: SampleRequest, console: Console) -> int:
    out = Path(request.out)
    check_destination(request.out, out, role="--out")
    if out.exists() and not out.is_dir():
        raise PlanError(f"--out {request.out} exists and is not a folder")
    print_catalogue_warnings(console)
    model_file = resolve(request.model, "sampler")
    model = load_model(model_file, request.device, request.threads, kind="sampler")
    name = model.info.name
    console.print(f"model [bold]{escape(name)}[/] ({escape(str(model.path))}) on [bold]{model.device_name}[/]")
    if request.size is not None and request.size < model.info.native_size:
        raise PlanError(f"--size {request.size} is smaller than the {model.info.native_size} px {name} paints")
    face_check = face_check_runs(model.info, request.face_check)
    face_scores = bundled_face_scores(request.threads) if face_check else None
    latents = Latents(model.info, request.seed, request.truncation, request.every_latent)
    painter = None
    if request.size is not None:
        from ..sample_painting import SamplePainter
        from ..stroke_workers import worker_count

        workers = min(worker_count(request.threads), request.count)
        painter = SamplePainter(
            model,
            request.size,
            request.device,
            request.threads,
            workers,
            lambda note: console.print(f"[yellow]![/] {escape(note)}"),
        )
    made_by = {
        "model": model_identity(model_file, name),
        "latent_check": latents.checked or None,  # None as in records older than latent checks: they had none
        "face_check": model_identity(bundled_face_landmarks()) if face_check else None,
        "truncation": request.truncation,  # None as in older records; names keep only 12 digits of it
        "painted": painter.identity() if painter else None,
    }
    # names say what departs from the sampler's defaults, and only where it changes the pixels
    unchecked = request.every_latent and bool(model.info.latent_check)
    departs = None if face_check == face_checked_by_default(model.info) else face_check
    variant = variant_name(request.seed, request.truncation, request.size, unchecked, departs)

    def path_of(index: int) -> Path:
        return sample_path(out, name, variant, index)

    try:
        make_folder(out)
    except OSError as error:
        raise PlanError(f"--out {request.out} cannot be made ({error.strerror or first_line(error)})") from None
    sheet_path = grid_path(out, name, variant, request.count) if request.grid else None
    if sheet_path and sheet_path.is_dir():  # found before painting, not after it
        raise PlanError(f"--grid: {sheet_path} is a folder, so the contact sheet cannot be written there")
    done, kept_anyway, unrecorded = (
        ({}, set(), 0) if request.overwrite else _already_there(path_of, request.count, made_by)
    )
    removed = remove_stale_temp_files(out)
    if removed:
        console.print(f"removed {counted(removed, 'partial file')} left by a killed run")
    counts = StreamCount()
    written = failed = 0
    path = out

    def on_written(_: Path) -> None:
        nonlocal written
        written += 1
        progress.advance(task)

    try:
        with (
            image_progress(console) as progress,
            painter or contextlib.nullcontext(),
            PortraitWriter(on_written) as writer,
        ):
            task = progress.add_task("painting", total=request.count - len(done))
            portraits = stream_samples(
                model, request.count, latents, request.batch_size, face_scores, done, counts, kept_anyway
            )
            pairs = painter.painted(portraits) if painter else ((portrait, portrait.image) for portrait in portraits)
            for portrait, image in pairs:
                if isinstance(image, str):  # not painted: a stroke worker's death, said in its own words
                    console.print(f"[red]x[/] {escape(str(path_of(portrait.index)))}: {escape(image)}")
                    failed += 1
                    progress.advance(task)
                    continue
                record = {**made_by, "latent": portrait.latent, "face_score": portrait.score}
                if portrait.kept_anyway:
                    record["kept_anyway"] = True
                writer.write(path_of(portrait.index), image, {RECORD_KEY: json.dumps(record)})
            writer.finish()
        sheet = None
        if sheet_path:
            path = sheet_path
            samples = (path_of(index) for index in range(request.count))
            sheet = _write_sheet(path, request.overwrite, samples, request.count, model.info.native_size)
    except (OSError, WriteFailed) as failure:
        # A full or read-only disk fails every later file the same way: stop at the first.
        if isinstance(failure, WriteFailed):
            path, failure = failure.path, failure.error
        reason = escape(failure.strerror or first_line(failure))
        console.print(f"[green]{written} written[/], then [red]x[/] {escape(str(path))}: cannot write ({reason})")
        return EXIT_FAILED_FILES
    if face_check and written:
        console.print(_face_check_note(counts.turned_down, counts.kept_anyway))
    summary = f"[green]{written} written[/] to {escape(str(request.out))}"
    if done:
        summary += f", {len(done)} already there kept (--overwrite replaces them)"
    if failed:
        summary += f", [red]{failed} failed[/]"
    if sheet:
        summary += f"; contact sheet {escape(sheet)}"
    console.print(summary)
    if unrecorded:
        console.print(
            f"[yellow]![/] {unrecorded} of the files there have no record of the model that painted them (an older "
            "portraitize's, or not a portrait of ours): kept as they are; --overwrite replaces them"
        )
    return EXIT_FAILED_FILES if failed else 0


def _already_there(path_of, count: int, made_by: dict[str, object]) -> tuple[dict[int, int | None], set[int], int]:
    """Portraits there -> the latent each was painted from as one that passed the face check (None: not
    recorded, or kept although it did not pass); the latents of those kept although they did not pass; and how
    many lack a record. PlanError where some were painted by other models. An empty file (a write that never
    finished) is not a portrait, nor is one of ours whose pixels cannot be read (damaged): both are painted again."""
    done: dict[int, int | None] = {}
    kept_anyway: set[int] = set()
    unrecorded, conflicts = 0, []
    for index in range(count):
        path = path_of(index)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if path.is_dir():
            raise PlanError(f"{path} is a folder, where sample {index} goes: move it away or choose another --out")
        if not size:
            continue
        record = _record(path)
        latent = _recorded_latent(record)
        if latent is None:  # not a readable PNG, or not our record: kept, as a portrait without a record
            done[index] = None
            unrecorded += 1
            continue
        old = {key: record.get(key) for key in made_by}
        if old != made_by:
            conflicts.append((path, old))
            continue
        if not _readable(path):  # ours, damaged: painted again
            continue
        if record.get("kept_anyway"):
            done[index] = None
            kept_anyway.add(latent)
        else:
            done[index] = latent
    kept_anyway |= _kept_anyway_beyond(path_of, count, made_by)
    if conflicts:
        names = ", ".join(path.name for path, _ in conflicts[:NAMED_CONFLICTS])
        more = f" and {len(conflicts) - NAMED_CONFLICTS} more" if len(conflicts) > NAMED_CONFLICTS else ""
        raise PlanError(
            f"{names}{more} in {path_of(0).parent} were painted with other models or settings ({differences(conflicts[0][1], made_by)}); "
            "--overwrite repaints them, or choose another --out"
        )
    return done, kept_anyway, unrecorded


def _kept_anyway_beyond(path_of, count: int, made_by: dict[str, object]) -> set[int]:
    """The latents of portraits kept anyway numbered `count` or more (a larger --count painted them before): a fill
    must not paint them again as another portrait."""
    first = path_of(0)
    prefix = first.name[: -len("0000.png")]
    latents = set()
    for path in first.parent.glob(f"{glob.escape(prefix)}*.png"):
        number = path.name[len(prefix) : -len(".png")]
        if not number.isdigit() or int(number) < count:
            continue
        record = _record(path)
        latent = _recorded_latent(record)
        if latent is not None and record.get("kept_anyway") and {key: record.get(key) for key in made_by} == made_by:
            latents.add(latent)
    return latents


def _record(path: Path) -> dict:
    """What a sample file records of what painted it; empty where it is not a readable PNG with our record."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            record = json.loads(image.info.get(RECORD_KEY, "null")) or {}
    except Exception:  # not a readable PNG, or its record is not JSON
        return {}
    return record if isinstance(record, dict) else {}


def _recorded_latent(record: dict) -> int | None:
    """The latent number a record names, where it is one we could have written."""
    latent = record.get("latent")
    if isinstance(latent, int) and not isinstance(latent, bool) and 0 <= latent < LATENT_NUMBERS:
        return latent
    return None


def _readable(path: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
    except Exception:  # cut short, or damaged
        return False
    return True


def _face_check_note(turned_down: int, kept_anyway: int) -> str:
    if not turned_down:
        return "face check: every portrait's face passed"
    note = (
        f"face check: {counted(turned_down, 'portrait')} with a doubtful face (face-mesh score under {PASSES:g}) "
        "repainted from the next latents (counted up to the last portrait written, in this run and earlier ones "
        "into this folder)"
    )
    if kept_anyway:
        note += (
            f"; [yellow]{kept_anyway} of them kept all the same[/]: too few of the latents tried passed "
            "(this sampler rarely paints a face the face mesh is sure of)"
        )
    return note


def _write_sheet(path: Path, overwrite: bool, samples, count: int, side: int) -> str:
    """Write the contact sheet of the sample files unless it is there and kept; what the summary says of it. Read
    back one at a time: memory holds the sheet, not every portrait as well."""
    from PIL import Image

    if path.exists() and not overwrite:
        return f"{path} already there, kept"

    def images():
        for sample in samples:
            try:
                with Image.open(sample) as image:
                    yield np.asarray(image.convert("RGB").resize((side, side)))
            except (OSError, ValueError) as error:  # a file there that is no portrait of ours, or a damaged one
                raise OSError(f"{sample.name} cannot be read for it: {first_line(error)}") from None

    save_png(path, sheet_of(images(), count, side, side))
    return str(path)
