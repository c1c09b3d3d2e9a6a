"""`portraitize models`: the installed models, one block each, read from their metadata."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..catalogue import MODELS_ENV, list_models, search_dirs
from . import print_catalogue_warnings


def show_models(console: Console, messages: Console) -> None:
    """The listing on `console`; warnings on `messages`."""
    print_catalogue_warnings(messages)
    entries = list_models()
    if not entries:
        folders = ", ".join(str(folder) for folder in search_dirs())
        console.print(f"no models installed (looked in {escape(folders)}; add folders with ${MODELS_ENV})")
        return
    # One block per model rather than one wide table: the summaries are sentences, and a table column
    # squeezed into an 80-column terminal folds them into a word per line.
    for entry in entries:
        size = f"{entry.size_bytes / 1e6:.1f} MB" if entry.size_bytes else "no file"
        if entry.info is None:
            console.print(f"[bold]{escape(entry.name)}[/]  [red]invalid[/] ({size}): {escape(entry.problem)}\n")
            continue
        info = entry.info
        shape = {
            "sampler": f"latent {info.latent_size} -> {info.native_size}x{info.native_size}",
            "upscaler": f"x{info.factor} (used by convert --upscaler)",
            "face_detector": "finds faces for convert's --scale auto and --frame portrait",
            "texture": "brush texture for enlarged paintings (used by convert --texture)",
            "person_mask": f"where the person is ({info.native_size}x{info.native_size} input)",
            "face_landmarks": f"points of the face ({info.native_size}x{info.native_size} face crops)",
        }.get(info.kind, f"long side {info.native_size} (multiple of {info.size_multiple})")
        if info.kind == "translator" and info.face_size:
            shape += f", faces painted at {info.face_size} px"
        if info.kind == "sampler":  # what `sample` does by default (sampling.face_checked_by_default)
            shape += ", a latent check and the face check by default" if info.latent_check else ", no latent check"
        console.print(f"[bold]{escape(entry.name)}[/]  {info.kind} ({escape(info.family)}), {shape}, {size}")
        details = Table.grid(padding=(0, 1))
        details.add_column(style="dim", no_wrap=True)
        details.add_column(overflow="fold")
        for label, text in (
            ("about", info.description),
            ("trained", info.training_summary),
            ("quality", info.quality),
            ("data", info.data_licence),
        ):
            if text:
                details.add_row(f"  {label}", escape(text))
        console.print(details, "")
