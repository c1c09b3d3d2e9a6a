"""`portraitize sample`: paint seeded portraits with a sampler, write PNGs and optionally a contact sheet."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..catalogue import resolve
from ..engine import load_engine
from ..progress import image_progress
from ..grid import contact_sheet
from ..sampling import grid_path, paint_samples, sample_path, save_png


@dataclasses.dataclass(frozen=True)
class SampleRequest:
    count: int
    out: Path
    model: str | None
    seed: int
    truncation: float | None
    grid: bool
    device: str
    batch_size: int
    threads: int
    overwrite: bool


def run_sample(request: SampleRequest, console: Console) -> int:
    if request.out.exists() and not request.out.is_dir():
        from ..plan import PlanError

        raise PlanError(f"--out {request.out} exists and is not a folder")
    engine = load_engine(resolve(request.model, "sampler"), request.device, request.threads, kind="sampler")
    name = engine.info.name
    console.print(f"model [bold]{escape(name)}[/] ({escape(str(engine.path))}) on [bold]{engine.device_name}[/]")
    with image_progress(console) as progress:
        task = progress.add_task("painting", total=request.count)
        images = paint_samples(
            engine, request.count, request.seed, request.truncation, request.batch_size,
            on_batch=lambda done: progress.advance(task, done),
        )  # fmt: skip
    written = kept = 0
    for index, image in enumerate(images):
        path = sample_path(request.out, name, request.seed, index)
        if path.exists() and not request.overwrite:
            kept += 1
            continue
        save_png(path, image)
        written += 1
    summary = f"[green]{written} written[/] to {escape(str(request.out))}"
    if kept:
        summary += f", {kept} already there kept (--overwrite replaces them)"
    if request.grid:
        sheet = grid_path(request.out, name, request.seed, request.count)
        if sheet.exists() and not request.overwrite:
            summary += f"; contact sheet {escape(str(sheet))} already there, kept"
        else:
            save_png(sheet, contact_sheet(images))
            summary += f"; contact sheet {escape(str(sheet))}"
    console.print(summary)
    return 0
