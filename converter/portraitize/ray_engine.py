"""The Ray engine: the same plan and the same painting, run on a Ray cluster through Ray Data.

SRC and DST may be local folders or any URI pyarrow's file systems open (s3://, gs://, ...). The driver makes
the plan (mirror tree, skip existing, refuse DST inside SRC) with `plan.make_plan` over a pyarrow file
system; a pool of actors (`map_batches` with a callable class) each holds one onnxruntime session for its
whole life, reads, paints (photos of one size share a model call), and writes every output atomically:
a temp name renamed on local disks; one PUT, which appears whole or not at all, on object stores.
Per-file errors come back as rows and land in the converter's own summary.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from pathlib import PurePath, PurePosixPath

from .plan import Job, PlanError
from .translate import PaintSettings

INSTALL_HINT = "--engine ray needs Ray: pip install 'portraitize[ray]'"


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise PlanError(INSTALL_HINT) from None
    return ray


def open_filesystem(uri: str):
    """(pyarrow FileSystem, path inside it) for a local path or a URI."""
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(uri)
    except (ValueError, OSError):  # a plain relative path is not a URI
        import os

        return fs.LocalFileSystem(), os.path.abspath(os.path.expanduser(uri))


class ArrowStorage:
    """plan.Storage over a pyarrow file system."""

    def __init__(self, filesystem):
        self.filesystem = filesystem

    def _info(self, paths: list[PurePath]):
        return self.filesystem.get_file_info([str(path) for path in paths])

    def kind(self, path: PurePath) -> str | None:
        from pyarrow.fs import FileType

        found = self._info([path])[0].type
        return {FileType.Directory: "dir", FileType.File: "file"}.get(found)

    def files_below(self, folder: PurePath) -> list[PurePath]:
        from pyarrow.fs import FileSelector, FileType

        infos = self.filesystem.get_file_info(FileSelector(str(folder), recursive=True))
        return [PurePosixPath(info.path).relative_to(str(folder)) for info in infos if info.type == FileType.File]

    def existing(self, paths: list[PurePath]) -> set[PurePath]:
        from pyarrow.fs import FileType

        return {path for path, info in zip(paths, self._info(paths)) if info.type == FileType.File}

    def canonical(self, path: PurePath) -> PurePath:
        # The file system's name goes first, so paths on different systems never contain each other.
        return PurePosixPath("/", self.filesystem.type_name, *PurePosixPath(str(path)).parts[1 if str(path).startswith("/") else 0 :])


@dataclasses.dataclass(frozen=True)
class RaySettings:
    address: str | None  # None: start a local Ray on this machine
    workers: int
    gpus_per_worker: float
    batch_size: int
    threads: int  # onnxruntime threads per worker (0: its choice)


class Painter:
    """A Ray actor: one onnxruntime session for its life, painting batches of jobs."""

    def __init__(self, model_bytes: bytes, device: str, threads: int, paint: PaintSettings, quality: int,
                 max_pixels: int, src_uri: str, dst_uri: str, batch_size: int):  # fmt: skip
        from .engine import Engine, choose_providers, open_session, read_info

        session = open_session(model_bytes, choose_providers(device), threads)
        self.engine = Engine("model", read_info(session, "model"), session, device)
        self.paint, self.quality, self.max_pixels, self.batch_size = paint, quality, max_pixels, batch_size
        self.source_fs, _ = open_filesystem(src_uri)
        self.target_fs, _ = open_filesystem(dst_uri)

    def __call__(self, batch: dict) -> dict:
        from .images import FORMAT_BY_EXTENSION, ImageError, load_photo
        from .translate import model_input, paint_photos, render

        jobs = [Job(PurePosixPath(source), PurePosixPath(target)) for source, target in zip(batch["source"], batch["target"])]
        errors: list[str] = [""] * len(jobs)
        photos, rgbs, indices = [], [], []
        for index, job in enumerate(jobs):
            try:
                with self.source_fs.open_input_stream(str(job.source)) as stream:
                    photo = load_photo(stream.read(), self.max_pixels)
            except (ImageError, OSError) as error:
                errors[index] = str(error)
                continue
            photos.append(photo)
            rgbs.append(model_input(photo, self.paint))
            indices.append(index)
        for index, photo, painted in zip(indices, photos, paint_photos(self.engine, photos, rgbs, self.paint, self.batch_size)):
            if isinstance(painted, str):
                errors[index] = painted
                continue
            job = jobs[index]
            data = render(photo, painted, self.paint, FORMAT_BY_EXTENSION[job.format_extension], self.quality)
            try:
                self._write(job.target, data)
            except OSError as error:
                errors[index] = f"cannot write {job.target} ({error})"
        return {"source": batch["source"], "error": errors}

    def _write(self, target: PurePosixPath, data: bytes) -> None:
        from pyarrow.fs import LocalFileSystem

        self.target_fs.create_dir(str(target.parent), recursive=True)
        if not isinstance(self.target_fs, LocalFileSystem):
            with self.target_fs.open_output_stream(str(target)) as stream:  # an object appears whole on close
                stream.write(data)
            return
        from .images import TEMP_PREFIX, TEMP_SUFFIX

        temp = target.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}{TEMP_SUFFIX}")
        try:
            with self.target_fs.open_output_stream(str(temp)) as stream:
                stream.write(data)
            self.target_fs.move(str(temp), str(target))
        except BaseException:
            with contextlib.suppress(OSError):
                self.target_fs.delete_file(str(temp))
            raise


def make_ray_plan(source: str, destination: str, output_format: str | None, overwrite: bool):
    """plan.make_plan over the file systems that SRC and DST name (local folders or URIs)."""
    from .plan import make_plan

    _import_ray()
    source_fs, source_path = open_filesystem(source)
    target_fs, target_path = open_filesystem(destination)
    return make_plan(PurePosixPath(source_path), PurePosixPath(target_path), output_format, overwrite,
                     ArrowStorage(source_fs), ArrowStorage(target_fs))  # fmt: skip


def run_on_ray(jobs: list[Job], model_bytes: bytes, device: str, paint: PaintSettings, quality: int, max_pixels: int,
               source: str, destination: str, settings: RaySettings) -> list[tuple[str, str]]:  # fmt: skip
    """Paint the jobs on Ray; returns (source, error) for each job, error "" when written."""
    import logging

    if not jobs:
        return []  # nothing to do: no need to start or join a cluster
    ray = _import_ray()
    if not ray.is_initialized():
        ray.init(address=settings.address, logging_level=logging.ERROR, include_dashboard=False,
                 configure_logging=False)  # fmt: skip
    rows = [{"source": str(job.source), "target": str(job.target)} for job in jobs]
    painter_arguments = dict(
        model_bytes=model_bytes, device=device, threads=settings.threads or 1, paint=paint, quality=quality,
        max_pixels=max_pixels, src_uri=source, dst_uri=destination, batch_size=settings.batch_size,
    )  # fmt: skip
    results = ray.data.from_items(rows).map_batches(
        Painter,
        fn_constructor_kwargs=painter_arguments,
        batch_size=settings.batch_size,
        concurrency=settings.workers,
        num_cpus=1,
        num_gpus=settings.gpus_per_worker,
        batch_format="numpy",
    ).take_all()
    return [(str(row["source"]), str(row["error"])) for row in results]
