"""`python -m trainer`: train RECIPE, export CKPT OUT.onnx, sample CKPT.

Each recipe has its own `train` sub-command whose options are its config dataclass's fields (with the help
in their metadata); the loop's options (steps, batch size, time budget, ...) are added to every one.
"""

import dataclasses
import functools
import inspect
import logging
import sys
import typing
from pathlib import Path
from typing import List, Optional

import typer
from rich.logging import RichHandler

from .recipes import RECIPES

app = typer.Typer(help="Train, export and preview portraitize models.", no_args_is_help=True, add_completion=False)
train_app = typer.Typer(help="Train a model with one of the recipes.", no_args_is_help=True)
app.add_typer(train_app, name="train")

# The loop's options, shared by every recipe: (name, type, default, help).
LOOP_OPTIONS = [
    ("out", Path, Path("runs/latest"), "Run folder: checkpoint.pt, log.jsonl, samples/."),
    ("steps", int, 2000, "Optimisation steps in total (a resumed run counts from its checkpoint)."),
    ("batch_size", int, 8, "Images per step (per GPU under torchrun)."),
    ("seed", int, 0, "Seeds the data order, augmentation and initialisation."),
    ("sample_every", int, 200, "Write a sample grid every N steps."),
    ("checkpoint_every", int, 500, "Write the checkpoint every N steps (and always at the end)."),
    ("log_every", int, 10, "Append losses to log.jsonl every N steps."),
    ("time_budget", Optional[float], None, "Minutes; stop cleanly (checkpoint, export) when spent."),
    ("device", str, "auto", "auto (CUDA if present), cpu, cuda or cuda:N."),
    ("faces", Optional[List[Path]], None, "CSV of face boxes (path,x1,y1,x2,y2) for face-aware crops; repeatable."),
    ("face_framing", float, 2.0, "Crop side as a multiple of the face size, with --faces."),
    ("data_licence", str, "", "Terms of the training data; written into the exported model."),
    ("export_to", Optional[Path], None, "Export the final generator to this .onnx file."),
    ("resume", bool, False, "Continue the run in --out from its checkpoint (same recipe options)."),
    ("init_from", Optional[Path], None, "Fine-tune: start the networks from this checkpoint's weights (recipe options may differ); optimisers and step start afresh."),
]
# Settings that do not change what the next step computes: a run folder may be copied or moved (out), and the
# weights a run started from (init_from) are in its checkpoint by now.
RESUMABLE_CHANGES = {"steps", "time_budget_minutes", "export_to", "sample_every", "checkpoint_every", "log_every",
                     "out", "init_from"}  # fmt: skip


def _recipe_parameters(config_class: type) -> list[inspect.Parameter]:
    """One keyword parameter per config field, with the field's default and help."""
    hints = typing.get_type_hints(config_class)
    return [
        inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[field.name],
                          default=typer.Option(... if field.default is dataclasses.MISSING else field.default,
                                               help=field.metadata.get("help", "")))
        for field in dataclasses.fields(config_class)
    ]  # fmt: skip


def _register_recipe(recipe: type) -> None:
    """`train RECIPE`: its options are the recipe config's fields, then the loop's."""

    def command(**kwargs) -> None:
        loop_kwargs = {name: kwargs.pop(name) for name, *_ in LOOP_OPTIONS}
        _train(recipe.name, recipe.Config(**kwargs), loop_kwargs)

    loop_parameters = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                          default=typer.Option(default, help=text, rich_help_panel="Training loop"))
        for name, kind, default, text in LOOP_OPTIONS
    ]  # fmt: skip
    parameters = [*_recipe_parameters(recipe.Config), *loop_parameters]
    command.__signature__ = inspect.Signature(parameters)
    command.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    summary = (sys.modules[recipe.__module__].__doc__ or recipe.description).strip()
    train_app.command(recipe.name, help=summary)(command)


def _train(recipe_name: str, config, loop_kwargs: dict) -> None:
    from .loop import LoopConfig, Trainer, TrainingDiverged

    resume = loop_kwargs.pop("resume")
    export_to = loop_kwargs.pop("export_to")
    loop = LoopConfig(
        out=str(loop_kwargs.pop("out")),
        time_budget_minutes=loop_kwargs.pop("time_budget"),
        face_boxes=tuple(str(path) for path in loop_kwargs.pop("faces") or ()),
        export_to=str(export_to) if export_to else None,
        init_from=str(init_from) if (init_from := loop_kwargs.pop("init_from")) else None,
        **loop_kwargs,
    )
    try:
        if resume:
            _check_resume_matches(recipe_name, config, loop)
        Trainer(recipe_name, config, loop, resume=resume).run()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except (TrainingDiverged, FileExistsError, FileNotFoundError, ValueError) as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(2) from None


