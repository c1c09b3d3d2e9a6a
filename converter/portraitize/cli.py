"""The `portraitize` command: thin verbs over the plan, engine, pipeline and sampling modules.

Heavy modules (numpy, onnxruntime, Pillow) are imported inside the verbs so that `--help` starts at once.
Exit codes: 0 all done; 1 some files failed; 2 bad arguments, model or device; 130 interrupted.
"""

from __future__ import annotations

import enum
import signal
import warnings
from typing import Optional

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .choices import BATCH_ON_GPU, DEFAULT_MAX_PIXELS, DEVICES
from .entry import EXIT_INTERRUPTED
from .painter_settings import BACKGROUNDS, FINENESS, PainterRequest
from .text import DEBUG_ENV, debugging, first_line

EXIT_USAGE = 2  # 1 (some files failed) comes from the commands, 130 (interrupted) from entry.py
NO_VALUE = " "  # a flag's metavar (_help_without_value): it takes no value
MAX_THREADS = 1024  # onnxruntime starts every thread asked for, and rejects counts beyond a C int

# One message, one line: greppable logs. No emoji codes: a photo named ":smile:.jpg" is reported by its name (and
# rich's emoji table, loaded at the first message, would cost a tenth of a second of every run).
console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
_said = {"interrupted": False}  # what this run has told the user already


def _help_without_value(command_class: type) -> type:
    """`command_class` whose flags (--help, --overwrite and every other) show no value after them in its help:
    typer would show <bool>, as if they took one."""

    class Command(command_class):
        def get_params(self, ctx):
            params = super().get_params(ctx)  # the help option among them
            for param in params:
                if getattr(param, "is_flag", False) and param.metavar is None:
                    param.metavar = NO_VALUE
            return params

    return Command


