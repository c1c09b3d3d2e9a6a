"""`python -m trainer`: train RECIPE, export, average, export-face-detector, export-mediapipe, export-texture,
quantize, latent-check, evaluate, evaluate-upscaler, detect-faces, sample, plot.

Each recipe has its own `train` sub-command whose options are its config dataclass's fields (with the help
in their metadata), followed by the loop's, made the same way from `LoopConfig`.
"""

import inspect
import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.logging import RichHandler

from .latent_check import FIT_COUNT, FIT_SEED
from .options import build_config, config_parameters, with_signature
from .recipes import RECIPES
from .resume_check import check_resume_matches
from .texture_settings import TextureSettings

app = typer.Typer(help="Train, export and preview portraitize models.", no_args_is_help=True, add_completion=False)
train_app = typer.Typer(help="Train a model with one of the recipes.", no_args_is_help=True)
app.add_typer(train_app, name="train")


def fail(error: Exception) -> None:
    """An expected error as one red line, exit code 2; one about a file worded as main() words it, whichever
    path it takes (`x.pt: No such file or directory`, not `[Errno 2] ...`)."""
    typer.secho(f"error: {_about_a_file(error) or error}", fg="red", err=True)
    raise typer.Exit(2) from None


def _register_recipe(recipe: type) -> None:
    """`train RECIPE`: its options are the recipe config's fields, then the loop's."""
    from .loop import LoopConfig

    def command(resume: bool, **kwargs) -> None:
        _train(recipe.name, build_config(recipe.Config, kwargs), build_config(LoopConfig, kwargs), resume)

    resume = inspect.Parameter(
        "resume",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(
            False,
            help="Continue the run in --out from its checkpoint (same recipe options).",
            rich_help_panel="Training loop",
        ),
    )
    parameters = [*config_parameters(recipe.Config), *config_parameters(LoopConfig, "Training loop"), resume]
    summary = (sys.modules[recipe.__module__].__doc__ or recipe.description).strip()
    train_app.command(recipe.name, help=summary)(with_signature(command, parameters))


def _train(recipe_name: str, config, loop, resume: bool) -> None:
    from .loop import Trainer, TrainingDiverged

    try:
        if loop.export_to and Path(loop.export_to).is_dir():  # found now, not after the training it ends
            raise ValueError(f"--export-to {loop.export_to} is a folder: name the .onnx file to write")
        if resume:
            check_resume_matches(recipe_name, config, loop)
        Trainer(recipe_name, config, loop, resume=resume).run()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except (TrainingDiverged, FileExistsError, FileNotFoundError, ValueError) as error:
        fail(error)


for _recipe in RECIPES.values():
    _register_recipe(_recipe)


@app.command("detect-faces")
def detect_faces(
    folder: Path = typer.Argument(..., help="Folder of images (recursive)."),
    out: Path = typer.Argument(
        ..., dir_okay=False, help="CSV to write (path,w,h,x1,y1,x2,y2,prob); use it with --faces."
    ),
    weights: Path = typer.Option(Path("../shared/weights"), help="Folder with mtcnn_pnet/rnet/onet.pt."),
    min_face_size: float = typer.Option(20.0, help="Smallest face to look for, in pixels."),
) -> None:
    """Find the main face (the largest confident one) in every image with MTCNN, for face-aware crops (--faces)."""
    from rich.progress import Progress

    from portraitize.files import check_writable

    from .data import find_images
    from .faces import FaceDetector, write_face_csv

    if out.suffix.lower() != ".csv":  # never an image or a checkpoint replaced by a table
        fail(ValueError(f"{out}: name the .csv file to write"))
    try:
        check_writable(out.parent)  # found now, not after every image is searched for a face
    except OSError as error:
        fail(OSError(f"{out}: cannot be written there ({error.strerror or error})"))
    detector = FaceDetector(weights, min_face_size)
    with Progress() as progress:
        task = progress.add_task("detecting", total=len(find_images(folder)))
        images, found = write_face_csv(folder, out, detector, on_image=lambda: progress.advance(task))
    typer.echo(f"{found} of {images} images have a face; boxes in {out}")


