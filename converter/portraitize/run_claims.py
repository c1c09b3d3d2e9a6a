"""The outputs a run is painting now, claimed in its destination: a second run into the same folder leaves them be.

Two runs painting the same names into one folder at once (the same command started twice, two camera cards'
IMG_0001.jpg) each reported every photo painted while the later writes won. Each run now claims the outputs it will
write in `DST/.portraitize-claim-PID-XXXXXXXX.json`, locked (flock) by it until it ends, and an output another run
still holding its claim has claimed is not painted by this one (that photo fails, naming the other run). Runs take
their claims one at a time, under a lock on the destination folder itself, so the later of two runs starting
together sees the earlier's claim and the earlier paints: never both giving way, nor both painting. A claim is
written and locked under a temp name (files.py's, which no run removes while its writer holds it) and renamed, so no
run sees it unlocked while its run lives; one found unlocked is a killed run's, and is removed.

Only where locks work (POSIX disks; on Windows, or a file system that refuses locks, there are no claims), and for
the local engine (a Ray run's workers may write on other machines' disks).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from pathlib import Path, PurePath

from .files import FILE_MODE, locked_temp_file
from .plan import path_key

try:
    import fcntl
except ImportError:  # not POSIX: no claims
    fcntl = None

CLAIM_PREFIX = ".portraitize-claim-"


class RunClaims:
    """This run's claim on its outputs in one destination folder (on this disk)."""

    def __init__(self, destination: Path):
        self.destination = Path(destination)
        self._handle: int | None = None
        self._path: Path | None = None

    def claim(self, targets: list[PurePath]) -> dict[PurePath, int]:
        """Claim `targets` (outputs under the destination, which exists) for this run. Returns those that another
        run still running claimed first, each with that run's process id."""
        if fcntl is None:
            return {}
        mine = {_name(target, self.destination): target for target in targets}
        folder = os.open(self.destination, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            try:
                fcntl.flock(folder, fcntl.LOCK_EX)  # held for a moment: one run at a time takes its claims
            except OSError:
                return {}  # a file system without locks: no claim could be told from a killed run's
            taken = {}
            for other in sorted(self.destination.glob(f"{CLAIM_PREFIX}*.json")):
                claim = _live_claim(other)
                if claim is not None:
                    pid, outputs = claim
                    taken.update((mine[name], pid) for name in outputs if name in mine)
            self._write({name for name, target in mine.items() if target not in taken})
            return taken
        finally:
            os.close(folder)

    def _write(self, names: set[str]) -> None:
        handle, temp = locked_temp_file(self.destination)
        path = self.destination / f"{CLAIM_PREFIX}{os.getpid()}-{secrets.token_hex(4)}.json"
        try:
            data = json.dumps({"pid": os.getpid(), "outputs": sorted(names)}).encode()
            while data:
                data = data[os.write(handle, data) :]
            os.fchmod(handle, FILE_MODE)  # other users' runs into a shared folder read it too
            os.replace(temp, path)
        except BaseException:
            os.close(handle)
            Path(temp).unlink(missing_ok=True)
            raise
        self._handle, self._path = handle, path

    def release(self) -> None:
        if self._handle is not None:
            self._path.unlink(missing_ok=True)  # while still locked: no run takes it for a killed run's meanwhile
            os.close(self._handle)
            self._handle = None


def _live_claim(path: Path) -> tuple[int, list[str]] | None:
    """(pid, output names) of a claim whose run is still running; None for a killed run's (removed), anything else
    of that name (a folder, a pipe: left as it is) or one that cannot be read."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None  # removed meanwhile (its run ended), or not ours to read
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # its run holds it
        except OSError:
            return None
        else:
            with contextlib.suppress(OSError):  # another user's, in a folder only its owner may remove from
                path.unlink()
            return None
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            claim = json.loads(os.read(handle, os.fstat(handle).st_size or 1))
            return int(claim["pid"]), [name for name in claim["outputs"] if isinstance(name, str)]
        return None
    finally:
        os.close(handle)


def _name(target: PurePath, destination: PurePath) -> str:
    """An output as claims name it: relative to the destination, compared as plan.py compares names (without case,
    Unicode normalised: one file on some disks)."""
    return path_key(PurePath(target).relative_to(destination))
