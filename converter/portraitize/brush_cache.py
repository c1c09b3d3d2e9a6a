"""The ladder's brush planes, kept on disk from one run to the next.

A brush of the painter's ladder (brush.py) is the same in every run: its radius is a rung and its seed follows from
it, so the planes made for each of its stroke shapes (alpha, relief and pick-up of the first quarter's angles) are
the same bytes each time. Making them is most of what a process's first painting costs over later ones: a 512 px
photo's first painting spent 0.25 to 0.3 CPU-s of its 1.0 on them (measured by hand), and each stroke worker
paid that again. Kept here, compressed (about 0.6 MB a brush; the ladder has at most 44 brushes, so a folder stays
under about 30 MB), a later run reads them in a few milliseconds.

Where: $PORTRAITIZE_CACHE, else $XDG_CACHE_HOME/portraitize, else ~/.cache/portraitize; `off` keeps nothing. The
planes sit in a folder named by a hash of everything that shapes them (brush.py's own bytes, numpy's version and
the CPU features its float code was picked by, the machine's architecture), so a changed brush, or another machine
sharing the folder, never reads planes that it would not have made itself; the first such folder made drops the
others beside it. A file that is not whole or not of the expected shape is made again and written anew; where
there is no folder to be had (no home, a folder that cannot be written) the planes are made as before, every run.
Each file is written whole under a temporary name and then renamed, so processes painting side by side (stroke
workers, Ray tasks on a node) at worst make the same planes twice and never read half a file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import re
import shutil
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
OURS = re.compile(r"brushes-[0-9a-f]{16}")  # the folders this module names, and no others
LEVEL = 1  # zlib's fastest: a brush's planes shrink about sixfold at it, and are read back in milliseconds


@functools.cache
def _folder(root: str) -> Path:
    from . import brush

    shaped_by = b"|".join(
        [Path(brush.__file__).read_bytes(), np.__version__.encode(), platform.machine().encode(), _cpu_features()]
    )
    return Path(root) / f"brushes-{hashlib.sha256(shaped_by).hexdigest()[:16]}"


def _cpu_features() -> bytes:
    """The SIMD features numpy picked its float code by: another CPU may round a plane's last bit apart."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # a numpy that hides them: the architecture alone
        return b""
    return ",".join(sorted(name for name, on in __cpu_features__.items() if on)).encode()


def folder() -> Path | None:
    """Where the planes are kept, or None where the user turned the cache off or there is nowhere to keep them (no
    home folder to be found, brush.py not a file to hash)."""
    try:
        root = os.environ.get(CACHE_ENV) or str(
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "portraitize"
        )
        return None if root == OFF else _folder(root)
    except (OSError, RuntimeError):  # RuntimeError: Path.home() with no HOME and no passwd entry
        return None


def load(name: str, half: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """The planes kept under `name` (alpha, relief, pick-up, each [count, side, side] uint8 with side 2 * half + 1,
    and the half side), or None where none are kept or the file is not whole or not of that shape."""
    where = folder()
    if where is None:
        return None
    side = 2 * half + 1
    try:
        data = (where / name).read_bytes()
        header = HEADER.unpack_from(data)
        planes = np.frombuffer(zlib.decompress(data[HEADER.size :]), np.uint8)
    except (OSError, struct.error, zlib.error):
        return None
    if header != (MAGIC, half, count, side) or planes.size != KINDS * count * side * side:
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
        if not where.is_dir():
            try:
                where.mkdir(parents=True)
            except FileExistsError:  # another thread or process made it meanwhile: keep this file all the same
                pass
            else:
                _drop_others(where)
        handle = tempfile.NamedTemporaryFile(dir=where, prefix=f".{name}.", delete=False)
    except OSError:
        return
    try:
        with handle:
            handle.write(data)
        os.replace(handle.name, where / name)
    except OSError:  # a full disk: the part written goes
        Path(handle.name).unlink(missing_ok=True)


def _drop_others(where: Path) -> None:
    """The folders an earlier brush (or numpy) kept beside this one: never read again, about 30 MB each."""
    for other in where.parent.glob("brushes-*"):
        if other != where and other.is_dir() and OURS.fullmatch(other.name):
            shutil.rmtree(other, ignore_errors=True)