@app.command("export")
def export(
    checkpoint: Path = typer.Argument(..., help="checkpoint.pt, or the run folder holding it."),
    out: Path = typer.Argument(
        ..., dir_okay=False, help="The .onnx file to write; its name (without .onnx) is the model name."
    ),
    part: Optional[str] = typer.Option(
        None, help="Which network, for recipes with several (vae: decoder|reconstruction)."
    ),
    description: Optional[str] = typer.Option(
        None, help="One line for `portraitize models`.", show_default="the recipe's"
    ),
    fp16: bool = typer.Option(False, help="Also write OUT-fp16.onnx (half the size; for GPU users)."),
    tolerance: float = typer.Option(1e-3, help="Largest allowed |onnxruntime - torch| on random inputs."),
    native_size: Optional[int] = typer.Option(
        None, help="Translators: the long side the converter feeds by default.", show_default="the training size"
    ),
    quality: str = typer.Option(
        "", help="One line of measured quality (from `evaluate`), shown by `portraitize models`."
    ),
    face_size: int = typer.Option(
        0,
        help="Translators: the face size (px) in the crops it trained on; the converter "
        "paints each photo at the scale where its main face has this size (0: unknown).",
    ),
    data_licence: Optional[str] = typer.Option(
        None,
        help="The training data's terms as the model's users must read them (shown by `portraitize models`).",
        show_default="the run's --data-licence",
    ),
) -> None:
    """Export a checkpoint's generator to one self-contained ONNX file, with metadata and a parity check."""
    from .export import ExportError, export_checkpoint

    try:
        export_checkpoint(
            checkpoint,
            out,
            part=part,
            description=description,
            fp16=fp16,
            tolerance=tolerance,
            native_size=native_size,
            quality=quality,
            face_size=face_size,
            data_licence=data_licence,
        )
    except (ExportError, FileNotFoundError, KeyError, ValueError) as error:
        fail(error)


@app.command("average")
def average(
    out: Path = typer.Argument(..., dir_okay=False, help="The checkpoint to write (then `export` it)."),
    snapshots: List[Path] = typer.Argument(..., help="Snapshots of one run (`--keep-every`), in any order."),
    part: Optional[str] = typer.Option(None, help="Which network, for recipes with several (as in `export`)."),
) -> None:
    """The mean of a run's snapshots, as a checkpoint: its exported network's weights averaged over a window far
    longer than the run's own moving average (a GAN's wander averaged out)."""
    from .average import average_snapshots
    from .export import ExportError

    if any(out.resolve() == snapshot.resolve() for snapshot in snapshots):
        fail(ValueError(f"{out}: write the mean to another file than the snapshots it is made from"))
    try:
        estimated = average_snapshots(snapshots, out, part)
    except (ExportError, FileNotFoundError, KeyError, ValueError) as error:
        fail(error)
    typer.echo(f"wrote {out}: the mean of {len(snapshots)} snapshots ({estimated} spectral norms re-estimated)")


@app.command("cut-to-generator")
def cut_to_generator(
    source: Path = typer.Argument(
        ..., help="An exported translator whose file holds a fixed stage after its generator."
    ),
    out: Path = typer.Argument(..., dir_okay=False, help="The .onnx file to write: the generator only."),
    description: Optional[str] = typer.Option(None, help="A new description for the cut model."),
) -> None:
    """Cut a translator's ONNX file back to its generator (the fixed brushwork stage of older exports left out),
    checked to give exactly the generator's output on random photos."""
    from .export import ExportError
    from .generator_only import cut_to_generator as cut

    try:
        error = cut(source, out, description)
    except ExportError as error:
        fail(error)
    typer.echo(f"wrote {out}: the generator of {source}, max |difference| {error:.1e}")


