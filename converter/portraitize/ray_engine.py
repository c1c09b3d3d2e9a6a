"""The Ray engine: the same plan and the same per-file conversion, run on a Ray cluster through Ray Data.

SRC and DST may be local folders or any URI pyarrow's file systems open (s3://, gs://, ...). The driver makes
the plan with `plan.make_plan` (on local folders with the very storage the local engine uses, so links and
hidden files are treated alike); a pool of actors (`map_batches` with a callable class) each holds one
onnxruntime session for its whole life and runs `pipeline.convert_jobs` on its batches: the same read, paint,
encode and write steps, the same per-file guard and pixel bound. Every output is written atomically: a temp
name renamed on local disks; one PUT, which appears whole or not at all, on object stores. Per-file errors,
notes and the marks of the photos painted (source_marks.py) come back as rows and land in the converter's own
summary and records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
from pathlib import PurePath, PurePosixPath

from .plan import Job, Listing, PlanError, hidden
from .source_marks import SourceMark, Stamp
from .text import debugging, first_line

INSTALL_HINT = "--engine ray needs Ray: pip install 'portraitize[ray]'"
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
REACH_SECONDS = 30.0  # a store or a cluster that does not answer within this is unreachable


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise PlanError(INSTALL_HINT) from None
    return ray


def is_uri(location: str) -> bool:
    """s3://..., gs://..., file://...: never a local path, whatever happens when it is opened."""
    return bool(URI.match(location))


def open_filesystem(uri: str):
    """(pyarrow FileSystem, path inside it) for a local path or a URI; PlanError where a URI's store cannot be
    opened (never read as a local path)."""
    import os

    from pyarrow import fs

    if not is_uri(uri):
        return fs.LocalFileSystem(), os.path.abspath(os.path.expanduser(uri))
    try:
        return _within(REACH_SECONDS, uri, lambda: fs.FileSystem.from_uri(uri))
    except (ValueError, OSError) as error:
        raise PlanError(f"cannot reach {uri} ({first_line(error)})") from None


def reach(filesystem, path: str, uri: str) -> None:
    """Ask the store about `path` once, within REACH_SECONDS: an unreachable store is one line before any work."""
    if is_uri(uri):
        try:
            _within(REACH_SECONDS, uri, lambda: filesystem.get_file_info([path]))
        except OSError as error:
            raise PlanError(f"cannot reach {uri} ({first_line(error)})") from None


