"""`portraitize sample`: paint seeded portraits with a sampler, write PNGs and optionally a contact sheet."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..catalogue import resolve
from ..grid import contact_sheet
from ..plan import PlanError
from ..progress import image_progress
from ..sampling import FACE_CHECK, bundled_face_score, grid_path, paint_samples, sample_path, save_png, variant_name
from ..session import load_model
from ..text import first_line
from . import EXIT_FAILED_FILES, print_catalogue_warnings


@dataclasses.dataclass(frozen=True)
class SampleRequest:
    count: int
    out: Path
    model: str | None
    seed: int
    truncation: float | None
    face_check: bool
    grid: bool
    device: str
    batch_size: int
    threads: int
    overwrite: bool


def run_sample(request: SampleRequest, console: Console) -> int:
    if request.out.exists() and not request.out.is_dir():
        raise PlanError(f"--out {request.out} exists and is not a folder")
    print_catalogue_warnings(console)
    model = load_model(resolve(request.model, "sampler"), request.device, request.threads, kind="sampler")
    name = model.info.name
    console.print(f"model [bold]{escape(name)}[/] ({escape(str(model.path))}) on [bold]{model.device_name}[/]")
    face_score = bundled_face_score(model, request.threads) if request.face_check else None
    with image_progress(console) as progress:
        task = progress.add_task("painting", total=request.count)
        samples = paint_samples(
            model,
            request.count,
            request.seed,
            request.truncation,
            request.batch_size,
            on_batch=lambda done: progress.advance(task, done),
            face_score=face_score,
        )
    variant = variant_name(request.seed, request.truncation, request.face_check)
    written = kept = 0
    path = request.out
    try:
        for index, image in enumerate(samples.images):
            path = sample_path(request.out, name, variant, index)
            if path.exists() and not request.overwrite:
                kept += 1
                continue
            save_png(path, image)
            written += 1
        path = grid_path(request.out, name, variant, request.count)
        sheet = _write_sheet(path, request.overwrite, samples.images) if request.grid else None
    except OSError as error:
        # A full or read-only disk fails every later file the same way: stop at the first.
        reason = escape(error.strerror or first_line(error))
        console.print(f"[green]{written} written[/], then [red]x[/] {escape(str(path))}: cannot write ({reason})")
        return EXIT_FAILED_FILES
    if request.face_check:
        console.print(_face_check_note(samples.turned_down, samples.kept_anyway))
    summary = f"[green]{written} written[/] to {escape(str(request.out))}"
    if kept:
        summary += f", {kept} already there kept (--overwrite replaces them)"
    if sheet:
        summary += f"; contact sheet {escape(sheet)}"
    console.print(summary)
    return 0


def _face_check_note(turned_down: int, kept_anyway: int) -> str:
    note = f"face check: {turned_down} portrait(s) without a clear face (probability < {FACE_CHECK}) turned down"
    if kept_anyway:
        note += (
            f"; [yellow]{kept_anyway} of them kept all the same[/]: too few of the latents tried passed "
            "(this sampler rarely paints a face the detector is sure of)"
        )
    return note


def _write_sheet(path: Path, overwrite: bool, images) -> str:
    """Write the contact sheet unless it is there and kept; what the summary says of it."""
    if path.exists() and not overwrite:
        return f"{path} already there, kept"
    save_png(path, contact_sheet(images))
    return str(path)