@app.command("export-face-detector")
def export_face_detector(
    out: Path = typer.Argument(Path("exported/face-detector.onnx"), dir_okay=False, help="The .onnx file to write."),
    weights: Path = typer.Option(Path("../shared/weights"), help="Folder with mtcnn_pnet/rnet/onet.pt."),
    photos: Optional[List[Path]] = typer.Option(
        None, help="Photos with faces for the parity check; repeatable.", show_default="the repository's examples/*.jpg"
    ),
    tolerance: float = typer.Option(3.0, help="Largest allowed box difference (px) between torch and onnxruntime."),
) -> None:
    """Export MTCNN as the converter's face finder (one ONNX file), checked against torch on real photos."""
    from .export import ExportError
    from .export_face_detector import export_face_detector as export

    chosen = photos or sorted(Path(__file__).resolve().parents[1].joinpath("examples").glob("*.jpg"))
    try:
        worst = export(weights, out, chosen, tolerance)
    except (ExportError, FileNotFoundError) as error:
        fail(error)
    typer.echo(f"wrote {out}: the same faces as torch on {len(chosen)} photos (boxes within {worst:.2g} px)")


@app.command("export-mediapipe")
def export_mediapipe(
    wheel: Optional[Path] = typer.Option(
        None,
        help="A mediapipe wheel that ships the .tflite models (0.10.x; `pip download mediapipe==0.10.14 --no-deps`).",
    ),
    tflite: Optional[List[Path]] = typer.Option(
        None, help="selfie_segmentation.tflite or face_landmark.tflite itself; repeatable (wins over --wheel)."
    ),
    out_dir: Path = typer.Option(Path("exported"), help="Folder to write person-mask.onnx and face-landmarks.onnx to."),
    photos: Optional[List[Path]] = typer.Option(
        None,
        help="Photos (or folders of photos) for the parity check; repeatable.",
        show_default="the repository's examples/*.jpg",
    ),
    max_photos: int = typer.Option(64, help="Use at most this many of them, evenly spread over the sorted list."),
    mask_tolerance: float = typer.Option(1e-3, help="Largest allowed |ONNX - TFLite| of the mask and the presence."),
    point_tolerance: float = typer.Option(0.05, help="Largest allowed |ONNX - TFLite| of a point, in crop pixels."),
) -> None:
    """Export MediaPipe's person mask and face landmarks from their TFLite files (rebuilt in torch) as ONNX,
    checked against the TFLite interpreter on real photos."""
    from portraitize.catalogue import resolve_optional
    from portraitize.face_scale import FaceFinder
    from portraitize.faces import main_face
    from portraitize.model_set import load_face_cascade

    from .data import find_images
    from .export import ExportError
    from .export_mediapipe import export_mediapipe as export
    from .export_mediapipe import read_sources

    if wheel is None and not tflite:
        fail(ValueError("give --wheel (a mediapipe wheel) or --tflite (the .tflite files)"))
    chosen = [
        found
        for path in photos or [Path(__file__).resolve().parents[1] / "examples"]
        for found in (find_images(path) if path.is_dir() else [path])
    ]
    if len(chosen) > max_photos:  # evenly spread: every k-th of the sorted list
        chosen = [chosen[index * len(chosen) // max_photos] for index in range(max_photos)]
    detector = resolve_optional(None, "face_detector")
    finder = FaceFinder(load_face_cascade(detector)) if detector else None
    find_face = (lambda rgb: main_face(finder.faces(rgb))) if finder else None
    try:
        results = export(read_sources(wheel, tflite), out_dir, chosen, find_face, mask_tolerance, point_tolerance)
    except (ExportError, FileNotFoundError, OSError) as error:
        fail(error)
    for name, parity in results.items():
        onnx_errors = ", ".join(f"{error:.2g}" for error in parity.onnx_vs_tflite)
        torch_errors = ", ".join(f"{error:.2g}" for error in parity.torch_vs_tflite)
        typer.echo(
            f"wrote {out_dir / name}.onnx: max |onnxruntime - TFLite| {onnx_errors} (torch: {torch_errors}) "
            f"on {parity.images} inputs ({'mask' if name == 'person-mask' else 'points in crop px, presence'})"
        )


def export_texture(
    out: Path = typer.Argument(
        Path("exported/impasto.onnx"), dir_okay=False, help="The .onnx file to write (its name: the model's)."
    ),
    quality: str = typer.Option("", help="What it was measured to do, one line from its card (stored in the file)."),
    **settings,
) -> None:
    """Export the brushwork stage as the converter's brush texture for enlarged paintings (`--texture`).

    No training: the stage is fixed, and the file is written only if onnxruntime matches torch."""
    from .export import ExportError
    from .export_texture import export_texture as export

    try:
        chosen = build_config(TextureSettings, settings)
    except ValueError as error:  # a setting out of its range, named by its flag
        fail(error)
    try:
        worst = export(out, chosen, quality)
    except ExportError as error:
        fail(error)
    typer.echo(f"wrote {out}: max |onnxruntime - torch| = {worst:.2g}")


# Its options: the two above, then TextureSettings' fields (as a recipe's are its config's).
_explicit = [p for p in inspect.signature(export_texture).parameters.values() if p.kind is not p.VAR_KEYWORD]
app.command("export-texture")(with_signature(export_texture, [*_explicit, *config_parameters(TextureSettings)]))


@app.command("quantize")
def quantize(
    model: Path = typer.Argument(..., help="An exported upscaler or translator (.onnx)."),
    out: Path = typer.Argument(
        ..., dir_okay=False, help="The int8 .onnx file to write; its name (without .onnx) is the model name."
    ),
    paintings: Path = typer.Option(
        Path("../shared/data/paintings/train"), help="Upscalers: paintings whose reduced crops calibrate it."
    ),
    photos: Path = typer.Option(
        Path("../shared/data/photos/train"), help="Translators: photos, prepared as convert does, that calibrate it."
    ),
    crops: int = typer.Option(64, min=1, help="Calibration inputs (crops, or photos)."),
    min_psnr: float = typer.Option(
        38.0,
        help="Write only if the int8 output's PSNR (dB) to the float model's is at least this on every check input.",
    ),
    quality: Optional[str] = typer.Option(
        None, help="One line of measured quality for the copy (its evaluation).", show_default="the model's"
    ),
) -> None:
    """An int8 copy of an upscaler or a translator for the CPU, written only if it stays close to the float one."""
    from portraitize.session import ModelError, load_model

    from .export import ExportError
    from .quantize import CHECKS, quantize

    if out.resolve() == model.resolve():
        fail(ValueError(f"{out}: write the int8 copy to another file than the model it is made from"))
    try:
        kind = load_model(model, "cpu").info.kind  # quantize refuses the kinds it has no inputs for
        worst = quantize(model, out, paintings if kind == "upscaler" else photos, crops, min_psnr, quality)
    except (ExportError, ModelError, OSError, ValueError) as error:
        fail(error)
    typer.echo(
        f"wrote {out}: PSNR to {model}'s output at least {worst:.1f} dB on {CHECKS} other inputs than calibrated on"
    )


@app.command("latent-check")
def latent_check(
    model: Path = typer.Argument(..., help="An exported sampler (.onnx); its latent_check metadata is (re)written."),
    latents: int = typer.Option(
        FIT_COUNT,
        min=100,
        help=f"Latents of seed {FIT_SEED} painted and judged by the face check (at least 10 per latent value).",
    ),
    keep: float = typer.Option(
        0.3, min=0.05, max=1.0, help="Share of latents the check keeps (chosen by eye: bench/face_check.py)."
    ),
) -> None:
    """Fit a sampler's latent check to the face check's verdicts, so `portraitize sample` steps over latents that
    tend to give broken faces before painting them (trainer/latent_check.py)."""
    from rich.progress import Progress

    from portraitize.face_check import PASSES
    from portraitize.sampling import bundled_face_scores
    from portraitize.session import ModelError, load_model

    from .latent_check import check_count, fit, verdicts_of, without_latent_check, write_latent_check

    try:
        sampler = load_model(without_latent_check(model), "cpu")  # a sampler: without_latent_check refuses others
        check_count(latents, sampler.info.latent_size)
        scores = bundled_face_scores()
        with Progress() as progress:
            task = progress.add_task("painting and judging", total=latents)
            found, good = verdicts_of(
                sampler,
                latents,
                lambda images: [score is not None and score >= PASSES for score in scores(images, exact=False)],
                on_batch=lambda done: progress.update(task, completed=done),
            )
        check = fit(found, good, keep)
        write_latent_check(model, check)
    except (ModelError, OSError, ValueError) as error:
        fail(error)
    typer.echo(
        f"wrote the latent check into {model}: keeps {keep:.0%} of latents; the face check passed "
        f"{check.passed:.1%} of {latents}; held-out AUC {check.held_out_auc:.3f}"
    )


@app.command("evaluate")
def evaluate(
    real: Path = typer.Option(..., help="Held-out real paintings, e.g. ../shared/data/paintings/test."),
    model: Optional[Path] = typer.Option(None, help="An exported .onnx model (run through the converter)."),
    photos: Optional[List[Path]] = typer.Option(
        None, help="Translators: held-out photo folders to translate; repeatable."
    ),
    images: Optional[List[Path]] = typer.Option(None, help="Folders to score as they are (baselines); repeatable."),
    floor: Optional[Path] = typer.Option(None, help="Real-vs-real reference (e.g. paintings/train) for 'gap closed'."),
    samples: int = typer.Option(1000, help="Samplers: how many images to generate."),
    seed: int = typer.Option(0, help="Seed of the samples and of KID's subsets."),
    truncation: Optional[float] = typer.Option(
        None, min=0.01, help="Samplers: --truncation of `portraitize sample` (latent values beyond +-T redrawn)."
    ),
    face_check: Optional[bool] = typer.Option(
        None,
        "--face-check/--no-face-check",
        help="Samplers: --face-check of `portraitize sample` (portraits whose face the face mesh doubts redrawn).",
        show_default="as `portraitize sample`",
    ),
    every_latent: bool = typer.Option(
        False, "--every-latent", help="Samplers: --every-latent of `portraitize sample` (no latent check)."
    ),
    features: Path = typer.Option(
        Path("../shared/weights/mobilenet_v2_imagenet.pth"), help="MobileNetV2 weights (FID-MNv2)."
    ),
    features_script: Optional[Path] = typer.Option(
        None, help="TorchScript feature network instead (uint8 NCHW 224 -> [N, D])."
    ),
    device: str = typer.Option("auto", help="Device of the model under test (onnxruntime): auto, cpu or cuda."),
    faces: Optional[List[Path]] = typer.Option(
        None,
        help="Face-box CSVs: crop the real folders (--real, --floor, --images, --train) around the face, as training with --faces did; repeatable.",
    ),
    face_framing: float = typer.Option(2.0, help="Crop side as a multiple of the face size, with --faces."),
    train: Optional[Path] = typer.Option(
        None,
        help="Samplers: the training folder, for the memorisation checks (nearest training image of 100 samples, "
        "in feature space and in grey 32 px pixels).",
    ),
    closest: Optional[Path] = typer.Option(
        None, help="Samplers, with --train: write the 8 closest sample/training pairs of each check here (PNG/JPEG)."
    ),
    detector_weights: Path = typer.Option(
        Path("../shared/weights"),
        help="MTCNN weights folder: translators also report whether the face detector still finds the face.",
    ),
    scale: str = typer.Option("auto", help="Translators: --scale of `portraitize convert` (auto or long-side)."),
    upscaler: Optional[str] = typer.Option(
        None,
        help="Translators: --upscaler of `portraitize convert` (none: resize).",
        show_default="painting-x4 when installed",
    ),
    texture: Optional[str] = typer.Option(
        None,
        help="Translators: --texture of `portraitize convert` (a brush texture's name or path).",
        show_default="none",
    ),
    painter: str = typer.Option("strokes", help="Translators: --painter of `portraitize convert` (strokes or none)."),
    fineness: str = typer.Option("normal", help="Translators: --fineness of `portraitize convert`."),
    background: str = typer.Option("auto", help="Translators: --background of `portraitize convert`."),
    identity: bool = typer.Option(
        True,
        help="Translators: judge with dlib's face-recognition network whether each "
        "sitter is still the same person (needs the eval extra; skipped with a note without it).",
    ),
    json_out: Optional[Path] = typer.Option(None, "--json", dir_okay=False, help="Also write the rows as JSON here."),
) -> None:
    """FID-MNv2 and KID against real paintings; translators add SSIM to the photo, gap closed, faces kept, dark
    blotches and dlib's same-person share."""
    import json

    from rich.console import Console

    from portraitize.painter_settings import PainterRequest
    from portraitize.session import ModelError

    from .evaluate import FaceCrops, load_feature_network, scores_table
    from .evaluate import evaluate as run_evaluation
    from .faces import FaceDetector

    if model and face_check is not False:  # a face check needs its model: said before minutes of embedding
        from portraitize.sampling import bundled_face_landmarks, face_check_runs
        from portraitize.session import load_model

        try:
            info = load_model(model, "cpu").info
            if info.kind == "sampler" and face_check_runs(info, face_check):
                bundled_face_landmarks()
        except ModelError as error:
            fail(error)

    network = load_feature_network(None if features_script else features, features_script)
    try:
        crop = FaceCrops.from_csvs(faces, face_framing) if faces else None
    except ValueError as error:
        fail(error)
    detector = FaceDetector(detector_weights) if model and detector_weights.is_dir() else None
    judge = None
    if model and photos and identity:
        from .identity import IdentityJudge

        try:
            judge = IdentityJudge()
        except ImportError as error:
            typer.secho(f"note: no identity check: {error}", fg="yellow", err=True)
    try:
        rows = run_evaluation(
            real,
            network,
            model,
            photos or (),
            images or (),
            floor,
            samples,
            seed,
            device,
            crop=crop,
            detector=detector,
            judge=judge,
            train=train,
            scale=scale,
            upscaler=upscaler,
            closest_out=closest,
            texture=texture,
            painter=PainterRequest(painter, fineness, background),
            truncation=truncation,
            face_check=face_check,
            every_latent=every_latent,
        )
    except (FileNotFoundError, ValueError, ModelError) as error:
        fail(error)
    if not rows:
        raise typer.BadParameter("nothing to score: give --images or --floor, or --model (a translator with --photos)")
    table = scores_table(
        rows,
        title=f"against {real}{' (face crops)' if crop else ''} (features: {features_script or 'MobileNetV2, FID-MNv2'})",
    )
    console = Console()
    console.print(table)
    for row in rows:
        for check in row.memorisation:
            console.print(check.summary())
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps({"real": str(real), "rows": [row.as_dict() for row in rows]}, indent=2) + "\n")


@app.command("evaluate-upscaler")
def evaluate_upscaler(
    model: Path = typer.Argument(..., help="An exported upscaler (.onnx)."),
    paintings: Path = typer.Option(..., help="Held-out paintings, e.g. ../shared/data/paintings/test."),
    size: int = typer.Option(256, help="Side of each painting's centred square, the target (px)."),
    features: Path = typer.Option(Path("../shared/weights/mobilenet_v2_imagenet.pth"), help="MobileNetV2 weights."),
    json_out: Optional[Path] = typer.Option(None, "--json", dir_okay=False, help="Also write the scores as JSON here."),
) -> None:
    """PSNR and MobileNetV2 feature distance of an upscaler against bicubic enlargement, on held-out paintings."""
    import json

    from .evaluate_upscaler import evaluate_upscaler as run
    from .models.mobilenet_v2 import FeatureNetwork

    try:
        scores = run(model, paintings, FeatureNetwork(features), size)
    except (FileNotFoundError, ValueError) as error:
        fail(error)
    typer.echo(
        f"{scores.images} paintings, x{scores.factor}: PSNR {scores.psnr_model:.2f} dB (bicubic {scores.psnr_bicubic:.2f}), "
        f"feature distance {scores.feature_distance_model:.4f} (bicubic {scores.feature_distance_bicubic:.4f})"
    )
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(scores.as_dict(), indent=2) + "\n")