def _within(seconds: float, uri: str, call):
    """call() in a thread, waited for `seconds` at most (a store's client may retry for many minutes)."""
    import threading

    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as error:  # handed to the caller
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True, name="portraitize-reach")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise PlanError(f"cannot reach {uri}: no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]


def _open_input(filesystem, path: PurePath):
    import io

    from .images import ImageError

    try:
        # Buffered: Pillow's readers call readline(), which pyarrow's files lack; reads stay ranged on S3.
        return io.BufferedReader(filesystem.open_input_file(str(path)))
    except OSError as error:
        raise ImageError(f"cannot read this file ({error})") from None


class ArrowStorage:
    """plan.Storage over a pyarrow file system of objects (no links, no special files)."""

    def __init__(self, filesystem):
        self.filesystem = filesystem

    def _info(self, paths: list[PurePath]):
        return self.filesystem.get_file_info([str(path) for path in paths])

    def stamp(self, path: PurePath) -> Stamp | None:
        from pyarrow.fs import FileType

        info = self._info([path])[0]
        return (info.size, info.mtime_ns) if info.type == FileType.File else None

    def kind(self, path: PurePath) -> str | None:
        from pyarrow.fs import FileType

        found = self._info([path])[0].type
        return {FileType.Directory: "dir", FileType.File: "file", FileType.NotFound: None}.get(found, "other")

    def walk(self, folder: PurePath) -> Listing:
        from pyarrow.fs import FileSelector, FileType

        try:
            infos = self.filesystem.get_file_info(FileSelector(str(folder), recursive=True))
        except OSError as error:
            raise PlanError(f"cannot read the source folder {folder}: {error}") from None
        listing = Listing([], [], [])
        for info in infos:
            path = PurePosixPath(info.path).relative_to(str(folder))
            if any(part.startswith(".") for part in path.parent.parts):
                continue  # inside a hidden folder, which is named once
            reason = hidden(path.name, "folder" if info.type == FileType.Directory else "file")
            if reason or info.type not in (FileType.File, FileType.Directory):
                listing.passed_over.append((path, reason or "not a regular file"))
            elif info.type == FileType.File:
                listing.files.append(path)
        listing.files.sort()
        return listing

    def outputs(self, paths: list[PurePath]) -> dict[PurePath, str]:
        from pyarrow.fs import FileType

        found = {}
        for path, info in zip(paths, self._info(paths)):
            if info.type == FileType.File:
                found[path] = "file" if info.size else "empty"
            elif info.type == FileType.Directory:
                found[path] = "dir"
            elif info.type != FileType.NotFound:
                found[path] = "other"
        return found

    def canonical(self, path: PurePath) -> PurePath:
        # The file system's name goes first, so paths on different systems never contain each other.
        parts = PurePosixPath(str(path)).parts
        return PurePosixPath("/", self.filesystem.type_name, *parts[1 if str(path).startswith("/") else 0 :])

    def names(self, folder: PurePath) -> list[str]:
        from pyarrow.fs import FileSelector

        try:
            infos = self.filesystem.get_file_info(FileSelector(str(folder), recursive=False))
        except OSError:
            return []
        return [PurePosixPath(info.path).name for info in infos]

    def open(self, path: PurePath):
        return _open_input(self.filesystem, path)


class ArrowFiles:
    """pipeline.Files over pyarrow file systems: inputs from one, outputs to another; on local disks, the
    local engine's own reading and atomic writing."""

    def __init__(self, src_uri: str, dst_uri: str):
        from pyarrow.fs import LocalFileSystem

        source_fs, _ = open_filesystem(src_uri)
        self.target_fs, _ = open_filesystem(dst_uri)
        self.source = _storage(source_fs)  # the driver's plan reads the photos as this does: the same stamps
        self.local_target = isinstance(self.target_fs, LocalFileSystem)

    def open(self, path: PurePath):
        return self.source.open(path)

    def stamp(self, path: PurePath) -> Stamp | None:
        return self.source.stamp(path)

    def write(self, path: PurePath, data: bytes, replace: bool = True) -> None:
        from pathlib import Path

        from .files import write_atomically

        if self.local_target:
            write_atomically(Path(path), lambda handle: handle.write(data), replace)
            return
        self.target_fs.create_dir(str(path.parent), recursive=True)
        with self.target_fs.open_output_stream(str(path)) as stream:  # an object appears whole on close
            stream.write(data)

    def remove(self, path: PurePath) -> None:
        with contextlib.suppress(FileNotFoundError):  # nothing to remove
            self.target_fs.delete_file(str(path))


@dataclasses.dataclass(frozen=True)
class RaySettings:
    address: str | None  # None: start a local Ray on this machine
    workers: int
    gpus_per_worker: float
    batch_size: int
    threads: int  # onnxruntime threads per worker (0: its choice)


class Painter:
    """A Ray actor: one onnxruntime session per model for its life, converting batches of jobs."""

    def __init__(self, models, device: str, threads: int, settings, src_uri: str, dst_uri: str):
        self.models = models.load(device, threads)  # a ModelSources of bytes
        self.settings = settings
        self.files = ArrowFiles(src_uri, dst_uri)

    def __call__(self, batch: dict) -> dict:
        from .pipeline import convert_jobs

        jobs = [
            Job(PurePosixPath(source), PurePosixPath(target))
            for source, target in zip(batch["source"], batch["target"])
        ]
        outcomes, marks = {}, {}  # marks: each painting's photo as it was read, for the driver's records
        convert_jobs(self.models, jobs, self.settings, outcomes.__setitem__, self.files, on_written=marks.__setitem__)
        return {
            "source": batch["source"],
            "error": [outcomes[job].error or "" for job in jobs],
            "notes": ["\n".join(outcomes[job].notes) for job in jobs],  # one line each
            "mark": [json.dumps(marks.get(job.target)) for job in jobs],  # a column of one type: JSON text
        }


def make_ray_plan(source: str, destination: str, output_format: str | None, overwrite: bool):
    """plan.make_plan over the file systems that SRC and DST name (local folders or URIs); with the place of
    DST's output records, DST's path inside its file system, and SRC's storage (which reads the photos' prints)."""
    from pathlib import Path

    from pyarrow.fs import LocalFileSystem

    from .plan import make_plan
    from .records import ArrowPlace, LocalPlace

    _import_ray()
    source_fs, source_path = open_filesystem(source)
    reach(source_fs, source_path, source)
    target_fs, target_path = open_filesystem(destination)
    reach(target_fs, target_path, destination)
    source_storage = _storage(source_fs)
    plan = make_plan(
        PurePosixPath(source_path),
        PurePosixPath(target_path),
        output_format,
        overwrite,
        source_storage,
        _storage(target_fs),
    )
    local = isinstance(target_fs, LocalFileSystem)
    place = LocalPlace(Path(target_path)) if local else ArrowPlace(target_fs, PurePosixPath(target_path))
    return plan, place, PurePosixPath(target_path), source_storage


def _storage(filesystem):
    from pyarrow.fs import LocalFileSystem

    from .plan import LocalStorage

    return LocalStorage() if isinstance(filesystem, LocalFileSystem) else ArrowStorage(filesystem)


def _cluster_address(address: str | None) -> str | None:
    """The host:port of the cluster `--address` names (None: Ray starts on this machine), checked to answer
    within REACH_SECONDS; PlanError, in one line, where there is none. Ray itself retries an address that does
    not answer for many minutes, so its connection attempts are bounded too."""
    import socket

    if address is None or address == "local":
        return None
    where = address.removeprefix("ray://")
    if address == "auto":
        try:
            from ray._private.services import canonicalize_bootstrap_address

            where = canonicalize_bootstrap_address("auto") or "auto"
        except ConnectionError:
            raise PlanError(
                "--address auto: no Ray cluster is running on this machine (and RAY_ADDRESS is not set); start one "
                "with `ray start --head`, name its address, or leave --address out to start Ray for this run"
            ) from None
        except (ImportError, AttributeError, ValueError):  # another Ray's internals: let ray.init find it
            return address
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise PlanError(f"--address {address}: not HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=min(REACH_SECONDS, 5.0)).close()
    except OSError as error:
        reason = error.strerror or first_line(error)
        raise PlanError(f"cannot reach the Ray cluster at {where} ({reason})") from None
    # Something answers there; if it is not a Ray cluster, ray.init gives up after one attempt, not twenty.
    os.environ.setdefault("RAY_gcs_server_port_wait_time_s", "1")
    return where


def run_on_ray(
    jobs: list[Job], models, device: str, settings, source: str, destination: str, ray_settings: RaySettings
) -> list[tuple[str, str, list[str], SourceMark | None]]:
    """Convert the jobs on Ray (`models`: a ModelSources of bytes; `settings`: the pipeline's ConvertSettings);
    (source, error, notes, mark) per job, error "" when written, mark the photo's as it was read (source_marks)."""
    import logging

    if not jobs:
        return []  # nothing to do: no need to start or join a cluster
    ray = _import_ray()
    if not ray.is_initialized():
        address = _cluster_address(ray_settings.address)
        # The cluster's own log lines stay off the terminal: a file's failure reaches the user as its error row
        # and a worker's crash as the error `take_all` raises, while Ray's lines (e.g. the GCS's spurious
        # "Failed to kill actor ... KillActor RPC failed" at shutdown, ray-project/ray#58544) would be printed
        # after the summary. PORTRAITIZE_DEBUG brings them back, as it brings back tracebacks.
        try:
            ray.init(
                address=ray_settings.address,
                logging_level=logging.ERROR,
                include_dashboard=False,
                configure_logging=False,
                log_to_driver=debugging(),
            )
        except ConnectionError as error:
            raise PlanError(f"cannot connect to the Ray cluster at {address} ({first_line(error)})") from None
    rows = [{"source": str(job.source), "target": str(job.target)} for job in jobs]
    painter_arguments = dict(
        models=models,
        device=device,
        threads=ray_settings.threads or 1,
        settings=settings,
        src_uri=source,
        dst_uri=destination,
    )
    results = (
        ray.data.from_items(rows)
        .map_batches(
            Painter,
            fn_constructor_kwargs=painter_arguments,
            batch_size=ray_settings.batch_size,
            concurrency=ray_settings.workers,
            num_cpus=1,
            num_gpus=ray_settings.gpus_per_worker,
            batch_format="numpy",
        )
        .take_all()
    )
    return [
        (str(row["source"]), str(row["error"]), str(row["notes"]).splitlines(), _mark(row["mark"])) for row in results
    ]


def _mark(text: str) -> SourceMark | None:
    """A source_marks.SourceMark from its JSON text (lists back to tuples)."""
    mark = json.loads(str(text))
    return None if mark is None else (mark[0], None if mark[1] is None else tuple(mark[1]))
