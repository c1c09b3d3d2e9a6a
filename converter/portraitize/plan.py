"""What a conversion will do, decided before any pixel is touched.

Finds the inputs, says what it leaves out and why, mirrors the source tree into the destination with one
distinct output per input, refuses any output that would land on an input or inside the source folder, and
sets aside outputs that already exist so a rerun resumes. Any engine executes the same plan; where the files
live (this disk, or a cluster's object store) is a `Storage`.

What is an image is Pillow's call, the same for a file named on the command line and for a folder's member:
a file named by the user is always tried; in a folder, a file is an input when its extension is one Pillow
decodes, or (whatever its name) when Pillow recognises its first bytes.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import unicodedata
from collections import Counter
from pathlib import Path, PurePath
from typing import BinaryIO, Protocol

from .files import NOT_A_FOLDER
from .images import IMAGE_EXTENSIONS, ImageError, open_input, signed_format
from .source_marks import Stamp, local_stamp

# Output extension for each input extension when no --format is given ("same as input").
SAME_FORMAT = {
    ".jpg": "jpg",
    ".jpeg": "jpg",
    ".jpe": "jpg",
    ".jfif": "jpg",
    ".png": "png",
    ".webp": "webp",
    ".bmp": "bmp",
    ".dib": "bmp",
    ".tif": "tiff",
    ".tiff": "tiff",
    # A phone's HEIF photo is painted to JPEG: a photo format every viewer opens, where PNG would be ten times the
    # size of the photo (portraitize writes no HEIF).
    ".heic": "jpg",
    ".heif": "jpg",
    ".hif": "jpg",
    ".heics": "jpg",  # a burst or a sequence: its first picture is painted
    ".heifs": "jpg",
}
# A photo whose name says no image format (`IMG_1`, `photo.dat`) is painted as if named by its content (Pillow's
# name for it): the extension each format is usually saved under, so an unnamed HEIC is painted to JPEG, not PNG.
CONTENT_EXTENSION = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tiff", "HEIF": ".heic"}
SPELLING = {"jpg": {".jpg", ".jpeg", ".jpe", ".jfif"}, "tiff": {".tif", ".tiff"}, "bmp": {".bmp", ".dib"}}
NOT_AN_IMAGE = "not an image"


class PlanError(Exception):
    """The conversion cannot start (bad source or destination); one line for the user."""


@dataclasses.dataclass(frozen=True)
class Job:
    source: PurePath  # a Path on this disk, or a PurePosixPath inside a cluster's file system
    target: PurePath

    @property
    def format_extension(self) -> str:
        """The output format, from the target's extension: "jpg", "png", "webp", "bmp" or "tiff"."""
        suffix = self.target.suffix.lower()
        for extension, spellings in SPELLING.items():
            if suffix in spellings:
                return extension
        return suffix.lstrip(".")


@dataclasses.dataclass
class Listing:
    """A folder's content, as paths relative to it: regular files, and what was passed over, with reasons."""

    files: list[PurePath]
    passed_over: list[tuple[PurePath, str]]  # hidden, links not followed, not regular files
    unreadable: list[tuple[PurePath, str]]  # folders that could not be listed ("." for the folder itself)


@dataclasses.dataclass
class Plan:
    todo: list[Job]
    existing: list[Job]  # finished outputs already there (non-empty files), skipped unless --overwrite
    left_out: list[tuple[PurePath, str]]  # source files not converted on purpose, with the reason
    unreadable: list[tuple[PurePath, str]]  # source folders that could not be read: failures
    blocked: list[tuple[PurePath, str]] = dataclasses.field(default_factory=list)  # inputs whose output path holds
    # a folder or a special file: failures, never removed to make room
    # A single photo painted into its own folder: its job, and the file already there under its output's name
    # (compared as a disk without case would): the user's photo unless a record says portraitize painted it.
    beside: list[tuple[Job, PurePath]] = dataclasses.field(default_factory=list)


# What is at an output's path: a finished output ("file", not empty), an "empty" file (a write that never
# finished: not an output), a "dir" or "other" (a pipe, a device): in the way, never removed; a link to "nowhere"
# (replaced by an output written there, but no folder can be made there).
OUTPUT_KINDS = ("file", "empty", "dir", "other", "nowhere")


