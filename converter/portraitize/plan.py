"""What a conversion will do, decided before any pixel is touched.

Finds the inputs, mirrors the source tree into the destination (names never collide), refuses a destination
inside the source, and sets aside outputs that already exist so a rerun resumes. Any engine executes the
same plan.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

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
    source: Path
    target: Path

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
    ignored: list[Path]  # files in the source folder that are not images by their extension


def make_plan(source: Path, destination: Path, output_format: str | None, overwrite: bool) -> Plan:
    source = source.expanduser()
    destination = destination.expanduser()
    if not source.exists():
        raise PlanError(f"{source}: no such file or folder")
    _refuse_destination_inside(source, destination)
    if source.is_file():
        root, files, ignored = source.parent, [source], []
    else:
        root = source
        files, ignored = _discover(source)
    jobs = _mirror(root, files, destination, output_format)
    existing = [job for job in jobs if job.target.exists()]
    if overwrite:
        return Plan(jobs, [], ignored)
    return Plan([job for job in jobs if not job.target.exists()], existing, ignored)


def _refuse_destination_inside(source: Path, destination: Path) -> None:
    source_dir = source.resolve() if source.is_dir() else source.resolve().parent
    target = destination.resolve()
    if target == source_dir or source_dir in target.parents:
        raise PlanError(
            f"destination {destination} is inside the source folder {source_dir}: outputs would mix with "
            "inputs and be picked up by the next run; choose a folder outside it"
        )
    if destination.exists() and not destination.is_dir():
        raise PlanError(f"destination {destination} exists and is not a folder")


def _discover(folder: Path) -> tuple[list[Path], list[Path]]:
    """Image files below `folder` (recursive, sorted), and the other files found there."""
    images, others = [], []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue  # hidden files and folders (.git, .DS_Store, our own temp files) are not inputs
        (images if path.suffix.lower() in IMAGE_EXTENSIONS else others).append(path)
    return images, others


def _mirror(root: Path, files: list[Path], destination: Path, output_format: str | None) -> list[Job]:
    """Target for each file: same relative folder and stem; the full name is kept where stems would collide."""
    targets = [destination / path.relative_to(root).parent / _output_name(path, output_format) for path in files]
    counts = Counter(targets)
    jobs = []
    for path, target in zip(files, targets):
        if counts[target] > 1 and target.name != path.name:
            target = target.with_name(f"{path.name}{target.suffix}")  # a.jpg + a.png -> a.jpg.png, a.png
        jobs.append(Job(path, target))
    return jobs


def _output_name(path: Path, output_format: str | None) -> str:
    extension = output_format or SAME_FORMAT.get(path.suffix.lower(), "png")
    if path.suffix.lower() in SPELLING.get(extension, {f".{extension}"}):
        return path.name  # same format: keep the user's own spelling, e.g. photo.JPEG
    return f"{path.stem}.{extension}"

