"""One module per CLI verb: what the verb does, with its output for the user."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

EXIT_FAILED_FILES = 1  # 2 (bad arguments, model or device) and 130 (interrupted) come from cli.py


def print_catalogue_warnings(console: Console) -> None:
    """Say when a folder the user named for models is not there: otherwise its models just seem to vanish."""
    from ..catalogue import MODELS_ENV, missing_folders

    for folder in missing_folders():
        console.print(f"[yellow]warning[/]: ${MODELS_ENV} names {escape(str(folder))}, which is not a folder")
