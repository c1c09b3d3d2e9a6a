"""The process's malloc arenas (arenas.py): the threads that paint a phone photo share two, not one each."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Threads that each hold memory at once, then the arenas glibc made for them, from malloc_info's report.
ARENAS_OF_THREADS = """
import ctypes, sys, tempfile, threading
from portraitize.arenas import limit_arenas
if sys.argv[1] == "limited":
    limit_arenas()
libc = ctypes.CDLL(None)
libc.malloc.restype = libc.fopen.restype = ctypes.c_void_p
held, ready = [], threading.Barrier(7)
def hold():
    held.append(libc.malloc(4 << 20))
    ready.wait()
threads = [threading.Thread(target=hold) for _ in range(6)]
for thread in threads:
    thread.start()
ready.wait()
with tempfile.NamedTemporaryFile(suffix=".xml") as report:
    handle = ctypes.c_void_p(libc.fopen(report.name.encode(), b"w"))
    libc.malloc_info(0, handle)
    libc.fclose(handle)
    print(open(report.name).read().count("<heap nr="))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_threads_share_two_malloc_arenas_once_limited():
    def arenas(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", ARENAS_OF_THREADS, mode], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return int(run.stdout)

    assert arenas("limited") <= 2 < arenas("as is"), "six threads holding memory got an arena each, unless limited"
