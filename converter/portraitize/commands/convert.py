"""`portraitize convert`: plan, load the model once, paint with a progress bar, print a summary."""

from __future__ import annotations

import contextlib
import dataclasses
import statistics
from pathlib import Path, PurePath

from rich.console import Console
from rich.markup import escape

from ..catalogue import FACE_DETECTOR, resolve, resolve_optional, upscaler_for
from ..choices import BATCH_ON_GPU
from ..files import check_writable, remove_stale_temp_files
from ..images import ImageError, header_size
from ..model_set import ModelSources
from ..painter import MIN_SIDE
from ..painter_settings import PAINTER_VERSION, PainterRequest
from ..pipeline import ConvertSettings, LocalFiles, Outcome, Report, convert_jobs, stroke_list_path
from ..plan import Job, LocalStorage, Plan, PlanError, check_destination, make_plan
from ..progress import image_progress
from ..ray_engine import RaySettings, is_uri, make_ray_plan, run_on_ray
from ..records import LocalPlace, OutputRecords, Recipe, model_identity
from ..run_claims import RunClaims
from ..session import ModelError, load_model
from ..stroke_workers import start_fork_server, worker_count
from ..text import counted
from ..translate import PaintSettings
from . import EXIT_FAILED_FILES, print_catalogue_warnings

LEFT_OUT_NAMED = 5  # files named for each reason to leave files out; the rest are counted
# Photos whose headers say how large the paintings will be (how many stroke workers fit): this many readable ones,
# among at most HEADERS_OPENED (empty or broken files first in the folder must not decide it).
SIZES_LOOKED_AT, HEADERS_OPENED = 16, 256
SHOWN_SIZE = 1024  # px: the --size a run of small photos is told of, where strokes are several pixels wide


@dataclasses.dataclass(frozen=True)
class ConvertRequest:
    src: str  # a path; with the Ray engine also a URI (s3://...)
    dst: str
    model: str | None
    device: str
    batch_size: int | None  # None: BATCH_ON_GPU on CUDA, else 1
    threads: int
    max_size: int | None
    full_res: bool
    keep_model_size: bool
    output_format: str | None
    quality: int
    overwrite: bool
    strength: float
    max_pixels: int
    scale: str = "auto"
    size: int = 0  # the paintings' long side; 0: each photo's own
    upscaler: str | None = None  # a name or path; None: the bundled default if installed; "none": off
    texture: str | None = None  # a name or path; None or "none": no texture
    painter: PainterRequest = PainterRequest("none")
    stroke_list: bool = False
    frame: str = "none"
    engine: str = "local"  # or "ray"
    ray: RaySettings | None = None