class Storage(Protocol):
    """What planning needs to know about a file system."""

    def kind(self, path: PurePath) -> str | None:
        """ "file" (a regular file), "dir", "other" (a pipe, a device...) or None (missing)."""

    def walk(self, folder: PurePath) -> Listing:
        """Everything below `folder`, recursively."""

    def outputs(self, paths: list[PurePath]) -> dict[PurePath, str]:
        """What is at each of `paths` that exists, or is a link to nowhere: one of OUTPUT_KINDS."""

    def canonical(self, path: PurePath) -> PurePath:
        """Where reading or writing `path` really happens: absolute, links resolved, naming the file system."""

    def names(self, folder: PurePath) -> list[str]:
        """The names directly in `folder` (none where it cannot be listed)."""

    def open(self, path: PurePath) -> BinaryIO:
        """A file opened for reading; ImageError with the reason when it cannot be."""

    def stamp(self, path: PurePath) -> Stamp | None:
        """A file's stamp (source_marks.Stamp: size, modification and change time), or None if missing."""


class LocalStorage:
    def __init__(self) -> None:
        self._folders: dict[Path, Path] = {}  # resolved folders: outputs share few folders, resolve each once

    def kind(self, path: PurePath) -> str | None:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            return None
        except NotADirectoryError:  # a file where a folder on the way should be: name it
            blocking = next((parent for parent in PurePath(path).parents if os.path.exists(parent)), None)
            raise PlanError(f"{path}: cannot be there: {blocking} is not a folder") from None
        except OSError as error:
            raise PlanError(f"{path}: cannot be read ({error.strerror})") from None
        return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"

    def walk(self, folder: PurePath) -> Listing:
        listing = Listing([], [], [])

        def unreadable(error: OSError) -> None:
            reason = f"cannot read this folder ({error.strerror})"
            listing.unreadable.append((Path(error.filename).relative_to(folder), reason))

        for top, folders, names in os.walk(folder, onerror=unreadable):
            here = Path(top).relative_to(folder)
            for name in list(folders):
                reason = hidden(name, "folder") or _linked_folder(os.path.join(top, name))
                if reason:
                    folders.remove(name)  # os.walk descends into what stays in `folders`
                    listing.passed_over.append((here / name, reason))
            for name in names:
                reason = hidden(name, "file") or _not_regular(os.path.join(top, name))
                if reason:
                    listing.passed_over.append((here / name, reason))
                else:
                    listing.files.append(here / name)
        listing.files.sort()
        return listing

    def outputs(self, paths: list[PurePath]) -> dict[PurePath, str]:
        found = {}
        for path in paths:
            try:
                info = os.stat(path)
            except OSError:  # missing (or unreachable: writing it will say why)
                if os.path.islink(path):
                    found[path] = "nowhere"
                continue
            if stat.S_ISREG(info.st_mode):
                found[path] = "file" if info.st_size else "empty"
            else:
                found[path] = "dir" if stat.S_ISDIR(info.st_mode) else "other"
        return found

    def canonical(self, path: PurePath) -> PurePath:
        path = Path(path)
        if path.parent not in self._folders:
            self._folders[path.parent] = path.parent.resolve()
        full = self._folders[path.parent] / path.name
        return full.resolve() if full.is_symlink() else full

    def names(self, folder: PurePath) -> list[str]:
        try:
            return os.listdir(folder)
        except OSError:
            return []

    def open(self, path: PurePath) -> BinaryIO:
        return open_input(path)

    def stamp(self, path: PurePath) -> Stamp | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        return local_stamp(info)


def hidden(name: str, what: str) -> str | None:
    """Hidden names (.git, .DS_Store, our own temp files) are never inputs."""
    return f"hidden {what}" if name.startswith(".") else None


def _linked_folder(path: str) -> str | None:
    # Not followed: a link may lead back up the tree (a loop) or out of the folder the user named.
    return "a link to a folder, not followed" if os.path.islink(path) else None


def _not_regular(path: str) -> str | None:
    if not os.path.exists(path):
        return "a broken link"
    if not os.path.isfile(path):
        return "not a regular file"  # a pipe or a device: reading it could block forever
    return None


