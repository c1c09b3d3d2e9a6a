"""`portraitize convert`: plan, load the model once, paint with a progress bar, print a summary."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..catalogue import resolve
from ..engine import load_engine
from ..images import remove_stale_temp_files
from ..pipeline import ConvertSettings, Report, convert_jobs
from ..plan import make_plan
from ..progress import image_progress
from ..translate import PaintSettings

EXIT_FAILED_FILES = 1
FAILURES_SHOWN = 50  # beyond this the summary counts failures instead of listing them all


@dataclasses.dataclass(frozen=True)
class ConvertRequest:
    src: Path
    dst: Path
    model: str | None
    device: str
    batch_size: int
    threads: int
    max_size: int | None
    full_res: bool
    keep_model_size: bool
    output_format: str | None
    quality: int
    overwrite: bool
    strength: float
    max_pixels: int


def run_convert(request: ConvertRequest, console: Console) -> int:
    plan = make_plan(request.src, request.dst, request.output_format, request.overwrite)
    engine = load_engine(resolve(request.model, "translator"), request.device, request.threads, kind="translator")
    paint = PaintSettings(
        max_size=request.max_size or engine.info.native_size,
        full_res=request.full_res,
        keep_model_size=request.keep_model_size,
        strength=request.strength,
    )
    settings = ConvertSettings(
        paint=paint, batch_size=request.batch_size, quality=request.quality, max_pixels=request.max_pixels
    )
    console.print(
        f"model [bold]{escape(engine.info.name)}[/] ({escape(str(engine.path))}) on [bold]{engine.device_name}[/], "
        f"long side {paint.max_size} px{' (full resolution in tiles)' if paint.full_res else ''}"
    )
    if plan.existing:
        console.print(f"skipping {len(plan.existing)} photos already converted in {request.dst} (--overwrite redoes them)")
    removed = remove_stale_temp_files(request.dst)
    if removed:
        console.print(f"removed {removed} partial files left by a killed run")

    report = Report(skipped=plan.existing)
    with image_progress(console) as progress:
        task = progress.add_task("painting", total=len(plan.todo))

        def on_done(job, error):
            report.record(job, error)
            progress.advance(task)

        convert_jobs(engine, plan.todo, settings, on_done)
    _print_summary(console, report, len(plan.ignored))
    return EXIT_FAILED_FILES if report.failed else 0


def _print_summary(console: Console, report: Report, ignored: int) -> None:
    parts = [f"[green]{len(report.converted)} converted[/]", f"{len(report.skipped)} skipped (already there)"]
    parts.append(f"[red]{len(report.failed)} failed[/]" if report.failed else "0 failed")
    if ignored:
        parts.append(f"{ignored} non-image files ignored")
    console.print(", ".join(parts))
    for source, reason in report.failed[:FAILURES_SHOWN]:
        console.print(f"  [red]x[/] {escape(str(source))}: {escape(reason)}")
    if len(report.failed) > FAILURES_SHOWN:
        console.print(f"  ... and {len(report.failed) - FAILURES_SHOWN} more")
