"""The outputs a run is painting now, claimed in its destination: another run leaves them be.

Two runs painting the same names into one folder at once (the same command started twice, two camera cards'
IMG_0001.jpg) each reported every photo painted while the later writes won. Each run now claims the outputs it will
write in `DST/.portraitize-claim-PID-XXXXXXXX.json`, locked (flock) by it until it ends, and an output that another
run still holding its claim has claimed is not painted by this one (that photo fails, naming the other run). The
claims looked at are those of every folder an output of this run lies under (DST, the folders above it, its
sub-folders that receive outputs), so a run into `out/sub` and one into `out` see each other. Runs into one folder
take their claims one at a time, under a lock on that folder, so the later of two runs starting together sees the
earlier's claim and the earlier paints: never both giving way, nor both painting. A claim is written and locked
under a temp name (files.py's, which no run removes while its writer holds it) and renamed, so no run sees it
unlocked while its run lives; one found unlocked is a killed run's, and is removed.

Claims guard; they never stop a run. Where they cannot be made (no locks: Windows, some network disks; a full disk;
a folder that can be written but not listed) the run paints as it did before claims, and its writes say what fails.
The local engine's runs only: a Ray run's workers may write on other machines' disks.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import time
from pathlib import Path, PurePath

from .files import FILE_MODE, locked_temp_file
from .plan import path_key

try:
    import fcntl
except ImportError:  # not POSIX: no claims
    fcntl = None

CLAIM_PREFIX = ".portraitize-claim-"
LARGEST_CLAIM = 64 << 20  # bytes: a claim of a million outputs; anything larger is not a run's
# The longest a run waits for the lock on its destination folder (held by another run for the few milliseconds it
# takes its claims; anything holding it longer is not a run, and is not waited on).
FOLDER_WAIT = 10.0


class RunClaims:
    """This run's claim on its outputs in one destination folder (on this disk)."""

    def __init__(self, destination: Path):
        self.destination = Path(destination)
        self._handle: int | None = None
        self._path: Path | None = None

    def claim(self, targets: list[PurePath]) -> dict[PurePath, int]:
        """Claim `targets` (outputs under the destination) for this run; a killed run's claims met on the way are
        removed. Returns the targets that another run still running claimed first, each with its process id."""
        if fcntl is None or not self.destination.is_dir():
            return {}
        try:
            folder = os.open(self.destination, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return {}  # a drop box: it can be written, not read
        try:
            _lock_folder(folder)
            taken = _claimed(self.destination, targets)
            mine = [target for target in targets if target not in taken]
            if mine:
                with contextlib.suppress(OSError):  # a full disk: the paintings' writes say so
                    self._write(mine)
            return taken
        finally:
            os.close(folder)

    def _write(self, targets: list[PurePath]) -> None:
        handle, temp = locked_temp_file(self.destination)
        path = self.destination / f"{CLAIM_PREFIX}{os.getpid()}-{secrets.token_hex(4)}.json"
        try:
            names = sorted(path_key(PurePath(target).relative_to(self.destination)) for target in targets)
            data = json.dumps({"pid": os.getpid(), "outputs": names}).encode()
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


def _lock_folder(folder: int) -> None:
    """The destination's lock, for taking claims; not taken where the file system has no locks or something that
    is not a run holds it past FOLDER_WAIT (two runs claiming at that moment might then both give way)."""
    deadline = time.monotonic() + FOLDER_WAIT
    while True:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        except OSError:
            return


def _claimed(destination: Path, targets: list[PurePath]) -> dict[PurePath, int]:
    """The targets that live claims name, in every folder a target lies under: claims name outputs relative to
    their own folder, compared as plan.py compares names (without case, Unicode normalised)."""
    root = destination.resolve()
    placed = {path_key(root / PurePath(target).relative_to(destination)): target for target in targets}
    folders = {root, *root.parents}
    folders |= {root / folder for target in targets for folder in PurePath(target).relative_to(destination).parents}
    taken = {}
    for folder in sorted(folders):
        with contextlib.suppress(OSError):  # a folder above that cannot be listed holds no claim of ours to see
            for path in sorted(folder.glob(f"{CLAIM_PREFIX}*.json")):
                claim = _live_claim(path)
                if claim is not None:
                    pid, names = claim
                    keys = (path_key(folder / name) for name in names)
                    taken.update((placed[key], pid) for key in keys if key in placed)
    return taken


def _live_claim(path: Path) -> tuple[int, list[str]] | None:
    """(pid, output names) of a claim whose run is still running; None for a killed run's (removed), anything else
    of that name (a folder, a pipe: left as it is) or one that cannot be read as a run's."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None  # removed meanwhile (its run ended), or not ours to read
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
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
        if info.st_size > LARGEST_CLAIM:
            return None
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError, RecursionError):
            claim = json.loads(os.read(handle, info.st_size or 1))
            if isinstance(claim["pid"], int) and isinstance(claim["outputs"], list):
                return claim["pid"], [name for name in claim["outputs"] if isinstance(name, str)]
        return None
    finally:
        os.close(handle)