def make_plan(
    source: PurePath,
    destination: PurePath,
    output_format: str | None,
    overwrite: bool,
    storage: Storage | None = None,
    target_storage: Storage | None = None,
) -> Plan:
    """The jobs of a conversion; `target_storage` holds the destination when it is another file system."""
    storage = storage or LocalStorage()
    target_storage = target_storage or storage
    kind = storage.kind(source)
    if kind is None:
        raise PlanError(f"{source}: no such file or folder")
    if kind == "other":
        raise PlanError(f"{source}: not a file or a folder (a pipe, a device or a socket)")
    if target_storage.kind(destination) not in (None, "dir"):
        raise PlanError(f"destination {destination} exists and is not a folder")
    if kind == "file":
        root, relative, left_out, unreadable = source.parent, [PurePath(source.name)], [], []
        contents = {} if source.suffix.lower() in IMAGE_EXTENSIONS else {relative[0]: _named_content(storage, source)}
    else:
        _refuse_destination_inside(storage.canonical(source), target_storage.canonical(destination))
        root = source
        relative, contents, left_out, unreadable = _inputs(storage, source)
    targets = _mirror(relative, output_format, contents)
    jobs = [Job(root / path, destination / target) for path, target in zip(relative, targets)]
    _refuse_outputs_over_inputs(jobs, source if kind == "dir" else None, storage, target_storage)
    beside = _beside_its_photo(jobs[0], storage, target_storage) if kind == "file" else []
    found = target_storage.outputs([job.target for job in jobs])
    left_out = [(root / path, reason) for path, reason in left_out]
    unreadable = [(root / path, reason) for path, reason in unreadable]
    blocked = [
        (
            job.source,
            f"its output {job.target} is {IN_THE_WAY[found[job.target]]}: move it away or choose another destination",
        )
        for job in jobs
        if found.get(job.target) in IN_THE_WAY
    ]
    jobs = [job for job in jobs if found.get(job.target) not in IN_THE_WAY]
    # On an object store a name can be an object and a prefix at once: only a disk's file blocks a folder
    blocking = _folders_blocked(jobs, destination, target_storage) if isinstance(target_storage, LocalStorage) else {}
    blocked += [
        (
            job.source,
            f"its output {job.target} cannot be written: {blocking[job][0]} is {NOT_A_FOLDER[blocking[job][1]]}, not a "
            "folder: move it away or choose another destination",
        )
        for job in jobs
        if job in blocking
    ]
    jobs = [job for job in jobs if job not in blocking]
    done = set() if overwrite else {job.target for job in jobs if found.get(job.target) == "file"}
    todo = [job for job in jobs if job.target not in done]
    return Plan(todo, [job for job in jobs if job.target in done], left_out, unreadable, blocked, beside)


def _beside_its_photo(job: Job, storage: Storage, target_storage: Storage) -> list[tuple[Job, PurePath]]:
    """`job` and the file already in its output's folder under the output's name, where that folder is the photo's
    own (the folder named, or the one a link to the photo leads to); else nothing. An iPhone's IMG_1.HEIC, painted
    to JPEG into its own folder, would land on IMG_1.JPG beside it."""
    folder = target_storage.canonical(job.target.parent)
    if folder not in (storage.canonical(job.source.parent), storage.canonical(job.source).parent):
        return []
    wanted = path_key(PurePath(job.target.name))
    there = [name for name in target_storage.names(job.target.parent) if path_key(PurePath(name)) == wanted]
    return [(job, job.target.parent / there[0])] if there else []


IN_THE_WAY = {"dir": "a folder", "other": "not a regular file (a pipe, a device or a socket)"}


def _folders_blocked(jobs: list[Job], destination: PurePath, storage: Storage) -> dict[Job, tuple[PurePath, str]]:
    """The jobs whose output's folder under `destination` cannot be made, each with what is in its way and its kind
    (a file or a link to nowhere where a sub-folder goes): found before any painting, not at each photo's write."""
    folders = {folder for job in jobs for folder in job.target.parents if destination in folder.parents}
    in_the_way = {folder: kind for folder, kind in storage.outputs(sorted(folders)).items() if kind != "dir"}
    blocked = {}
    for job in jobs:
        folder = next((folder for folder in reversed(job.target.parents) if folder in in_the_way), None)
        if folder is not None:
            blocked[job] = (folder, in_the_way[folder])
    return blocked


def check_destination(destination: str, path: Path | None, role: str = "DST") -> None:
    """A destination as typed (`destination`) and, where it is local, as a path: refused where it is empty (an unset
    variable, which would mean the current folder), a link to nothing, or not there yet and named like a photo (an
    extension convert writes, or .gif) without a trailing slash: `convert me.jpg painted.jpg` would otherwise make
    a folder named painted.jpg without a word."""
    if not destination.strip():
        raise PlanError(f"{role} is empty: name the folder the paintings go into (. for this one)")
    if path is None:  # a store's names are its own
        return
    if path.is_symlink() and not path.exists():
        raise PlanError(f"{role} {destination} is a link to {os.readlink(path)}, which is not there")
    if path.exists() or destination.endswith(("/", "\\", "/.")):
        return
    if path.suffix.lower() in {*SAME_FORMAT, ".gif"}:
        raise PlanError(
            f"{role} {destination} is named like a photo, but it is the folder the paintings go into; to give a "
            "folder that name, end it with a slash"
        )


def _inputs(storage: Storage, folder: PurePath):
    """(image files, the format of each of those whose name says none (_content), files left out with reasons,
    unreadable folders with reasons), relative to `folder`."""
    listing = storage.walk(folder)
    for path, reason in listing.unreadable:
        if path == PurePath("."):
            raise PlanError(f"cannot read the source folder {folder}: {reason}")
    images, contents, left_out = [], {}, list(listing.passed_over)
    for path in listing.files:
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            images.append(path)
            continue
        try:
            contents[path] = _content(storage, folder / path)
        except ImageError as error:  # unreadable: whatever it is, it cannot be converted
            left_out.append((path, str(error)))
            continue
        if contents[path] is None:
            left_out.append((path, NOT_AN_IMAGE))
        else:
            images.append(path)
    return images, contents, sorted(left_out), listing.unreadable


