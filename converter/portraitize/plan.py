"""What a conversion will do, decided before any pixel is touched.

Finds the inputs, mirrors the source tree into the destination (names never collide), refuses a destination
inside the source, and sets aside outputs that already exist so a rerun resumes. Any engine executes the
same plan; where the files live (this disk, or a cluster's object store) is a `Storage`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path, PurePath
from typing import Protocol

# Extensions we look for in folders; a single file given on the command line is tried whatever its name.
IMAGE_EXTENSIONS = {
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff",
    ".gif", ".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".jp2", ".j2k", ".ico", ".pcx", ".sgi", ".qoi",
}
# Output extension for each input extension when no --format is given ("same as input").
SAME_FORMAT = {
    ".jpg": "jpg", ".jpeg": "jpg", ".jpe": "jpg", ".jfif": "jpg", ".png": "png", ".webp": "webp",
    ".bmp": "bmp", ".dib": "bmp", ".tif": "tiff", ".tiff": "tiff",
}
SPELLING = {"jpg": {".jpg", ".jpeg", ".jpe", ".jfif"}, "tiff": {".tif", ".tiff"}, "bmp": {".bmp", ".dib"}}


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
class Plan:
    todo: list[Job]
    existing: list[Job]  # outputs already there, skipped unless --overwrite
    ignored: list[PurePath]  # files in the source folder that are not images by their extension


class Storage(Protocol):
    """What planning needs to know about a file system."""

    def kind(self, path: PurePath) -> str | None:
        """ "file", "dir" or None (missing)."""

    def files_below(self, folder: PurePath) -> list[PurePath]:
        """Every file below `folder`, recursively, as paths relative to it."""

    def existing(self, paths: list[PurePath]) -> set[PurePath]:
        """Which of `paths` exist."""

    def canonical(self, path: PurePath) -> PurePath:
        """An absolute form that also names the file system, so that containment can be checked."""


class LocalStorage:
    def kind(self, path: PurePath) -> str | None:
        path = Path(path)
        return "dir" if path.is_dir() else "file" if path.exists() else None

    def files_below(self, folder: PurePath) -> list[PurePath]:
        return [path.relative_to(folder) for path in Path(folder).rglob("*") if path.is_file()]

    def existing(self, paths: list[PurePath]) -> set[PurePath]:
        return {path for path in paths if Path(path).exists()}

    def canonical(self, path: PurePath) -> PurePath:
        return Path(path).resolve()


def make_plan(source: PurePath, destination: PurePath, output_format: str | None, overwrite: bool,
              storage: Storage = LocalStorage(), target_storage: Storage | None = None) -> Plan:  # fmt: skip
    """The jobs of a conversion; `target_storage` holds the destination when it is another file system."""
    target_storage = target_storage or storage
    kind = storage.kind(source)
    if kind is None:
        raise PlanError(f"{source}: no such file or folder")
    root = source if kind == "dir" else source.parent
    _refuse_destination_inside(storage.canonical(root), target_storage.canonical(destination))
    if target_storage.kind(destination) == "file":
        raise PlanError(f"destination {destination} exists and is not a folder")
    if kind == "file":
        relative, ignored = [PurePath(source.name)], []
    else:
        relative, others = _split(storage.files_below(source))
        ignored = [source / path for path in others]
    jobs = [Job(root / path, destination / target) for path, target in zip(relative, _mirror(relative, output_format))]
    existing = target_storage.existing([job.target for job in jobs])
    done = [job for job in jobs if job.target in existing]
    if overwrite:
        return Plan(jobs, [], ignored)
    return Plan([job for job in jobs if job.target not in existing], done, ignored)


def _refuse_destination_inside(source_dir: PurePath, target: PurePath) -> None:
    """Both canonical (absolute, and naming their file system where there are several)."""
    if target == source_dir or source_dir in target.parents:
        raise PlanError(
            f"destination {target} is inside the source folder {source_dir}: outputs would mix with "
            "inputs and be picked up by the next run; choose a folder outside it"
        )


def _split(relative: list[PurePath]) -> tuple[list[PurePath], list[PurePath]]:
    """Image files (sorted) and other files; hidden files and folders (.git, .DS_Store, our temp files) are skipped."""
    images, others = [], []
    for path in sorted(relative):
        if any(part.startswith(".") for part in path.parts):
            continue
        (images if path.suffix.lower() in IMAGE_EXTENSIONS else others).append(path)
    return images, others


def _mirror(relative: list[PurePath], output_format: str | None) -> list[PurePath]:
    """Target of each file, relative: same folder and stem; the full name is kept where stems would collide."""
    targets = [path.parent / _output_name(path, output_format) for path in relative]
    counts = Counter(targets)
    return [
        target.with_name(f"{path.name}{target.suffix}") if counts[target] > 1 and target.name != path.name else target
        for path, target in zip(relative, targets)
    ]  # a.jpg + a.png with --format png -> a.jpg.png, a.png


def _output_name(path: PurePath, output_format: str | None) -> str:
    extension = output_format or SAME_FORMAT.get(path.suffix.lower(), "png")
    if path.suffix.lower() in SPELLING.get(extension, {f".{extension}"}):
        return path.name  # same format: keep the user's own spelling, e.g. photo.JPEG
    return f"{path.stem}.{extension}"
