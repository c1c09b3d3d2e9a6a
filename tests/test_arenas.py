"""The process's malloc arenas (arenas.py): the threads that paint a phone photo share two, not one each."""

from __future__ import annotations

import os
import platform
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


def _arenas(mode: str, **settings: str) -> int:
    env = {name: value for name, value in os.environ.items() if name not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    run = subprocess.run(
        [sys.executable, "-c", ARENAS_OF_THREADS, mode], capture_output=True, text=True, env={**env, **settings}
    )
    assert run.returncode == 0, run.stderr
    return int(run.stdout)


GLIBC = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's arenas")


@GLIBC
def test_threads_share_two_malloc_arenas_once_limited():
    assert _arenas("limited") <= 2 < _arenas("as is"), "six threads holding memory got an arena each, unless limited"


@GLIBC
def test_a_users_own_arena_limit_is_kept():
    assert _arenas("limited", MALLOC_ARENA_MAX="8") > 2
    assert _arenas("limited", GLIBC_TUNABLES="glibc.malloc.arena_max=8") > 2
