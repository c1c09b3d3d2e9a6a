"""Fewer malloc arenas for the process (glibc): memory freed in one thread's arena stays there for that arena.

glibc gives each thread that allocates at once its own arena, up to eight per core, and keeps what is freed in an
arena for it to reuse. A phone photo is painted band by band on threads (bands.py), each allocating planes of tens
of MB below glibc's mmap threshold (which rises as large blocks are freed), so each arena came to hold its own
share of freed pixels: a folder of four 12 MP photos peaked at 1,565 MB where one photo alone peaks at about 1,200
(bench/phone_folder.py). With two arenas it peaked at 1,365 MB in the same time (21.4 s against 21.8 s; a fixed
1 MB mmap threshold gave 1,310 MB but took 35 s).
"""

from __future__ import annotations

import ctypes
import os
import sys

ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_arenas() -> None:
    """At most ARENAS malloc arenas from now on, where the C library is glibc (elsewhere nothing changes) and the
    user has not set a limit of their own (MALLOC_ARENA_MAX, or arena_max in GLIBC_TUNABLES). Called before the
    libraries that start threads (numpy's BLAS, onnxruntime) load: arenas made before stay."""
    chosen = "MALLOC_ARENA_MAX" in os.environ or "arena_max" in os.environ.get("GLIBC_TUNABLES", "")
    if not sys.platform.startswith("linux") or chosen:
        return
    try:
        libc = ctypes.CDLL(None)  # the process's own C library
    except OSError:
        return
    if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt"):  # glibc (musl has one arena anyway)
        libc.mallopt(M_ARENA_MAX, ARENAS)