app = typer.Typer(
    cls=_help_without_value(TyperGroup),
    help="Turn photographs of people into painted portraits, and paint new portraits from nothing.",
    epilog=(
        "Exit codes: 0 all done, 1 some files failed, 2 bad arguments/model/device, 130 interrupted.\n\n"
        "Environment: PORTRAITIZE_MODELS, folders of more models (separated by ':'); PORTRAITIZE_CACHE, where the "
        "stroke painter keeps its brushes between runs (default ~/.cache/portraitize; 'off': nowhere); "
        "PORTRAITIZE_DEBUG=1, tracebacks for unexpected errors."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
FlagHelpCommand = _help_without_value(TyperCommand)


Device = enum.Enum("Device", {name: name for name in DEVICES}, type=str)


class Painter(str, enum.Enum):
    strokes = "strokes"
    none = "none"


Fineness = enum.Enum("Fineness", {name: name for name in FINENESS}, type=str)
Background = enum.Enum("Background", {name: name for name in ("auto", *BACKGROUNDS)}, type=str)


class EngineChoice(str, enum.Enum):
    local = "local"
    ray = "ray"


class Scale(str, enum.Enum):
    auto = "auto"
    long_side = "long-side"


class Frame(str, enum.Enum):
    none = "none"
    portrait = "portrait"


class Format(str, enum.Enum):
    png = "png"
    jpg = "jpg"
    webp = "webp"


def _version(value: bool) -> None:
    if value:
        print(f"portraitize {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Turn photographs of people into painted portraits, and paint new portraits from nothing."""


MODEL_HELP = "Installed model name (see `portraitize models`) or path to an .onnx file."
DEVICE_HELP = "auto: CUDA when onnxruntime offers it, else CPU. cuda: fail unless CUDA really runs."
THREADS_HELP = (
    "CPU threads for the models, the most pictures painted in strokes at once (at most 8), and the threads a photo "
    "painted alone (a phone photo) is painted on. 0: every core. More than this process may use is capped, with a note."
)


@app.command(cls=FlagHelpCommand)
def convert(
    ctx: typer.Context,
    src: str = typer.Argument(
        ..., metavar="SRC", help="A photo, or a folder of photos (searched recursively); a URI with --engine ray."
    ),
    dst: str = typer.Argument(
        ..., metavar="DST", help="Output folder (made if missing); SRC's sub-folder tree is mirrored inside it."
    ),
    model: Optional[str] = typer.Option(
        None, "--model", "-m", help=MODEL_HELP, show_default="oil-portrait, else the first installed translator"
    ),
    device: Device = typer.Option(Device.auto, help=DEVICE_HELP),
    batch_size: Optional[int] = typer.Option(
        None,
        min=1,
        help="Photos of one size painted per model call (on the CPU, at most 512 x 512 pixels' worth).",
        show_default="1 on the CPU, where more photos a call gain nothing and the painters wait for a batch to "
        f"gather; {BATCH_ON_GPU} on CUDA and on Ray",
    ),
    threads: int = typer.Option(0, min=0, max=MAX_THREADS, help=THREADS_HELP),
    scale: Scale = typer.Option(
        Scale.auto,
        help="auto: paint each photo at the size where its main face matches the faces the model learned on, then "
        "enlarge it to the photo's size or --size (no face: as long-side). long-side: paint at --max-size on the "
        "long side.",
    ),
    max_size: Optional[int] = typer.Option(
        None,
        min=16,
        help="Long side the model paints at with --scale long-side (with auto: at most the pixels of a 4:3 picture "
        "4 x this long).",
        show_default="the size the model was made for",
    ),
    upscaler: Optional[str] = typer.Option(
        None,
        help="The model that enlarges the painting to the photo's size (or --size): an installed name, an .onnx "
        "path, or none (a plain resize).",
        show_default="painting-x4 with --painter none; with the stroke painter a plain resize, as its strokes paint "
        "over the upscaler's detail",
    ),
    painter: Painter = typer.Option(
        Painter.strokes,
        help="strokes: paint the result in layers of bristle strokes at the size it is written at, finest on the "
        "eyes, broad on the clothes and the ground. none: the translator's painting as it is.",
        rich_help_panel="Painting",
    ),
    fineness: Fineness = typer.Option(
        "normal",
        help="How small the strokes are: fine (0.7x every brush of normal), normal, broad (1.4x).",
        rich_help_panel="Painting",
    ),
    background: Background = typer.Option(
        "auto",
        help="ground: a painter's dark, warm ground behind the sitters instead of the photo's background (a photo "
        "without a face keeps its own). keep: the photo's background, painted loosely. auto: ground with a portrait "
        "model (oil-portrait), keep with a style model.",
        rich_help_panel="Painting",
    ),
    stroke_list: bool = typer.Option(
        False,
        "--stroke-list",
        help="Also write NAME.strokes.json beside each painting: every stroke's centre, direction, length, bend, "
        "width and colour, broadest layer first.",
        rich_help_panel="Painting",
    ),
    texture: Optional[str] = typer.Option(
        None,
        help="Bristle texture over an enlarged painting, for --painter none (the strokes have their own): an "
        "installed name (impasto) or an .onnx path.",
        show_default="none",
        rich_help_panel="Painting",
    ),
    frame: Frame = typer.Option(
        Frame.none,
        help="portrait: crop the result to a 4:5 head-and-shoulders frame around the main face (a photo "
        "without a face is left as it is, with a note). none: the photo's own frame.",
    ),
    full_res: bool = typer.Option(
        False,
        "--full-res",
        help="Paint photos larger than --max-size at full resolution, in blended tiles.",
    ),
    keep_model_size: bool = typer.Option(
        False,
        "--keep-model-size",
        help="Write the model-sized result instead of restoring the photo's size.",
    ),
    size: Optional[int] = typer.Option(
        None,
        "--size",
        min=16,
        help="The long side of each painting, in px, larger or smaller than its photo (with --frame portrait: of the "
        "framed painting). Painted larger, a small photo's strokes can be seen: at its own size they are a pixel or "
        "two.",
        show_default="the photo's own size",
    ),
    output_format: Optional[Format] = typer.Option(
        None,
        "--format",
        help="Output format.",
        show_default="the input's (by its content where its name says none); JPEG for HEIC photos, PNG for other formats we don't write",
    ),
    quality: int = typer.Option(95, min=1, max=100, help="JPEG/WebP quality."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Repaint outputs that exist. Without it, outputs painted with these settings are skipped, and a run "
        "with other settings is refused, naming what differs.",
    ),
    strength: float = typer.Option(1.0, min=0.0, max=1.0, help="1: the painting; 0: the photo; between: a blend."),
    max_pixels: int = typer.Option(
        DEFAULT_MAX_PIXELS, min=1, help="Refuse images with more pixels (decompression-bomb guard)."
    ),
    engine: EngineChoice = typer.Option(
        EngineChoice.local, help="local: this machine. ray: a Ray cluster (the ray extra).", rich_help_panel="Cluster"
    ),
    address: Optional[str] = typer.Option(
        None, help="Ray cluster address.", show_default="start Ray on this machine", rich_help_panel="Cluster"
    ),
    workers: int = typer.Option(
        2, min=1, help="Ray workers, each holding one model session.", rich_help_panel="Cluster"
    ),
    gpus_per_worker: float = typer.Option(
        0.0, min=0.0, help="GPUs each Ray worker reserves (e.g. 1, or 0.5 to share).", rich_help_panel="Cluster"
    ),
) -> None:
    """Paint every photo in SRC and write the results to DST.

    Outputs painted with the same settings are skipped, so an interrupted run resumes where it stopped; a rerun with other settings is refused (naming what differs) unless --overwrite.
    """
    from .commands.convert import ConvertRequest, run_convert
    from .ray_engine import RaySettings

    if engine == EngineChoice.local:
        threads = _capped_threads(threads)  # on Ray, each worker caps them at its own machine's CPUs
    if full_res and keep_model_size:
        _fail("--full-res and --keep-model-size contradict each other: choose one")
    if size and (keep_model_size or full_res):
        _fail(
            f"--size and {'--keep-model-size' if keep_model_size else '--full-res'} contradict each other: the one "
            "writes the painting at a size of its own, the other at the "
            f"{'model' if keep_model_size else 'photo'}'s; choose one"
        )
    if painter == Painter.none:
        _refuse_painter_options(ctx)
    request = ConvertRequest(
        src=src,
        dst=dst,
        model=model,
        device=device.value,
        batch_size=batch_size,
        threads=threads,
        max_size=max_size,
        full_res=full_res,
        keep_model_size=keep_model_size,
        size=size or 0,
        scale=scale.value,
        upscaler=upscaler,
        texture=texture,
        painter=PainterRequest(painter.value, fineness.value, background.value),
        stroke_list=stroke_list,
        frame=frame.value,
        output_format=output_format.value if output_format else None,
        quality=quality,
        overwrite=overwrite,
        strength=strength,
        max_pixels=max_pixels,
        engine=engine.value,
        ray=RaySettings(address, workers, gpus_per_worker, batch_size or BATCH_ON_GPU, threads),
    )
    raise typer.Exit(_exit_code_of(lambda: run_convert(request, console)))


@app.command(cls=FlagHelpCommand)
def sample(
    count: int = typer.Option(50, "--count", "-n", min=1, help="How many portraits to paint."),
    out: str = typer.Option("samples", "--out", "-o", help="Folder for the PNGs."),
    model: Optional[str] = typer.Option(
        None, "--model", "-m", help=MODEL_HELP, show_default="portrait-gan, else the first installed sampler"
    ),
    seed: int = typer.Option(0, min=0, help="The same seed paints the same portraits."),
    truncation: Optional[float] = typer.Option(
        None,
        min=0.01,
        help="Redraw latent values beyond +-T: less variety, fewer failures (e.g. 1.5).",
    ),
    face_check: Optional[bool] = typer.Option(
        None,
        "--face-check/--no-face-check",
        help="Repaint, from the next latent, each portrait whose face the bundled face mesh doubts (most melted or "
        "doubled faces, and some fine ones).",
        show_default="on for portrait-gan, off for portrait-vae",
    ),
    every_latent: bool = typer.Option(
        False,
        "--every-latent",
        help="Paint from every latent. By default a sampler with a latent check (portrait-gan) skips the latents "
        "it expects to give a broken face.",
    ),
    size: Optional[int] = typer.Option(
        None,
        "--size",
        min=1,
        help="Paint each portrait again at SIZE px in strokes on a painted ground, as convert paints a photo (e.g. "
        "512; slower).",
        show_default="the sampler's own size",
    ),
    grid: bool = typer.Option(False, "--grid", help="Also write a contact sheet of all samples."),
    device: Device = typer.Option(Device.auto, help=DEVICE_HELP),
    batch_size: int = typer.Option(16, min=1, help="Portraits painted per model call."),
    threads: int = typer.Option(0, min=0, max=MAX_THREADS, help=THREADS_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace sample files that exist."),
) -> None:
    """Paint new portraits with a generator model.

    Files are named MODEL-seedS-NNNN.png, with what departs from the defaults before the number (-truncT, -everylatent, -faces or -nofacecheck, -paintSIZE); portraits already there are kept unless --overwrite.
    """
    from .commands.sample import SampleRequest, run_sample

    threads = _capped_threads(threads)
    request = SampleRequest(
        count=count,
        out=out,  # a str: an empty one is refused, not taken for the current folder
        model=model,
        seed=seed,
        truncation=truncation,
        face_check=face_check,
        every_latent=every_latent,
        size=size,
        grid=grid,
        device=device.value,
        batch_size=batch_size,
        threads=threads,
        overwrite=overwrite,
    )
    raise typer.Exit(_exit_code_of(lambda: run_sample(request, console)))


@app.command(cls=FlagHelpCommand)
def models() -> None:
    """List installed models: name, kind, size, training summary."""
    from .commands.models import show_models

    # The listing is the command's output: stdout, unlike messages.
    raise typer.Exit(_exit_code_of(lambda: show_models(Console(highlight=False, emoji=False), console) or 0))


def _capped_threads(threads: int) -> int:
    """--threads, at most the usable CPUs, with a note where it was more."""
    from .session import usable_cpus

    cpus = usable_cpus()
    if threads > cpus:
        console.print(
            f"[yellow]note[/]: --threads {threads} capped at {cpus}, the CPUs this process may use (more threads "
            "than cores only wait on each other)"
        )
        return cpus
    return threads


def _exit_code_of(run) -> int:
    """Run a verb; turn expected errors into one red line and an exit code, Ctrl-C/SIGTERM into 130."""
    from .plan import PlanError
    from .session import DeviceError, ModelError

    _said["interrupted"] = False  # a run of its own (tests run several in one process)
    signal.signal(signal.SIGTERM, _interrupt)
    # Libraries' warnings (Pillow's "possibly corrupt EXIF", ...) are for developers, over several lines;
    # what matters reaches the user as a failure or a note on one line.
    warnings.simplefilter("ignore")
    try:
        return run()
    except (ModelError, DeviceError, PlanError) as error:
        _fail(str(error))
    except KeyboardInterrupt as interrupt:
        _say_interrupted(getattr(interrupt, "rerun", None))
        return EXIT_INTERRUPTED
    except Exception as error:  # a case no check foresaw: still one line, never a traceback
        if debugging():
            raise

        _fail(f"unexpected {type(error).__name__}: {first_line(error)} (please report it; {DEBUG_ENV}=1 shows where)")
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _refuse_painter_options(context: typer.Context) -> None:
    """--fineness, --background and --stroke-list given with --painter none: they would be ignored (and a stroke
    list recorded that no painter wrote), so the command says so instead."""
    flags = {"fineness": "--fineness", "background": "--background", "stroke_list": "--stroke-list"}
    given = [
        flag for name, flag in flags.items() if getattr(context.get_parameter_source(name), "name", "") == "COMMANDLINE"
    ]
    if given:
        _fail(
            f"{' and '.join(given)} {'set' if len(given) > 1 else 'sets'} the stroke painter, which --painter none "
            "leaves out: drop one or the other"
        )


def _fail(message: str) -> None:
    from rich.markup import escape

    console.print(f"[bold red]error[/]: {escape(message)}")
    raise typer.Exit(EXIT_USAGE)


def main() -> None:
    _said["interrupted"] = False
    try:
        app(prog_name="portraitize")
    except SystemExit as done:
        if done.code == EXIT_INTERRUPTED:
            # Reported: another Ctrl-C while Python shuts down would end the process by the signal, not with 130.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _say_interrupted()  # if not said yet: a Ctrl-C before a verb's handling began, which typer ends silently
        raise


def _say_interrupted(rerun: str | None = None) -> None:
    """The interrupt's line, once a run; `rerun`: what running the command again does, where it does not resume."""
    if not _said["interrupted"]:
        _said["interrupted"] = True
        console.print(
            "[yellow]interrupted[/]: finished files are complete, no partial files were left; "
            f"{rerun or 'run the same command again to resume'}"
        )
