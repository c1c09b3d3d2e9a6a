"""What tells a photo from another of the same name: its mark, taken where it is read to be painted.

A mark is the photo's print (every byte, hashed: a retouched uncompressed scan keeps its size and both its ends) and
its stamp (size and modification time). The output records keep each output's mark, so that a rerun takes an output
for done only if it was painted from the photo now at its name; a rerun reads a photo's print again only where its
stamp changed but its size did not.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import PurePath
from typing import BinaryIO, Protocol

from .images import ImageError, header_size, load_photo, read_error

Stamp = tuple[int, int | None]  # a file's size and modification time (ns; None where the system keeps none)
SourceMark = tuple[str, Stamp | None]  # a photo's print and stamp
PRINT_BLOCK = 1 << 20  # bytes hashed at a time: a print never holds a large scan in memory twice
METADATA_ROOM = 64 << 20  # bytes a photo may carry beyond its pixels (EXIF, colour profile, thumbnails)


class Readable(Protocol):
    def open(self, path: PurePath) -> BinaryIO: ...

    def stamp(self, path: PurePath) -> Stamp | None: ...


def source_print(handle: BinaryIO) -> str:
    """The photo's bytes, hashed."""
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(PRINT_BLOCK), b""):
        digest.update(block)
    return digest.hexdigest()[:16]


def read_marked(files: Readable, path: PurePath, max_pixels: int) -> tuple[bytes, SourceMark]:
    """The photo's bytes, read whole and once (it is decoded from them, so its print is of the very bytes painted),
    and its mark; ImageError with the reason where it cannot be read, or is no image within `max_pixels`: found from
    its header before it is read whole, so a large file that is no photo (or a link to a device, swapped in after
    the plan) costs its header, not its size in memory."""
    stamp = files.stamp(path)  # before reading: a photo changed after it has another stamp, and is read anew later
    try:
        with files.open(path) as handle:
            width, height = header_size(handle)
            handle.seek(0)
            if not 0 < width * height <= max_pixels:
                load_photo(handle, max_pixels)  # says why (not an image, too many pixels, empty)
                handle.seek(0)
            data = handle.read(_largest_file(max_pixels) + 1)
            if len(data) > _largest_file(max_pixels):
                raise ImageError(f"larger than any photo of the --max-pixels limit ({max_pixels:,} pixels) could be")
            stamp = _stamp_of(handle) or stamp  # the file read, where the system can say (a local file)
    except OSError as error:
        raise ImageError(read_error(error)) from None
    return data, (source_print(io.BytesIO(data)), stamp)


def _largest_file(max_pixels: int) -> int:
    """The most bytes a photo of `max_pixels` takes: uncompressed 16-bit RGBA, and room for its metadata."""
    return 8 * max_pixels + METADATA_ROOM


def _stamp_of(handle: BinaryIO) -> Stamp | None:
    """An open file's stamp, as plan.Storage.stamp gives it; None where it has no descriptor (an object store's
    stream)."""
    try:
        info = os.fstat(handle.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both an OSError and a ValueError
        return None
    return info.st_size, info.st_mtime_ns
