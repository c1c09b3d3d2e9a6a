"""What made each output: a record in the destination, so that a rerun with other settings never passes old
outputs off as done.

`DST/.portraitize-outputs.jsonl` (hidden, so never an input) holds one JSON line per written output: its path
relative to DST, the key of the recipe that painted it (every setting that changes its pixels, and the digests
of the model files), the file's identity when it was written (size, modification time, inode on a local
disk) and the mark of the photo it was painted from (source_marks.py: its print and stamp). An output painted from another photo than the
one now mapped to its name (a second camera card's IMG_0001.jpg into the same folder, a photo replaced in place,
a.png added beside a.gif, whose painting was a.png) is not counted as done: that photo fails, naming the output, and
the output is kept. Recipes are stored once, on their own lines. Lines are only ever appended, one `write` each
(whole on a local disk, also when two runs append at once), and the last line for a path wins; a run compacts the
file when most of it is superseded and no other run holds it open. On object stores (the Ray engine), the driver
rewrites the file once at the end of a run, in one PUT.

An output whose file no longer matches its record (edited, replaced by another program or another run) has
no record; neither has one written by a portraitize without records. Those are kept, and said so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import stat
import threading
from pathlib import Path, PurePath, PurePosixPath

from .files import make_folder, write_atomically
from .images import ImageError
from .plan import Job, PlanError, Storage
from .source_marks import SourceMark, Stamp, source_print

RECORD_NAME = ".portraitize-outputs.jsonl"
FORMATS_WITH_QUALITY = {"jpg", "webp"}  # --quality changes no other format's pixels
NAMED_CONFLICTS = 3  # outputs named in the refusal; the rest are counted
KEPT_PER_OUTPUT = 3  # records read per output (the newest)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Every setting that changes an output's pixels, as words for the user (a model's name and digest)."""

    settings: tuple[tuple[str, object], ...]

    @classmethod
    def of(cls, **settings: object) -> Recipe:
        return cls(tuple(sorted(settings.items())))

    def for_format(self, extension: str) -> Recipe:
        if extension in FORMATS_WITH_QUALITY:
            return self
        return Recipe(tuple(item for item in self.settings if item[0] != "quality"))

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.settings).encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, object]:
        return dict(self.settings)


def model_identity(source: Path | bytes | None, name: str | None = None) -> str | None:
    """A model as a recipe names it: its name and the start of its file's digest (a retrained model of the same
    name paints other pictures)."""
    if source is None:
        return None
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return f"{name or Path(str(source)).stem} ({hashlib.sha256(data).hexdigest()[:12]})"


UNSET_WORDS = {"size": "the photo's own"}  # a setting recorded only where given: what its absence means


def differences(old: dict[str, object], new: dict[str, object]) -> str:
    """`model a (12..) -> b (34..), strength 1.0 -> 0.8`: what changed, in words."""
    names = sorted(set(old) | set(new), key=lambda name: (name != "model", name))
    changed = [
        f"{name} {_word(name, old.get(name))} -> {_word(name, new.get(name))}"
        for name in names
        if old.get(name) != new.get(name)
    ]
    return ", ".join(changed) or "settings of an older portraitize"


