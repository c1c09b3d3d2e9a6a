"""One benchmarked process, as a user sees it: its wall time and the memory it and its children hold."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

TREE_EVERY = 0.1  # s between reads of the memory a process and its children hold together
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def whole_process(command: list[str], log: Path, cwd: Path | None = None, timeout: float | None = None) -> dict:
    """Run one process to its end (or stop it, and its children, after `timeout` s): wall seconds, peak resident
    memory in MB, exit code, whether it timed out. The peak is the larger of the process's own (os.wait4, exact)
    and the most that it and its children (convert's stroke workers) held together, read every TREE_EVERY s (a
    shorter peak of a child can be missed; pages children share are counted in each). Its output goes to `log`
    (Im2Oil's progress bars would fill a pipe)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        timed_out, tree_peak, tree_read = False, 0, start
        while True:
            if time.perf_counter() - tree_read >= TREE_EVERY:
                tree_peak, tree_read = max(tree_peak, tree_resident(process.pid)), time.perf_counter()
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - start > timeout:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
    return {
        "seconds": seconds,
        "peak_mb": max(usage.ru_maxrss * 1024, tree_peak) / 2**20,
        "returncode": process.returncode,
        "timed_out": timed_out,
    }


def tree_resident(pid: int) -> int:
    """Bytes resident in process `pid` and all its descendants now (Linux /proc; 0 where there is none)."""
    total, todo = 0, [pid]
    while todo:
        process = todo.pop()
        total += _resident_pages(process) * PAGE
        try:
            tasks = list(Path(f"/proc/{process}/task").iterdir())
        except OSError:  # gone meanwhile, or not Linux
            continue
        for task in tasks:  # a thread that ends meanwhile takes only its own children out of the count
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
    return total


def _resident_pages(pid: int) -> int:
    """Pages resident in process `pid` now; 0 where it is gone (or not Linux)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