def _named_content(storage: Storage, path: PurePath) -> str | None:
    """_content, or None where the file cannot be read (painting it will say why)."""
    try:
        return _content(storage, path)
    except ImageError:
        return None


def _content(storage: Storage, path: PurePath) -> str | None:
    """Pillow's name for the format of a file whose name says none, by its first bytes; None where it knows none.
    ImageError where the file cannot be read."""
    with storage.open(path) as handle:
        return signed_format(handle)


def _refuse_destination_inside(source_dir: PurePath, target: PurePath) -> None:
    """Both canonical (absolute, and naming their file system where there are several)."""
    if target == source_dir or source_dir in target.parents:
        raise PlanError(
            f"destination {target} is inside the source folder {source_dir}: outputs would mix with "
            "inputs and be picked up by the next run; choose a folder outside it"
        )


def _refuse_outputs_over_inputs(
    jobs: list[Job], folder: PurePath | None, storage: Storage, target_storage: Storage
) -> None:
    """No output may land on an input, or inside the source folder, whatever nesting or links lead it there.

    The destination's root being outside the source is not enough: `convert d/p d` writes d/p/p/a.jpg's
    painting to d/p/a.jpg, and a destination sub-folder may be a link into the source.
    """
    source_dir = storage.canonical(folder) if folder is not None else None
    inputs = {storage.canonical(job.source): job.source for job in jobs}
    for job in jobs:
        landing = target_storage.canonical(job.target)
        if landing in inputs:
            raise PlanError(
                f"output {job.target} would overwrite the input {inputs[landing]}; choose another destination"
            )
        if source_dir is not None and source_dir in landing.parents:
            raise PlanError(
                f"output {job.target} would be written inside the source folder {folder} (as {landing}); "
                "choose a destination outside it"
            )


def _mirror(
    relative: list[PurePath], output_format: str | None, contents: dict[PurePath, str | None]
) -> list[PurePath]:
    """Target of each file, relative: same folder and name, one distinct output per input; a file whose name says
    no image format is written in the format its content is (`contents`), as if its name had said so.

    Where stems would collide the full name is kept (a.jpg + a.png with --format png -> a.jpg.png, a.png);
    anything still colliding is numbered.
    """
    targets = [path.parent / _output_name(path, output_format, contents.get(path)) for path in relative]
    counts = Counter(path_key(target) for target in targets)
    targets = [
        target.with_name(f"{path.name}{target.suffix}")
        if counts[path_key(target)] > 1 and target.name != path.name
        else target
        for path, target in zip(relative, targets)
    ]
    return _number_collisions(relative, targets)


def _number_collisions(relative: list[PurePath], targets: list[PurePath]) -> list[PurePath]:
    """Targets made distinct: a name that collides (with another target, or with a folder of targets) stays
    with the input it names unchanged, else with the first input; the others become `name (2).ext`, ...
    (a.gif, a.png, a.gif.png with --format png: a.gif's full-name target a.gif.png is a.gif.png's own)."""
    folders = {path_key(folder) for target in targets for folder in target.parents}
    owners: dict[str, PurePath] = {}
    for path, target in sorted(zip(relative, targets), key=lambda pair: pair[1].name != pair[0].name):
        owners.setdefault(path_key(target), path)
    taken = set(owners) | folders
    result = []
    for path, target in zip(relative, targets):
        keeps = owners[path_key(target)] == path and path_key(target) not in folders
        result.append(target if keeps else _numbered(target, taken))
        taken.add(path_key(result[-1]))
    return result


def _numbered(target: PurePath, taken: set[str]) -> PurePath:
    number = 2
    while path_key(candidate := target.with_name(f"{target.stem} ({number}){target.suffix}")) in taken:
        number += 1
    return candidate


def path_key(path: PurePath) -> str:
    """Paths that one file system may take for the same file: compared without case, Unicode normalised."""
    return unicodedata.normalize("NFC", str(path)).casefold()


def _output_name(path: PurePath, output_format: str | None, content: str | None = None) -> str:
    named = SAME_FORMAT.get(path.suffix.lower()) or SAME_FORMAT.get(CONTENT_EXTENSION.get(content or "", ""))
    extension = output_format or named or "png"
    if path.suffix.lower() in SPELLING.get(extension, {f".{extension}"}):
        return path.name  # same format: keep the user's own spelling, e.g. photo.JPEG
    return f"{path.stem}.{extension}"