def _check_resume_matches(recipe_name: str, config, loop) -> None:
    """--resume continues a run exactly, so its recipe and data must be the ones the checkpoint was made with."""
    from .checkpoint import load_checkpoint

    state = load_checkpoint(Path(loop.out))
    saved = {"recipe": state["recipe"], **state["recipe_config"],
             **{k: v for k, v in state["loop_config"].items() if k not in RESUMABLE_CHANGES}}  # fmt: skip
    given = {"recipe": recipe_name, **dataclasses.asdict(config),
             **{k: v for k, v in dataclasses.asdict(loop).items() if k not in RESUMABLE_CHANGES}}  # fmt: skip
    changed = [f"{key}: {saved.get(key)!r} -> {value!r}" for key, value in given.items() if saved.get(key) != value]
    if changed:
        raise ValueError(f"--resume with other settings than the checkpoint's ({'; '.join(changed)})")


for _recipe in RECIPES.values():
    _register_recipe(_recipe)


@app.command("detect-faces")
def detect_faces(
    folder: Path = typer.Argument(..., help="Folder of images (recursive)."),
    out: Path = typer.Argument(..., help="CSV to write (path,w,h,x1,y1,x2,y2,prob); use it with --faces."),
    weights: Path = typer.Option(Path("../shared/weights"), help="Folder with mtcnn_pnet/rnet/onet.pt."),
    min_face_size: float = typer.Option(20.0, help="Smallest face to look for, in pixels."),
) -> None:
    """Find the largest face in every image with MTCNN, for face-aware crops (--faces)."""
    from rich.progress import Progress

    from .data import find_images
    from .faces import FaceDetector, write_face_csv

    detector = FaceDetector(weights, min_face_size)
    with Progress() as progress:
        task = progress.add_task("detecting", total=len(find_images(folder)))
        images, found = write_face_csv(folder, out, detector, on_image=lambda: progress.advance(task))
    typer.echo(f"{found} of {images} images have a face; boxes in {out}")


@app.command("export")
def export(
    checkpoint: Path = typer.Argument(..., help="checkpoint.pt, or the run folder holding it."),
    out: Path = typer.Argument(..., help="The .onnx file to write; its name (without .onnx) is the model name."),
    part: Optional[str] = typer.Option(None, help="Which network, for recipes with several (vae: decoder|reconstruction)."),
    description: Optional[str] = typer.Option(None, help="One line for `portraitize models`.",
                                              show_default="the recipe's"),
    fp16: bool = typer.Option(False, help="Also write OUT-fp16.onnx (half the size; for GPU users)."),
    tolerance: float = typer.Option(1e-3, help="Largest allowed |onnxruntime - torch| on random inputs."),
    native_size: Optional[int] = typer.Option(
        None, help="Translators: the long side the converter feeds by default.", show_default="the training size"
    ),
    quality: str = typer.Option("", help="One line of measured quality (from `evaluate`), shown by `portraitize models`."),
) -> None:
    """Export a checkpoint's generator to one self-contained ONNX file, with metadata and a parity check."""
    from .export import ExportError, export_checkpoint

    try:
        export_checkpoint(checkpoint, out, part=part, description=description, fp16=fp16, tolerance=tolerance,
                          native_size=native_size, quality=quality)  # fmt: skip
    except (ExportError, FileNotFoundError, KeyError) as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(2) from None


COLUMN_NOTES = {
    "FID": "FID over MobileNetV2 features", "SSIM": "SSIM: to the photo, grey, 64 px",
    "gap": "gap: share of the photos' KID gap closed", "faces": "faces: kept / found in the photos",
    "blotches": "blotches: translations painting near-black where the photo is bright",
    "same person": "same person: dlib face descriptors < 0.6 apart (mean distance; different sitters' mean)",
}  # fmt: skip


