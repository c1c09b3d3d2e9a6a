"""The ladder's brush planes, kept on disk from one run to the next.

A brush of the painter's ladder (brush.py) is the same in every run: its radius is a rung and its seed follows from
it, so the planes made for each of its stroke shapes (alpha, relief and pick-up of the first quarter's angles) are
the same bytes each time. Making them is most of what a process's first painting costs over later ones: about a
tenth of a CPU-second for a brush of 8 px, a dozen brushes for one 512 px photo, so a single photo's `convert`
spent about half its CPU on them (measured by hand). Kept here, compressed (about 0.6 MB a brush; the ladder
has at most 44 brushes, so the folder stays under about 30 MB), a later run reads them in a few milliseconds.

Where: $PORTRAITIZE_CACHE, else $XDG_CACHE_HOME/portraitize, else ~/.cache/portraitize; `off` keeps nothing. The
planes sit in a folder named by a hash of everything that shapes them (brush.py's own bytes and numpy's version), so
a changed brush never reads an old brush's planes. A file that cannot be read is made again and written anew; a
folder that cannot be written is left alone (the planes are made as before, every run). Each file is written
whole under a temporary name and then renamed, so processes painting side by side (stroke workers, Ray tasks on a
node) at worst make the same planes twice and never read half a file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

CACHE_ENV = "PORTRAITIZE_CACHE"
OFF = "off"
HEADER = struct.Struct("<4sIII")  # magic, half side, planes per kind, side
MAGIC = b"PZB1"
KINDS = 3  # alpha, relief, pick-up
LEVEL = 1  # zlib's fastest: a brush's planes shrink about sixfold at it, and are read back in milliseconds


@functools.cache
def _folder(root: str) -> Path:
    from . import brush

    shaped_by = hashlib.sha256(Path(brush.__file__).read_bytes() + np.__version__.encode()).hexdigest()[:16]
    return Path(root) / f"brushes-{shaped_by}"


def folder() -> Path | None:
    """Where the planes are kept, or None where the user turned the cache off."""
    root = os.environ.get(CACHE_ENV) or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "portraitize"
    )
    return None if root == OFF else _folder(root)


def load(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """The planes kept under `name` (alpha, relief, pick-up, each [planes, side, side] uint8, and the half side),
    or None where none are kept or the file is not whole."""
    where = folder()
    if where is None:
        return None
    try:
        data = (where / name).read_bytes()
        magic, half, count, side = HEADER.unpack_from(data)
        planes = np.frombuffer(zlib.decompress(data[HEADER.size :]), np.uint8)
    except (OSError, struct.error, zlib.error):
        return None
    if magic != MAGIC or side != 2 * half + 1 or planes.size != KINDS * count * side * side:
        return None
    alpha, relief, pickup = planes.reshape(KINDS, count, side, side)
    return alpha, relief, pickup, half


def save(name: str, planes: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> None:
    """Keep `planes` under `name`; where the folder cannot be written, nothing happens."""
    where = folder()
    if where is None:
        return
    *kinds, half = planes
    count, side = kinds[0].shape[:2]
    data = HEADER.pack(MAGIC, half, count, side) + zlib.compress(np.stack(kinds).tobytes(), LEVEL)
    try:
        where.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=where, prefix=f".{name}.", delete=False)
    except OSError:
        return
    try:
        with handle:
            handle.write(data)
        os.replace(handle.name, where / name)
    except OSError:  # a full disk: the part written goes
        Path(handle.name).unlink(missing_ok=True)
