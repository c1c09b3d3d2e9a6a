"""The outputs a run is painting now, claimed in its destination: a second run into the same folder leaves them be.

Two runs painting the same names into one folder at once (the same command started twice, two camera cards'
IMG_0001.jpg) each reported every photo painted while the later writes won. Each run now claims the outputs it will
write in `DST/.portraitize-claim-PID@HOST-XXXXXXXX.json`, locked (flock) by it until it ends, and then reads the
claims of the runs still holding theirs: an output another run claims is not painted by this one (that photo fails,
naming the other run). A claim is written and locked under a temp name (files.py's, which no run removes while its
writer holds it) and renamed, so no run sees it unlocked while its own run lives; one found unlocked is a killed
run's, and is removed. Each run writes its claim before it reads the others', so of two runs starting together at
least one sees the other. Disks only (the Ray engine writes through a file system with no locks).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from pathlib import Path, PurePath, PurePosixPath

from .files import _HOST, TEMP_PREFIX, TEMP_SUFFIX, _alive, _lock, _temp_file

try:
    import fcntl
except ImportError:  # not POSIX: a claim's writer is told alive by its pid on this machine
    fcntl = None

CLAIM_PREFIX = ".portraitize-claim-"
_OWNER = re.compile(rf"^{re.escape(CLAIM_PREFIX)}(\d+)@([A-Za-z0-9._]+)-")


class RunClaims:
    """This run's claim on its outputs in one destination folder (on this disk)."""

    def __init__(self, destination: Path):
        self.destination = Path(destination)
        self._handle: int | None = None
        self._path: Path | None = None

    def claim(self, targets: list[PurePath]) -> dict[PurePath, int]:
        """Claim `targets` (outputs under the destination, which exists) for this run. Returns those that another
        run still running claims, each with that run's process id."""
        mine = {_relative(target, self.destination): target for target in targets}
        handle, temp = _temp_file(self.destination)
        try:
            _lock(handle)
            os.write(handle, json.dumps({"pid": os.getpid(), "outputs": sorted(mine)}).encode())
            writer = Path(temp).name.removeprefix(TEMP_PREFIX).removesuffix(TEMP_SUFFIX)
            path = self.destination / f"{CLAIM_PREFIX}{writer}.json"
            os.replace(temp, path)
        except BaseException:
            os.close(handle)
            Path(temp).unlink(missing_ok=True)
            raise
        self._handle, self._path = handle, path
        taken: dict[PurePath, int] = {}
        for other in sorted(self.destination.glob(f"{CLAIM_PREFIX}*.json")):
            if other != self._path:
                pid, outputs = _live_claim(other)
                taken.update((mine[name], pid) for name in outputs if name in mine)
        return taken

    def release(self) -> None:
        if self._handle is not None:
            self._path.unlink(missing_ok=True)  # while still locked: no run takes it for a killed run's meanwhile
            os.close(self._handle)
            self._handle = None


def _live_claim(path: Path) -> tuple[int, list[str]]:
    """(pid, outputs) of a claim whose run is still running; (0, []) for a killed run's (removed) or an unreadable
    one."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return 0, []  # removed meanwhile (its run ended), or not ours to read
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return 0, []  # not a claim: left as it is
        state = _state(handle, path)
        if state != "held":
            if state == "killed":
                path.unlink(missing_ok=True)
            return 0, []
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            claim = json.loads(os.read(handle, os.fstat(handle).st_size or 1))
            outputs = [name for name in claim["outputs"] if isinstance(name, str)]
            return int(claim["pid"]), outputs
        return 0, []
    finally:
        os.close(handle)


def _state(handle: int, path: Path) -> str:
    """ "held" by a run still running, "killed" (its run is gone), or "unknown" (another machine's, on a file
    system without locks: left alone, and not heeded)."""
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return "killed"
        except BlockingIOError:
            return "held"
        except OSError:
            pass  # a file system without locks: a claim of this machine's is told by its owner's pid
    owner = _OWNER.match(path.name)
    if owner is None or owner.group(2) != _HOST:
        return "unknown"
    return "held" if _alive(int(owner.group(1))) else "killed"


def _relative(target: PurePath, destination: PurePath) -> str:
    return PurePosixPath(*PurePath(target).relative_to(destination).parts).as_posix()