def scores_table(rows, title: str):
    """One line per scored set; the translator columns only when a translator was scored (narrow terminals)."""
    from rich import box
    from rich.table import Table

    cells = [{
        "what": row.name, "images": str(row.images), "FID": f"{row.distance.fid:.1f}",
        "KID x1000": f"{row.distance.kid:.1f} ± {row.distance.kid_std:.1f}",
        "SSIM": "" if row.ssim is None else f"{row.ssim:.3f}",
        "gap": "" if row.gap_closed is None else f"{row.gap_closed:.2f}",
        "faces": "" if row.faces is None else f"{row.faces[1]}/{row.faces[0]}",
        "blotches": "" if row.blotched is None else str(row.blotched),
        "same person": "" if row.identity is None else
        f"{row.identity.same}/{row.identity.faces} ({row.identity.mean_distance:.2f}; {row.identity.between_sitters:.2f})",
    } for row in rows]  # fmt: skip
    columns = [column for column in cells[0] if any(line[column] for line in cells)]
    notes = "; ".join(note for column, note in COLUMN_NOTES.items() if column in columns)
    table = Table(title=title, caption=notes, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in columns:
        # the row names are paths: fold them, and only them, in a narrow terminal
        if column == "what":
            table.add_column(column, overflow="fold", min_width=16)
        else:
            table.add_column(column, justify="right", no_wrap=True)
    for line in cells:
        table.add_row(*(line[column] for column in columns))
    return table


@app.command("evaluate")
def evaluate(
    real: Path = typer.Option(..., help="Held-out real paintings, e.g. ../shared/data/paintings/test."),
    model: Optional[Path] = typer.Option(None, help="An exported .onnx model (run through the converter)."),
    photos: Optional[List[Path]] = typer.Option(None, help="Translators: held-out photo folders to translate; repeatable."),
    images: Optional[List[Path]] = typer.Option(None, help="Folders to score as they are (baselines); repeatable."),
    floor: Optional[Path] = typer.Option(None, help="Real-vs-real reference (e.g. paintings/train) for 'gap closed'."),
    samples: int = typer.Option(1000, help="Samplers: how many images to generate."),
    seed: int = typer.Option(0, help="Seed of the samples and of KID's subsets."),
    features: Path = typer.Option(Path("../shared/weights/mobilenet_v2_imagenet.pth"), help="MobileNetV2 weights (FID-MNv2)."),
    features_script: Optional[Path] = typer.Option(None, help="TorchScript feature network instead (uint8 NCHW 224 -> [N, D])."),
    device: str = typer.Option("auto", help="Device of the model under test (onnxruntime): auto, cpu or cuda."),
    faces: Optional[List[Path]] = typer.Option(None, help="Face-box CSVs: crop the real folders (--real, --floor, --images, --train) around the face, as training with --faces did; repeatable."),
    face_framing: float = typer.Option(2.0, help="Crop side as a multiple of the face size, with --faces."),
    train: Optional[Path] = typer.Option(None, help="Samplers: the training folder, for the memorisation check (nearest training image of 100 samples)."),
    detector_weights: Path = typer.Option(Path("../shared/weights"), help="MTCNN weights folder: translators also report whether the face detector still finds the face."),
    identity: bool = typer.Option(True, help="Translators: judge with dlib's face-recognition network whether each "
                                  "sitter is still the same person (needs the eval extra; skipped with a note without it)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the rows as JSON here."),
) -> None:
    """FID-MNv2 and KID against real paintings; translators add SSIM to the photo, gap closed, faces kept, dark
    blotches and dlib's same-person share."""
    import json

    from rich.console import Console

    from .evaluate import FaceCrops, load_feature_network
    from .evaluate import evaluate as run_evaluation
    from .faces import FaceDetector

    network = load_feature_network(None if features_script else features, features_script)
    crop = FaceCrops.from_csvs(faces, face_framing) if faces else None
    detector = FaceDetector(detector_weights) if model and detector_weights.is_dir() else None
    judge = None
    if model and photos and identity:
        from .identity import IdentityJudge

        try:
            judge = IdentityJudge()
        except ImportError as error:
            typer.secho(f"note: no identity check: {error}", fg="yellow", err=True)
    try:
        rows = run_evaluation(real, network, model, photos or (), images or (), floor, samples, seed, device,
                              crop=crop, detector=detector, judge=judge, train=train)  # fmt: skip
    except (FileNotFoundError, ValueError) as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(2) from None
    if not rows:
        raise typer.BadParameter("nothing to score: give --images or --floor, or --model (a translator with --photos)")
    table = scores_table(rows, title=f"against {real}{' (face crops)' if crop else ''} (features: {features_script or 'MobileNetV2, FID-MNv2'})")
    console = Console()
    console.print(table)
    for row in rows:
        if row.memorisation is not None:
            found = row.memorisation
            console.print(f"memorisation: {found.too_close} of {len(found.nearest)} samples are closer to a training image "
                          f"than the 5th percentile of held-out paintings ({found.threshold:.3f}); closest {min(found.nearest):.3f}")  # fmt: skip
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps({"real": str(real), "rows": [row.as_dict() for row in rows]}, indent=2) + "\n")


@app.command("sample")
def sample(
    checkpoint: Path = typer.Argument(..., help="checkpoint.pt, or the run folder holding it."),
    out: Path = typer.Option(Path("preview.png"), help="Grid PNG to write."),
    count: int = typer.Option(8, help="Samples (or preview photos) in the grid."),
    seed: int = typer.Option(0, help="Seed for the latents of samplers."),
) -> None:
    """Torch-side preview of a checkpoint: a grid of samples, or of photos and their translations."""
    from .preview import write_preview

    write_preview(checkpoint, out, count, seed)
    typer.echo(f"wrote {out}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(show_path=False)])
    logging.getLogger("trainer").setLevel(logging.INFO)  # our own progress notes; libraries stay at warnings
    app(prog_name="python -m trainer")