@app.command("sample")
def sample(
    checkpoint: Path = typer.Argument(..., help="checkpoint.pt, or the run folder holding it."),
    out: Path = typer.Option(Path("preview.png"), dir_okay=False, help="Grid PNG to write."),
    count: int = typer.Option(8, min=1, help="Samples (or preview photos) in the grid."),
    seed: int = typer.Option(0, help="Seed for the latents of samplers."),
) -> None:
    """Torch-side preview of a checkpoint: a grid of samples, or of photos and their translations."""
    from .preview import write_preview

    write_preview(checkpoint, out, count, seed)
    typer.echo(f"wrote {out}")


@app.command("plot")
def plot(
    runs: List[Path] = typer.Argument(..., help="Run folders (or their log.jsonl files); one colour each."),
    out: Path = typer.Option(Path("curves.png"), dir_okay=False, help="PNG to write."),
    smoothing: float = typer.Option(0.6, min=0.0, max=0.999, help="Weight of the moving average (0: raw values)."),
) -> None:
    """Training curves from log.jsonl: one panel per loss (D(x) with D(G(z))), several runs overlaid."""
    from .plot import PlotError, plot_runs

    try:
        plot_runs(runs, out, smoothing)
    except PlotError as error:
        fail(error)
    typer.echo(f"wrote {out}")


