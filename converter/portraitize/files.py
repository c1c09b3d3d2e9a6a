"""The one way portraitize writes a local file: whole or not at all, with the mode a new file normally gets.

Outputs, checkpoints and exported models all go through `write_atomically`; a killed process leaves at most a
hidden temp file, which `remove_stale_temp_files` clears on the next run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".portraitize-"
TEMP_SUFFIX = ".part"


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# The mode open() would give a new file. mkstemp makes its temp file private (0600); the finished file must
# not stay so. Read once at import: the umask is process-wide, so probing it later could race with threads.
FILE_MODE = _file_mode()


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call write(file) on a temp file next to `path`, then rename it to `path`; never leave the temp."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp_file:
            write(temp_file)
        os.chmod(temp_name, FILE_MODE)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def remove_stale_temp_files(folder: Path) -> int:
    """Delete temp files a killed run (SIGKILL, power loss) left behind; returns how many."""
    removed = 0
    if folder.is_dir():
        for stale in folder.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            stale.unlink(missing_ok=True)
            removed += 1
    return removed
