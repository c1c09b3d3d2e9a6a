"""The outputs a run is painting now, claimed in its destination: another run leaves them be.

Two runs painting the same names into one folder at once (the same command started twice, two camera cards'
IMG_0001.jpg) each reported every photo painted while the later writes won. Each run now claims the outputs it will
write in `DST/.portraitize-claim-PID-XXXXXXXX.json`, locked (flock) by it until it ends, and an output that another
run still holding its claim has claimed is not painted by this one (that photo fails, naming the other run). The
claims looked at are those of every folder an output of this run lies under (DST, the folders above it, its
sub-folders that receive outputs), so a run into `out/sub` and one into `out` see each other. Runs take their claims
one at a time, under a lock on `/` (every run of this machine) and one on the destination folder (every machine's run
into it, on a shared disk), so the later of two runs starting together sees the earlier's claim and the earlier
paints: never both giving way, nor both painting. A claim is written and locked
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
from collections.abc import Callable
from pathlib import Path, PurePath

from .files import FILE_MODE, locked_temp_file
from .plan import path_key

try:
    import fcntl
except ImportError:  # not POSIX: no claims
    fcntl = None

CLAIM_PREFIX = ".portraitize-claim-"
LARGEST_CLAIM = 64 << 20  # bytes: a claim of a million outputs; anything larger is not a run's
# A run holds its locks for the few milliseconds it takes its claims: anything holding one this long is not a run.
# The lock on `/` is then not waited for (the destination's still orders runs into one folder); the destination's
# is, said once (two runs giving up on it at the same moment would both paint).
FOLDER_WAIT = 10.0
MACHINE = Path("/")


class RunClaims:
    """This run's claim on its outputs in one destination folder (on this disk)."""

    def __init__(self, destination: Path):
        self.destination = Path(destination)
        self._held: list[tuple[int, Path]] = []  # each claim's locked handle and path

    def claim(self, targets: list[PurePath], on_wait: Callable[[], None] = lambda: None) -> dict[PurePath, int]:
        """Claim `targets` (outputs under the destination) for this run; a killed run's claims met on the way are
        removed. Returns the targets that another run still running claimed first, each with its process id.
        `on_wait`: called once where the destination's lock is held past FOLDER_WAIT."""
        if fcntl is None or not self.destination.is_dir():
            return {}
        folder = _open_folder(self.destination)
        machine = None if self.destination.resolve() == MACHINE else _open_folder(MACHINE)
        try:
            if folder is None:
                return {}  # a drop box: it can be written, not read
            if machine is not None:
                _lock_folder(machine, None)
            if not _lock_folder(folder, on_wait):
                return {}  # a file system without locks: no claim could be told from a killed run's
            taken = _claimed(self.destination, targets)
            mine = [target for target in targets if target not in taken]
            for place, claimed in _places(self.destination, mine).items():
                with contextlib.suppress(OSError):  # a full disk: the paintings' writes say so
                    self._write(place, claimed)
            return taken
        finally:
            for handle in (machine, folder):
                if handle is not None:
                    os.close(handle)

    def _write(self, place: Path, targets: list[PurePath]) -> None:
        handle, temp = locked_temp_file(place)
        path = place / f"{CLAIM_PREFIX}{os.getpid()}-{secrets.token_hex(4)}.json"
        try:
            names = sorted(path_key(PurePath(target).relative_to(place)) for target in targets)
            data = json.dumps({"pid": os.getpid(), "outputs": names}).encode()
            while data:
                data = data[os.write(handle, data) :]
            os.fchmod(handle, FILE_MODE)  # other users' runs into a shared folder read it too
            os.replace(temp, path)
        except BaseException:
            os.close(handle)
            Path(temp).unlink(missing_ok=True)
            raise
        self._held.append((handle, path))

    def release(self) -> None:
        for handle, path in self._held:
            path.unlink(missing_ok=True)  # while still locked: no run takes it for a killed run's meanwhile
            os.close(handle)
        self._held = []


def _places(destination: Path, targets: list[PurePath]) -> dict[Path, list[PurePath]]:
    """Where `targets` are claimed: all of them in the destination, and those in a sub-folder that leads out of it
    (a link, a bind mount) in that sub-folder as well, where a run into the folder it leads to looks."""
    places: dict[Path, list[PurePath]] = {destination: list(targets)} if targets else {}
    root = destination.resolve()
    for folder in {Path(target).parent for target in targets} - {destination}:
        real = folder.resolve()
        if root not in real.parents and real.is_dir():
            places[folder] = [target for target in targets if Path(target).parent == folder]
    return places


def _open_folder(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None


def _lock_folder(folder: int, on_wait: Callable[[], None] | None) -> bool:
    """Hold `folder`'s lock: waited for past FOLDER_WAIT only with `on_wait`, which is then called once. False
    where the file system has no locks, or the wait was given up."""
    deadline = time.monotonic() + FOLDER_WAIT
    while True:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if deadline is not None and time.monotonic() > deadline:
                if on_wait is None:
                    return False
                on_wait()
                deadline = None
            time.sleep(0.01)
        except OSError:
            return False


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
            pid = claim["pid"]
            if isinstance(pid, int) and not isinstance(pid, bool) and isinstance(claim["outputs"], list):
                return pid, [name for name in claim["outputs"] if isinstance(name, str)]
        return None
    finally:
        os.close(handle)