def main() -> None:
    """The commands, with a file of the wrong kind, or none, where one is needed said in one line (exit 2)
    whichever command met it, not as a traceback: an OSError about a named file, or our own errors about a file
    (a checkpoint, a model, an image). Anything else is a bug, and keeps its traceback; so does everything with
    PORTRAITIZE_DEBUG set."""
    from portraitize.text import debugging

    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(show_path=False)])
    logging.getLogger("trainer").setLevel(logging.INFO)  # our own progress notes; libraries stay at warnings
    try:
        app(prog_name="python -m trainer")
    except Exception as error:
        said = None if debugging() else _about_a_file(error)
        if said is None:
            raise
        typer.secho(f"error: {said}", fg="red", err=True)
        sys.exit(2)


def _about_a_file(error: Exception) -> str | None:
    """The one line for an error about a file the user named; None for any other (a bug, or a full disk)."""
    if isinstance(error, OSError):  # the system's, about a named file; or ours, a message naming the file
        if error.filename:
            return f"{error.filename}: {error.strerror or error}"
        return str(error) if error.errno is None else None
    # Only modules already imported can have raised their errors: `--help` imports none of them.
    known = [
        getattr(sys.modules.get(module), name, None)
        for module, name in (
            ("trainer.checkpoint", "CheckpointError"),
            ("trainer.export", "ExportError"),
            ("portraitize.session", "ModelError"),
            ("PIL", "UnidentifiedImageError"),
        )
    ]
    return str(error) if isinstance(error, tuple(kind for kind in known if kind is not None)) else None