def _word(name: str, value: object) -> str:
    if value is None:
        return UNSET_WORDS.get(name, "none")
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclasses.dataclass(frozen=True)
class Identity:
    """A file as it was when its record was written: another file at the same path does not match."""

    size: int
    mtime_ns: int | None = None
    inode: int | None = None

    def matches(self, other: Identity) -> bool:
        pairs = [(self.size, other.size), (self.mtime_ns, other.mtime_ns), (self.inode, other.inode)]
        return all(mine == theirs for mine, theirs in pairs if mine is not None and theirs is not None)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One output's record: the recipe that painted it, the file as written, and its photo's print and stamp
    (source_marks.Stamp) when it was painted (None in records written before prints were kept)."""

    recipe: str
    identity: Identity
    source_print: str | None = None
    source_stamp: Stamp | None = None


class LocalPlace:
    """Records of a destination on this disk: appended to line by line while outputs are written."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / RECORD_NAME
        self._handle: int | None = None

    def identity(self, target: PurePath) -> Identity | None:
        try:
            info = os.stat(target)
        except OSError:
            return None
        return Identity(info.st_size, info.st_mtime_ns, info.st_ino)

    def read(self) -> str:
        try:
            if not stat.S_ISREG(os.lstat(self.path).st_mode):  # a pipe there would be waited on for ever
                raise PlanError(
                    f"{self.path} is not a file (a link, a folder or a pipe): portraitize keeps its "
                    "records there; move it away"
                )
            return self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        except OSError as error:
            raise PlanError(f"cannot read {self.path} ({error.strerror})") from None

    def open(self) -> None:
        """Hold the record open for appending (shared lock: no other run compacts it meanwhile)."""
        make_folder(self.root)
        while True:
            # Never through a link: the record must not append to a file it leads to (an input, say).
            handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
            _lock(handle, shared=True)
            with contextlib.suppress(OSError):
                if os.fstat(handle).st_ino == os.stat(self.path).st_ino:
                    self._handle = handle
                    self._end_line()
                    return
            os.close(handle)  # compacted (replaced) meanwhile: append to the new file

    def _end_line(self) -> None:
        """A line cut short (a power cut in mid-append) must not swallow the next record."""
        size = os.fstat(self._handle).st_size
        if size:
            with open(self.path, "rb") as file:
                file.seek(size - 1)
                if file.read(1) != b"\n":
                    os.write(self._handle, b"\n")

    def append(self, lines: list[str]) -> None:
        if self._handle is None:
            self.open()
        os.write(self._handle, "".join(line + "\n" for line in lines).encode())

    def close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None

    def compact(self, lines: list[str]) -> None:
        """Replace the record by its live lines, unless another run has it open."""
        with contextlib.suppress(OSError):
            handle = os.open(self.path, os.O_RDONLY)
            try:
                if not _lock(handle, shared=False, wait=False):
                    return
                write_atomically(self.path, lambda file: file.write("".join(line + "\n" for line in lines).encode()))
            finally:
                os.close(handle)


class ArrowPlace:
    """Records of a destination on a pyarrow file system (an object store): rewritten at the end of a run."""

    def __init__(self, filesystem, root: PurePath):
        self.filesystem, self.root = filesystem, PurePosixPath(str(root))
        self.path = self.root / RECORD_NAME
        self._pending: list[str] = []

    def identity(self, target: PurePath) -> Identity | None:
        from pyarrow.fs import FileType

        info = self.filesystem.get_file_info([str(target)])[0]
        return Identity(info.size) if info.type == FileType.File else None

    def read(self) -> str:
        try:
            with self.filesystem.open_input_stream(str(self.path)) as stream:
                return stream.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        except OSError as error:
            if "not found" in str(error).lower() or "does not exist" in str(error).lower():
                return ""
            raise PlanError(f"cannot read {self.path} ({error})") from None

    def open(self) -> None:
        pass

    def append(self, lines: list[str]) -> None:
        self._pending += lines

    def close(self) -> None:
        if self._pending:
            text = self.read() + "".join(line + "\n" for line in self._pending)
            with self.filesystem.open_output_stream(str(self.path)) as stream:
                stream.write(text.encode())
            self._pending = []

    def compact(self, lines: list[str]) -> None:
        pass  # rewritten whole at every run's end anyway


def _lock(handle: int, shared: bool, wait: bool = True) -> bool:
    try:
        import fcntl
    except ImportError:
        return True
    mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    try:
        fcntl.flock(handle, mode)
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks
        return True
    return True


