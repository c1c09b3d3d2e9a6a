"""What tells a photo from another of the same name: its mark, taken where it is read to be painted.

A mark is the photo's print (every byte, hashed: a retouched uncompressed scan keeps its size and both its ends) and
its stamp (size, modification time and, on a POSIX disk, change time: an edit that keeps the size and puts the
modification time back, as `exiftool -P` does when it turns a photo's orientation tag, still changes the change time,
which no program can set). The output records keep each output's mark, so that a rerun takes an output for done only
if it was painted from the photo now at its name; a rerun reads a photo's print again only where its stamp changed
but its size did not (a folder copied elsewhere keeps its times but not its change times: each photo is read once,
and its record takes the new stamp).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import PurePath
from typing import BinaryIO, Protocol

from .images import ImageError, read_error

# A file's size, modification time and change time (ns; None where the file system keeps none; no change time on
# object stores or on Windows, where st_ctime is the creation time).
Stamp = tuple[int | None, ...]
SourceMark = tuple[str, Stamp | None]  # a photo's print and stamp
PRINT_BLOCK = 1 << 20  # bytes hashed at a time: a print never holds a large scan in memory twice
METADATA_ROOM = 256 << 20  # bytes a photo may carry beyond its pixels (EXIF, colour profile, thumbnails)


class Readable(Protocol):
    def open(self, path: PurePath) -> BinaryIO: ...

    def stamp(self, path: PurePath) -> Stamp | None: ...


def local_stamp(info: os.stat_result) -> Stamp:
    """The stamp of a file on this disk, from its status."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns if os.name == "posix" else None)


def source_print(handle: BinaryIO) -> str:
    """The photo's bytes, hashed."""
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(PRINT_BLOCK), b""):
        digest.update(block)
    return digest.hexdigest()[:16]


def read_marked(files: Readable, path: PurePath, max_pixels: int) -> tuple[bytes, SourceMark]:
    """The photo's bytes, read whole and once (it is decoded from them, so its print is of the very bytes painted),
    and its mark; ImageError with the reason where it cannot be read. Never more than the largest file a photo
    within `max_pixels` could be: a local file larger than that is refused by its size, unread, and so is a local
    photo swapped after the plan for a device (endless zeros); a stream of unknown size is read up to the bound."""
    stamp = files.stamp(path)  # before reading: a photo changed after it has another stamp, and is read anew later
    largest = _largest_file(max_pixels)
    try:
        with files.open(path) as handle:
            info = _fstat(handle)
            if info is None:  # an object store's stream
                data = _read_up_to(handle, largest)
            elif not stat.S_ISREG(info.st_mode):
                raise ImageError("not a regular file (a pipe, a device or a socket)")
            elif info.st_size > largest:
                raise ImageError(_too_large(info.st_size))
            else:
                data = handle.read(info.st_size + 1)
                if len(data) > info.st_size:
                    raise ImageError("it grew while it was read (still being written?)")
                stamp = local_stamp(info)  # the file read
    except OSError as error:
        raise ImageError(read_error(error)) from None
    return data, (source_print(io.BytesIO(data)), stamp)


def _read_up_to(handle: BinaryIO, largest: int) -> bytes:
    """All of a stream of unknown size, in blocks (a read of `largest` at once would reserve all of it first)."""
    data = io.BytesIO()
    for block in iter(lambda: handle.read(PRINT_BLOCK), b""):
        if data.tell() + len(block) > largest:
            raise ImageError(_too_large(data.tell() + len(block)))
        data.write(block)
    return data.getvalue()


def _too_large(size: int) -> str:
    return f"{size:,} bytes or more: larger than a photo within the --max-pixels limit could be (raise it if it is one)"


def _largest_file(max_pixels: int) -> int:
    """The most bytes a photo of `max_pixels` may take: uncompressed 16-bit RGBA twice over (a second page, a
    layer, a motion photo's video), and room for its metadata."""
    return 16 * max_pixels + METADATA_ROOM


def _fstat(handle: BinaryIO) -> os.stat_result | None:
    """An open file's status; None where it has no descriptor (an object store's stream)."""
    try:
        return os.fstat(handle.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both an OSError and a ValueError
        return None
