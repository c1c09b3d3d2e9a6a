"""`portraitize models`: a table of the installed models, read from their metadata."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..catalogue import MODELS_ENV, list_models, search_dirs


def show_models(console: Console) -> None:
    entries = list_models()
    if not entries:
        folders = ", ".join(str(folder) for folder in search_dirs())
        console.print(f"no models installed (looked in {escape(folders)}; add folders with ${MODELS_ENV})")
        return
    table = Table(title="installed models", show_lines=True)
    for column in ("name", "kind", "input size", "file size", "training summary"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        size = f"{entry.size_bytes / 1e6:.1f} MB"
        if entry.info is None:
            table.add_row(escape(entry.name), "[red]invalid[/]", "", size, escape(entry.problem))
            continue
        info = entry.info
        if info.kind == "sampler":
            shape = f"latent {info.latent_size} -> {info.native_size}x{info.native_size}"
        else:
            shape = f"long side {info.native_size} (multiple of {info.size_multiple})"
        summary = "\n".join(part for part in (info.description, info.training_summary, info.quality) if part)
        table.add_row(escape(entry.name), f"{info.kind} ({info.family})", shape, size, escape(summary))
    Console().print(table)