def run_convert(request: ConvertRequest, console: Console) -> int:
    on_ray = request.engine == "ray"
    if not request.src.strip():  # an unset variable: not the current folder
        raise PlanError("SRC is empty: name a photo or a folder of photos")
    if on_ray:
        check_destination(request.dst, None)
        plan, place, destination, storage = make_ray_plan(
            request.src, request.dst, request.output_format, request.overwrite
        )
    else:
        for location in (request.src, request.dst):
            if is_uri(location):
                raise PlanError(f"{location} is a URI: only --engine ray reads and writes URIs (the ray extra)")
        source, target = Path(request.src).expanduser(), Path(request.dst).expanduser()
        check_destination(request.dst, target)
        storage = LocalStorage()
        plan = make_plan(source, target, request.output_format, request.overwrite, storage)
        place, destination = LocalPlace(target), target
    print_catalogue_warnings(console)
    # On Ray the workers pick their device; this process only reads the models' contracts.
    device = "cpu" if on_ray else request.device
    # Here, a stroke painter per core (--threads caps them), at most one a photo and as many as the paintings fit
    # side by side (a painting has its photo's pixels, unless it keeps the model's size); on Ray each worker paints
    # one photo at a time.
    stroke_workers, photo_sizes = 0, []
    if not on_ray and request.painter.painter != "none":
        if not (request.keep_model_size or request.size):  # else the paintings are not the photos' size
            photo_sizes = _header_sizes(plan.todo[:HEADERS_OPENED])
        pixels = [request.size * request.size * 3 // 4] if request.size else [w * h for w, h in photo_sizes]
        stroke_workers = min(worker_count(request.threads, pixels), len(plan.todo))
    if stroke_workers > 1:
        with contextlib.suppress(OSError):  # it fails again where the workers start, which says so in a note
            start_fork_server()
    # With a stroke worker on every core, more model threads only contend with them (measured on 2 cores: 20 photos
    # at 512 px 11.4 s with two model threads, 10.9 s with one).
    threads = request.threads or (1 if stroke_workers > 1 else 0)
    translator_path = resolve(request.model, "translator")
    translator = load_model(translator_path, device, threads, "translator")
    paint = PaintSettings(
        max_size=request.max_size or translator.info.native_size,
        full_res=request.full_res,
        keep_model_size=request.keep_model_size,
        size=request.size,
        strength=request.strength,
        scale=request.scale,
        face_size=translator.info.face_size,
        frame=request.frame,
        strokes=request.painter.settings_for(translator.info.face_size),
    )
    enlarges = not (request.keep_model_size or request.full_res)  # else nothing is enlarged to the photo's size
    sources = ModelSources(
        translator_path,
        upscaler=upscaler_for(request.upscaler, in_strokes=paint.strokes is not None) if enlarges else None,
        face_detector=resolve_optional(None, "face_detector") if paint.wants_faces else None,
        texture=resolve_optional(request.texture, "texture") if enlarges and request.texture else None,
        person_mask=resolve_optional(None, "person_mask") if paint.strokes else None,
        face_landmarks=resolve_optional(None, "face_landmarks") if paint.strokes else None,
    )
    models = sources.load(device, threads, translator=translator)
    if request.frame == "portrait" and models.faces is None:
        raise ModelError(f"--frame portrait needs the face detector ({FACE_DETECTOR}.onnx), which is not installed")
    settings = ConvertSettings(
        paint=paint,
        batch_size=request.batch_size or (BATCH_ON_GPU if translator.device_name == "CUDA" else 1),
        quality=request.quality,
        max_pixels=request.max_pixels,
        stroke_list=request.stroke_list,
        overwrite=request.overwrite,
        stroke_workers=stroke_workers,
        threads=request.threads,
    )
    where = f"Ray ({request.ray.workers} workers)" if on_ray else translator.device_name
    console.print(
        f"model [bold]{escape(translator.info.name)}[/] ({escape(str(translator.path))}) on [bold]{where}[/], {_scale_line(paint, models)}"
    )
    if photo_sizes:
        _say_if_small(photo_sizes, len(plan.todo), console)
    records = OutputRecords(place, destination, _recipe(request, paint, sources, translator), storage)
    made = not on_ray and not target.exists()  # by this run: taken away again if nothing is written into it
    if plan.todo and not on_ray:
        try:
            check_writable(target)
        except OSError as error:
            raise PlanError(f"cannot write to {request.dst} ({error.strerror or error})") from None
    _keep_photos_beside(plan, records)
    _keep_other_photos_paintings(plan, records)
    unrecorded = records.check(plan.existing)  # refuses outputs painted with other settings
    if request.stroke_list:
        _repaint_missing_stroke_lists(plan, records, unrecorded)
        if not request.overwrite:
            _keep_unrecorded_stroke_lists(plan, records)
    recorded = len(plan.existing) - len(unrecorded)
    if recorded:
        console.print(  # no markup: a path is shown as it is (escaped, a trailing backslash would show doubled)
            f"skipping {counted(recorded, 'photo')} already converted in {request.dst} with these settings "
            "(--overwrite redoes them)",
            markup=False,
        )
    if unrecorded:
        console.print(
            f"[yellow]![/] {counted(len(unrecorded), 'photo')} not painted: an output of the same name is already in "
            f"{escape(request.dst)} with no record of how it was painted (an older portraitize's, another program's, or "
            f"changed since), e.g. {escape(str(unrecorded[0].target))}: kept as it is; --overwrite repaints"
        )

    claims = None if on_ray else RunClaims(target)  # also with nothing to paint: it clears killed runs' claims
    try:
        if claims is not None:
            waiting = lambda: console.print(  # noqa: E731
                f"waiting for the lock on {escape(request.dst)}: something holds it longer than a run would"
            )
            taken = claims.claim([job.target for job in plan.todo], waiting)
            # What is at the outputs' paths now, once claimed (one look, for both uses below).
            paths = [path for job in plan.todo for path in (job.target, stroke_list_path(job.target))]
            there = LocalStorage().outputs(paths)
            _leave_to_other_runs(plan, taken, records, {} if request.overwrite else there)
            # What this run's outputs may replace: the files there now but for those another run wrote since the
            # plan (left to it above): the run's own recorded outputs painted again, empty files, their stroke lists.
            settings = dataclasses.replace(settings, replaceable=frozenset(there))
        report = Report(skipped=plan.existing, failed=[*plan.unreadable, *plan.blocked])
        if not plan.todo:
            pass  # nothing to paint: no progress bar at 0 of 0, no Ray cluster started for nothing
        elif on_ray:
            jobs = {str(job.source): job for job in plan.todo}
            results = run_on_ray(
                plan.todo, sources.as_bytes(), request.device, settings, request.src, request.dst, request.ray
            )
            for source, error, notes, mark in results:
                report.record(jobs[source], Outcome(error or None, tuple(notes)))
                if not error:
                    records.written(jobs[source].target, mark)
                    if request.stroke_list:  # recorded where it was written, as the local engine's are
                        records.written(stroke_list_path(jobs[source].target), None)
        else:
            _convert_here(models, plan.todo, settings, target, report, records, console)
    except KeyboardInterrupt as interrupt:  # said here, where the count is known; cli.py says the rest, exits 130
        painted = _written(records, plan.todo)
        console.print(f"{counted(painted, 'photo')} of {len(plan.todo):,} painted before the interrupt")
        if request.overwrite:
            interrupt.rerun = "the same command, with --overwrite, paints every photo again, the finished ones too"
        raise
    finally:
        records.close()
        if claims is not None:
            claims.release()
        if made:
            _remove_if_empty(target)
    # Where the paintings are, where this run made some or kept some as its own: a path to copy, never folded.
    where = (request.dst if on_ray else str(target.resolve())) if report.converted or recorded else None
    _print_summary(console, report, plan.left_out, where)
    if records.failure:
        console.print(f"[yellow]warning[/]: {escape(records.failure)}; outputs without a record are kept by later runs")
    return EXIT_FAILED_FILES if report.failed else 0


def _keep_photos_beside(plan: Plan, records: OutputRecords) -> None:
    """A photo painted into its own folder whose output would land on a file there that no run recorded painting
    (the user's IMG_1.JPG beside IMG_1.HEIC, which is painted to JPEG) is not painted, even with --overwrite: that
    file is never replaced, and the photo fails saying why."""
    for job, there in plan.beside:
        if records.ours(there):
            continue
        plan.todo = [other for other in plan.todo if other != job]
        plan.existing = [other for other in plan.existing if other != job]
        plan.blocked.append(
            (
                job.source,
                f"its painting ({job.target.name}) would land on {there.name} beside it, which has no record of "
                "portraitize painting it (an older portraitize's, another program's, or changed since): move it "
                "away to paint the photo here, or choose another destination or --format",
            )
        )


def _keep_other_photos_paintings(plan: Plan, records: OutputRecords) -> None:
    """A photo whose output name holds a painting of another photo (one of the same name from another folder
    painted into this one, or this photo before it was replaced or edited) is not counted as done: it fails saying
    so, and that painting is kept (--overwrite repaints it from this photo)."""
    elsewhere = records.painted_from_another(plan.existing)
    failing = set(elsewhere)
    plan.existing = [job for job in plan.existing if job not in failing]
    plan.blocked += [(job.source, _another_photos_painting(job, records.storage)) for job in elsewhere]


def _leave_to_other_runs(
    plan: Plan, taken: dict[PurePath, int], records: OutputRecords, there: dict[PurePath, str]
) -> None:
    """Photos whose outputs another run into this destination is painting now are left to it, and so are those
    whose outputs another run wrote since the plan looked (`there`: what is at the outputs' paths now, empty with
    --overwrite; a file there that the records read at the start do not hold: a recorded painting is only here to
    be painted again with its stroke list): each fails, saying so (run_claims.py)."""
    targets = {job.target for job in plan.todo}
    written = {path for path, kind in there.items() if path in targets and kind == "file" and not records.ours(path)}
    left = [job for job in plan.todo if job.target in taken or job.target in written]
    plan.todo = [job for job in plan.todo if job.target not in taken and job.target not in written]
    plan.blocked += [
        (
            job.source,
            f"another portraitize run (process {taken[job.target]}) is painting its output {job.target} now: "
            "run this again once it has finished"
            if job.target in taken
            else f"its output {job.target} was written by another run after this one planned: run this again to "
            "check it",
        )
        for job in sorted(left, key=lambda job: str(job.source))
    ]


def _another_photos_painting(job: Job, storage) -> str:
    """Why `job` fails: its output holds another photo's painting, or, where the photo can no longer be read as one
    (emptied, overwritten with something else), this photo's painting from before it changed."""
    try:
        with storage.open(job.source) as handle:
            size = header_size(handle)
    except (OSError, ImageError):
        size = (0, 0)
    if size == (0, 0):
        return (
            f"cannot be read as an image now (empty, cut short or not an image); its output {job.target} holds a "
            "painting of it from before it changed: kept"
        )
    return (
        f"its output {job.target} holds a painting of another photo (one of the same name painted there before, "
        "or this one before it changed): kept; --overwrite repaints it from this photo, or choose another destination"
    )


def _repaint_missing_stroke_lists(plan: Plan, records: OutputRecords, unrecorded: list[Job]) -> None:
    """With --stroke-list, a painting recorded as done whose stroke list is gone is painted again, list and all
    (the same painting: the same photo and settings)."""
    without_record = set(unrecorded)
    missing = {
        job
        for job in plan.existing
        if job not in without_record and records.place.identity(stroke_list_path(job.target)) is None
    }
    plan.existing = [job for job in plan.existing if job not in missing]
    plan.todo += sorted(missing, key=lambda job: str(job.source))


def _keep_unrecorded_stroke_lists(plan: Plan, records: OutputRecords) -> None:
    """A file where a painting's stroke list goes that no run recorded (a list of the user's, or one changed since)
    is kept: that photo, whose painting is not there yet, fails saying so (--overwrite replaces the list)."""
    kept = [
        job
        for job in plan.todo
        if records.place.identity(stroke_list_path(job.target)) is not None
        and not records.ours(stroke_list_path(job.target))
    ]
    kept_now = set(kept)
    plan.todo = [job for job in plan.todo if job not in kept_now]
    plan.blocked += [
        (
            job.source,
            f"its stroke list {stroke_list_path(job.target)} is already there with no record of a portraitize "
            "writing it (another program's, or changed since): kept; --overwrite replaces it",
        )
        for job in kept
    ]


def _header_sizes(jobs) -> list[tuple[int, int]]:
    """(width, height) by their headers of the first SIZES_LOOKED_AT photos whose headers can be read (the others
    fail later, saying why)."""
    sizes = []
    for job in jobs:
        try:
            with open(job.source, "rb") as handle:
                size = header_size(handle)
        except OSError:
            continue
        if size[0] * size[1]:
            sizes.append(size)
            if len(sizes) == SIZES_LOOKED_AT:
                break
    return sizes


def _say_if_small(sizes: list[tuple[int, int]], photos: int, console: Console) -> None:
    """Where photos are shorter than the painter lays its strokes at (painter.MIN_SIDE), a painting at their size
    shows its strokes a pixel or two wide: say how many are, and how to paint them larger (`sizes`: those of the
    first photos, `photos` in all; unreadable ones, (0, 0), are not counted)."""
    readable = [max(size) for size in sizes if max(size) > 0]
    small = [side for side in readable if side < MIN_SIDE]
    if not small:
        return
    about = f"about {statistics.median_low(small)} px long"
    if len(small) < len(readable):  # a mixed folder: --size would shrink the large photos' paintings too
        looked_at = "" if len(sizes) == photos else " looked at"
        verb = "is" if len(small) == 1 else "are"
        console.print(
            f"note: {len(small)} of the {len(readable)} photos{looked_at} {verb} small ({about}): their strokes are "
            f"barely seen; paint them apart with --size {SHOWN_SIZE} (it sets every painting's long side)"
        )
        return
    subject = "the photos are" if photos > 1 else "the photo is"
    console.print(
        f"note: {subject} small ({about}): at that size a painting's strokes are barely seen; --size {SHOWN_SIZE} "
        "paints larger"
    )


def _recipe(request: ConvertRequest, paint: PaintSettings, sources: ModelSources, translator) -> Recipe:
    """Every setting that changes an output's pixels (device, threads and batch size change none)."""
    return Recipe.of(
        model=model_identity(sources.translator, translator.info.name),
        upscaler=model_identity(sources.upscaler),
        texture=model_identity(sources.texture),
        face_detector=model_identity(sources.face_detector),
        person_mask=model_identity(sources.person_mask),
        face_landmarks=model_identity(sources.face_landmarks),
        strokes=None if paint.strokes is None else f"{paint.strokes.fineness}, {paint.strokes.background}",
        painter=None if paint.strokes is None else PAINTER_VERSION,
        stroke_list=request.stroke_list,
        scale=paint.scale,
        max_size=paint.max_size,
        full_res=paint.full_res,
        keep_model_size=paint.keep_model_size,
        **({"size": paint.size} if paint.size else {}),  # absent unless given: earlier runs' records still match
        frame=paint.frame,
        strength=paint.strength,
        quality=request.quality,
    )


def _written(records: OutputRecords, jobs) -> int:
    """How many of `jobs` this run has written, counted from the records: after Ctrl-C, paintings written while the
    run wound down never reached the report."""
    return sum(job.target in records.written_now for job in jobs)


def _remove_if_empty(folder: Path) -> None:
    """A destination this run made and wrote nothing into (every photo failed, or Ctrl-C came first) is not left
    behind as an empty folder."""
    with contextlib.suppress(OSError):  # not empty, or gone: left as it is
        folder.rmdir()


def _scale_line(paint: PaintSettings, models) -> str:
    """How photos will be sized, in words, for the run's first line."""
    if paint.full_res:
        line = f"full resolution in {paint.max_size} px tiles"
    elif paint.scale == "auto" and paint.face_size and models.faces is not None:
        line = (
            f"painted at the size where the main face is {paint.face_size} px wide, the size this model learned "
            f"faces at (no face: long side {paint.max_size} px)"
        )
    else:
        line = f"long side {paint.max_size} px"
    if not (paint.keep_model_size or paint.full_res):
        line += f", enlarged by {escape(models.upscaler.info.name)}" if models.upscaler else ", enlarged by resizing"
        if models.texture:
            line += f" with {escape(models.texture.info.name)} brush texture (in full where enlarged 2x or more)"
    if paint.size:
        line += f", written {paint.size} px on the long side"
    if paint.strokes is not None:
        line += f", painted in strokes ({paint.strokes.fineness}, {paint.strokes.background})"
    return line + (", portrait frame" if paint.frame == "portrait" else "")


def _convert_here(
    models, jobs, settings: ConvertSettings, target: Path, report: Report, records: OutputRecords, console: Console
) -> None:
    """The local engine, with its progress bar."""
    removed = remove_stale_temp_files(target)
    if removed:
        console.print(f"removed {counted(removed, 'partial file')} left by a killed run")
    failed_before = len(report.failed)  # unreadable files and blocked outputs, said in the summary
    with image_progress(console) as progress:
        task = progress.add_task("painting", total=len(jobs))

        def on_done(job, outcome):
            report.record(job, outcome)
            # The bar counts every photo dealt with; the failed ones among them are said on it as they happen.
            failed = len(report.failed) - failed_before
            progress.update(task, advance=1, description=f"painting ({failed} failed)" if failed else "painting")

        def on_note(note: str) -> None:
            progress.console.print(f"[yellow]![/] {escape(note)}")

        try:
            convert_jobs(models, jobs, settings, on_done, LocalFiles(), on_note, records.written)
        except KeyboardInterrupt:  # the bar's last frame agrees with the count said after it
            progress.update(task, completed=_written(records, jobs) + len(report.failed) - failed_before)
            raise


def _print_summary(
    console: Console, report: Report, left_out: list[tuple[PurePath, str]], where: str | None = None
) -> None:
    """Counts, the folder the paintings are in (`where`, if any), then every failure, note and left-out file with
    its reason: one line each, the file named."""
    parts = [f"[green]{len(report.converted)} converted[/]", f"{len(report.skipped)} skipped (already there)"]
    parts.append(f"[red]{len(report.failed)} failed[/]" if report.failed else "0 failed")
    if left_out:
        parts.append(f"{len(left_out)} left out")
    console.print(", ".join(parts))
    if where is not None:
        console.print(f"paintings in {where}", soft_wrap=True, markup=False)
    _print_lines(console, "[red]x[/]", report.failed)
    _print_lines(console, "[yellow]![/]", report.notes)
    by_reason: dict[str, list[PurePath]] = {}
    for path, reason in left_out:
        by_reason.setdefault(reason, []).append(path)
    for reason, paths in by_reason.items():
        names = ", ".join(escape(str(path)) for path in paths[:LEFT_OUT_NAMED])
        more = f" and {len(paths) - LEFT_OUT_NAMED} more" if len(paths) > LEFT_OUT_NAMED else ""
        console.print(f"  - left out, {escape(reason)} ({len(paths)}): {names}{more}")


def _print_lines(console: Console, mark: str, lines: list[tuple[PurePath, str]]) -> None:
    """All of them, sorted by file: whichever engine ran, and in whatever order files finished."""
    for path, text in sorted(lines, key=lambda line: str(line[0])):
        console.print(f"  {mark} {escape(str(path))}: {escape(text)}")