class OutputRecords:
    """The records of one destination: which recipe made each output there, and new ones as outputs are written."""

    def __init__(
        self,
        place: LocalPlace | ArrowPlace,
        destination: PurePath,
        recipe: Recipe,
        storage: Storage,
    ):
        """`storage`: where the photos are (the plan's), which reads their prints and stamps."""
        self.place, self.destination, self.recipe = place, destination, recipe
        self.storage = storage
        self.recipes: dict[str, dict[str, object]] = {}
        # Each output's latest records, newest last: two runs writing one output at once may append their records
        # in the other order than their renames; the record that matches the file there is the one that holds.
        self.outputs: dict[str, list[Entry]] = {}
        self._recipes_written: set[str] = set()
        self._lock = threading.Lock()
        self.failure: str | None = None  # why outputs of this run went without a record, for the summary
        self.written_now: set[PurePath] = set()  # what this run has written (the count an interrupt reports)
        self._restamped: list[str] = []  # records of photos found unchanged under a new stamp (_restamp)
        lines = 0
        for line in place.read().splitlines():
            lines += 1
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or not isinstance(entry["recipe"], str):
                    continue  # not ours: no record
                if "settings" in entry:
                    if isinstance(entry["settings"], dict):
                        self.recipes[entry["recipe"]] = entry["settings"]
                    continue
                identity = Identity(entry["size"], entry.get("mtime_ns"), entry.get("inode"))
                stamp, source = entry.get("source_stamp") or (), entry.get("source")
                numbers = (identity.size, identity.mtime_ns, identity.inode, *stamp)
                if not (isinstance(entry["output"], str) and isinstance(source, (str, type(None)))):
                    continue  # a hand-edited or foreign line: no record (a dict as a key would end the run)
                if not (isinstance(stamp, (list, tuple)) and all(map(_whole, numbers))):
                    continue
                kept = self.outputs.setdefault(entry["output"], [])
                kept.append(Entry(entry["recipe"], identity, source, tuple(stamp) or None))
                del kept[:-KEPT_PER_OUTPUT]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash, or not ours: no record
        if lines > 2 * (sum(map(len, self.outputs.values())) + len(self.recipes)) + 100:
            place.compact(self._live_lines())

    def _live_lines(self) -> list[str]:
        used = {entry.recipe for entries in self.outputs.values() for entry in entries}
        lines = [_recipe_line(key, settings) for key, settings in self.recipes.items() if key in used]
        lines += [_output_line(path, entry) for path, entries in self.outputs.items() for entry in entries]
        return lines

    def _relative(self, target: PurePath) -> str:
        return PurePosixPath(*PurePath(target).relative_to(self.destination).parts).as_posix()

    def check(self, existing: list[Job]) -> list[Job]:
        """Outputs already there that this run may keep as done; PlanError naming what differs where one was
        painted with other settings. Returns those without a record (kept, but the user is told)."""
        conflicts, unrecorded = [], []
        for job in existing:
            matching = self._matching(job.target)
            if not matching:
                unrecorded.append(job)
                continue
            recorded = matching[-1]
            wanted = self.recipe.for_format(job.format_extension)
            if recorded.recipe != wanted.key:
                conflicts.append((job, self.recipes.get(recorded.recipe, {}), wanted.as_dict()))
        if conflicts:
            job, old, new = conflicts[0]
            names = ", ".join(self._relative(job.target) for job, _, _ in conflicts[:NAMED_CONFLICTS])
            more = f" and {len(conflicts) - NAMED_CONFLICTS} more" if len(conflicts) > NAMED_CONFLICTS else ""
            raise PlanError(
                f"{names}{more} in {self.destination} {'were' if len(conflicts) > 1 else 'was'} painted with other "
                f"settings ({differences(old, new)}); --overwrite repaints {'them' if len(conflicts) > 1 else 'it'}, "
                "or choose another destination"
            )
        return unrecorded

    def painted_from_another(self, jobs: list[Job]) -> list[Job]:
        """Those of `jobs` (outputs already there) whose record says they were painted from another photo than
        the job's: a photo of the same name from elsewhere, or this one replaced or edited since."""
        other = []
        for job in jobs:
            matching = self._matching(job.target)
            recorded = matching[-1] if matching else None
            if recorded is None or recorded.source_print is None:
                continue
            stamp = self.storage.stamp(job.source)
            if stamp is not None and stamp[1] is not None and stamp == recorded.source_stamp:
                continue  # the same size and times: the photo as it was painted, told without reading it
            if stamp is not None and stamp[1] is not None and stamp[:2] == recorded.source_stamp:
                self._restamp(job.target, recorded, stamp)  # recorded before stamps held the change time
                continue
            if stamp is not None and recorded.source_stamp is not None and stamp[0] != recorded.source_stamp[0]:
                other.append(job)  # another size: another photo, told without reading it
                continue
            # A photo that cannot be read now is not called another: painting it says why it cannot be read.
            current = self._print(job.source)
            if current is not None and current != recorded.source_print:
                other.append(job)
            elif current is not None and stamp is not None:
                self._restamp(job.target, recorded, stamp)
        return other

    def _restamp(self, target: PurePath, recorded: Entry, stamp: Stamp) -> None:
        """The photo is the one painted, under a new stamp (a folder copied with its times, a change time moved by
        `chmod`): its record takes the stamp, so that the next run need not read the photo again. Only a saving: a
        record that cannot be written costs the next run that read."""
        entry, relative = dataclasses.replace(recorded, source_stamp=stamp), self._relative(target)
        self.outputs[relative].append(entry)
        self._restamped.append(_output_line(relative, entry))  # written at close: a refused run writes none

    def _print(self, source: PurePath) -> str | None:
        """The photo's print, or None where it cannot be read (painting it says why)."""
        try:
            with self.storage.open(source) as handle:
                return source_print(handle)
        except (OSError, ValueError, ImageError):
            return None

    def ours(self, target: PurePath) -> bool:
        """Whether the file at `target` is an output a run recorded, unchanged since."""
        return bool(self._matching(target))

    def _matching(self, target: PurePath) -> list[Entry]:
        """The records of `target` that match the file there (size, time, inode), oldest first."""
        entries = self.outputs.get(self._relative(target), [])
        identity = self.place.identity(target) if entries else None
        return [entry for entry in entries if identity is not None and entry.identity.matches(identity)]

    def written(self, target: PurePath, mark: SourceMark | None) -> None:
        """Record an output this run has just written (from any thread), with the mark of the photo it was painted
        from (source_marks.read_marked; None for a stroke list). A record that
        cannot be written (a read-only record file, a full disk) leaves that output without one: it is kept by
        later runs, and said."""
        identity = self.place.identity(target)
        if identity is None:
            return
        printed, stamp = mark or (None, None)
        recipe = self.recipe.for_format(Job(target, target).format_extension)
        with self._lock:
            self.written_now.add(target)
            lines = []
            if recipe.key not in self._recipes_written:
                lines.append(_recipe_line(recipe.key, recipe.as_dict()))
            lines.append(_output_line(self._relative(target), Entry(recipe.key, identity, printed, stamp)))
            try:
                self.place.append(lines)
            except OSError as error:
                self.failure = self.failure or f"cannot write the record {self.place.path} ({error.strerror or error})"
                return
            self._recipes_written.add(recipe.key)

    def close(self) -> None:
        if self._restamped:
            with contextlib.suppress(OSError):  # only a saving: the next run reads those photos again
                self.place.append(self._restamped)
            self._restamped = []
        try:
            self.place.close()
        except OSError as error:
            self.failure = self.failure or f"cannot write the record {self.place.path} ({error.strerror or error})"


def _whole(value: object) -> bool:
    """A size or time as a record holds it: a whole number (None where the file system keeps none)."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _recipe_line(key: str, settings: dict[str, object]) -> str:
    return json.dumps({"recipe": key, "settings": settings})


def _output_line(path: str, entry: Entry) -> str:
    line = {"output": path, "recipe": entry.recipe, "size": entry.identity.size}
    if entry.identity.mtime_ns is not None:
        line["mtime_ns"] = entry.identity.mtime_ns
    if entry.identity.inode is not None:
        line["inode"] = entry.identity.inode
    if entry.source_print is not None:
        line["source"] = entry.source_print
    if entry.source_stamp is not None:
        line["source_stamp"] = list(entry.source_stamp)
    return json.dumps(line)
