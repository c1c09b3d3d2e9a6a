"""The one way portraitize writes a local file: whole or not at all, with the mode a new file normally gets.

Outputs, checkpoints and exported models all go through `write_atomically`; a killed process leaves at most a
hidden temp file, which `remove_stale_temp_files` clears on a later run. A temp file is named after the process
writing it (`.portraitize-PID@HOST-XXXXXXXX.part`) and locked (flock) by it until it is renamed: another run
into the same folder removes only temp files whose writer is gone (its lock is free, and it is a dead process
of this machine or the file is older than STALE_AFTER seconds), never those of a run that is writing.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # not POSIX: no locks, the writer's pid in the name still protects its temp files
    fcntl = None

TEMP_PREFIX = ".portraitize-"
TEMP_SUFFIX = ".part"
# A temp file whose lock is free but whose writer cannot be told dead (another machine on a shared disk, a name
# from an older portraitize) is left alone this long: its writer locks it within microseconds of creating it.
STALE_AFTER = 60.0
_HOST = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:64] or "host"
_WRITER = re.compile(rf"^{re.escape(TEMP_PREFIX)}(\d+)@([A-Za-z0-9._]+)-")


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# The mode open() would give a new file. mkstemp makes its temp file private (0600); the finished file must
# not stay so. Read once at import: the umask is process-wide, so probing it later could race with threads.
FILE_MODE = _file_mode()


def write_atomically(path: Path, write: Callable[[BinaryIO], object], replace: bool = True) -> None:
    """Call write(file) on a temp file next to `path`, then rename it to `path`; never leave the temp.

    The data reach the disk (fsync) before the rename, so a power cut leaves the old file or the new one, never
    an empty one; the temp file stays locked until it has its final name. `replace=False`: FileExistsError where a
    file is at `path` by then (published as a hard link, which never replaces; on a disk without hard links, looked
    for first)."""
    make_folder(path.parent)
    handle, temp_name = locked_temp_file(path.parent)
    try:
        with os.fdopen(handle, "wb") as temp_file:
            write(temp_file)
            temp_file.flush()
            os.fsync(handle)
            os.chmod(temp_name, FILE_MODE)
            try:
                if replace or not _linked(temp_name, path):
                    os.replace(temp_name, path)  # still locked: a clean-up never sees it unlocked under its temp name
                else:
                    with contextlib.suppress(OSError):  # published: a temp name left is cleaned by a later run
                        os.unlink(temp_name)
            except FileExistsError:
                raise
            except OSError as error:  # said of the file the user asked for, not of our temp name (a name too long)
                raise OSError(error.errno, error.strerror, str(path)) from None
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


# What stands where a folder is needed, in words, by its kind (plan.OUTPUT_KINDS).
NOT_A_FOLDER = {
    "file": "a file",
    "empty": "a file",
    "other": "a pipe, a device or a socket",
    "nowhere": "a link to nowhere",
}


APPEARED = "a file appeared there after this run planned, another program's or run's: kept"


def _linked(temp_name: str, path: Path) -> bool:
    """Publish the temp file at `path` as a second name, never replacing a file there; False where the disk has no
    hard links and none is there yet (the caller renames)."""
    try:
        os.link(temp_name, path)
        return True
    except FileExistsError:
        raise FileExistsError(APPEARED) from None
    except OSError:
        if os.path.lexists(path):
            raise FileExistsError(APPEARED) from None
        return False


def make_folder(folder: Path) -> None:
    """`folder` and those above it, made where missing; a file where one of them goes is said as that (mkdir's
    own words are only "File exists")."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next(
            (above for above in (folder, *folder.parents) if os.path.lexists(above) and not above.is_dir()), None
        )
        if blocking is None:
            raise
        dangling = blocking.is_symlink() and not blocking.exists()
        what = NOT_A_FOLDER["nowhere" if dangling else "file" if blocking.is_file() else "other"]
        raise NotADirectoryError(f"{blocking} is {what}, where a folder is needed") from None


def check_writable(folder: Path) -> None:
    """OSError now if `folder` (made if missing) cannot take a new file: a read-only destination is found before
    any painting, not photo by photo. The probe is a temp file like write_atomically's, so a run killed in
    between leaves nothing the next run does not clean."""
    make_folder(folder)
    handle, temp_name = _temp_file(folder)
    os.close(handle)
    os.unlink(temp_name)


def _temp_file(folder: Path) -> tuple[int, str]:
    """A new temp file in `folder`, named as this process's (remove_stale_temp_files knows it by the name)."""
    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}@{_HOST}-", suffix=TEMP_SUFFIX, dir=folder)


def locked_temp_file(folder: Path) -> tuple[int, str]:
    """A new temp file in `folder`, locked by this process (closing it unlocks it): no run removes it meanwhile."""
    handle, name = _temp_file(folder)
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: the writer's pid in the name still protects it on this machine
            pass
    return handle, name


def remove_stale_temp_files(folder: Path) -> int:
    """Delete temp files that runs killed (SIGKILL, power loss) left behind; returns how many. Temp files of a
    run still writing (in this process, another one, or on another machine sharing the disk) are kept."""
    removed = 0
    if folder.is_dir():
        for temp in folder.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            if _remove_if_abandoned(temp):
                removed += 1
    return removed


def _remove_if_abandoned(temp: Path) -> bool:
    match = _WRITER.match(temp.name)
    pid = int(match.group(1)) if match and match.group(2) == _HOST else None  # a writer of this machine
    if pid is not None and _alive(pid) and not _older_than(temp, STALE_AFTER):
        return False  # its writer runs (and may not have locked it yet)
    try:
        handle = os.open(temp, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # gone already, or not ours to read
        return False
    try:
        try:
            if fcntl is None:
                raise OSError("no locks")
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a writer holds it
        except OSError:  # no locks on this file system: only a dead writer of this machine is known to be gone
            if pid is None or _alive(pid):
                return False
        else:
            if pid is None and not _older_than(temp, STALE_AFTER):
                return False  # another machine's writer, or an old-style name, may be about to lock it
        temp.unlink(missing_ok=True)
        return True
    finally:
        os.close(handle)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False
