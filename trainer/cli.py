"""`python -m trainer`: train RECIPE, export CKPT OUT.onnx, sample CKPT.

Each recipe has its own `train` sub-command whose options are its config's fields; the loop's options
(steps, batch size, time budget, ...) are added to every one of them by `recipe_command`.
"""

import dataclasses
import functools
import inspect
import logging
from pathlib import Path
from typing import List, Optional

import typer
from rich.logging import RichHandler

from .recipes.cyclegan import CycleGANConfig
from .recipes.dcgan import DCGANConfig
from .recipes.style import StyleConfig
from .recipes.unet import UNetConfig
from .recipes.vae import VAEConfig

app = typer.Typer(help="Train, export and preview portraitize models.", no_args_is_help=True, add_completion=False)
train_app = typer.Typer(help="Train a model with one of the recipes.", no_args_is_help=True)
app.add_typer(train_app, name="train")

MOBILENET_HELP = "ImageNet MobileNetV2 state_dict (see ../shared/weights/SOURCE.md); never downloaded."

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
]
RESUMABLE_CHANGES = {"steps", "time_budget_minutes", "export_to", "sample_every", "checkpoint_every", "log_every"}


def recipe_command(recipe_name: str):
    """Turn `f(recipe options) -> Config` into a Typer command that also takes the loop options and trains."""

    def decorate(function):
        @functools.wraps(function)
        def command(**kwargs):
            loop_kwargs = {name: kwargs.pop(name) for name, *_ in LOOP_OPTIONS}
            _train(recipe_name, function(**kwargs), loop_kwargs)

        signature = inspect.signature(function)
        loop_parameters = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                              default=typer.Option(default, help=text, rich_help_panel="Training loop"))
            for name, kind, default, text in LOOP_OPTIONS
        ]  # fmt: skip
        parameters = [parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY) for parameter in signature.parameters.values()]
        command.__signature__ = signature.replace(parameters=[*parameters, *loop_parameters], return_annotation=None)
        command.__annotations__ = {**function.__annotations__, **{name: kind for name, kind, *_ in LOOP_OPTIONS}}
        command.__annotations__.pop("return", None)
        return train_app.command(recipe_name)(command)

    return decorate


def _train(recipe_name: str, config, loop_kwargs: dict) -> None:
    from .loop import LoopConfig, Trainer, TrainingDiverged

    resume = loop_kwargs.pop("resume")
    export_to = loop_kwargs.pop("export_to")
    loop = LoopConfig(
        out=str(loop_kwargs.pop("out")),
        time_budget_minutes=loop_kwargs.pop("time_budget"),
        face_boxes=tuple(str(path) for path in loop_kwargs.pop("faces") or ()),
        export_to=str(export_to) if export_to else None,
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


@recipe_command("style")
def style(
    photos: Path = typer.Option(..., help="Folder of content photos (recursive)."),
    style_image: Path = typer.Option(..., help="The painting whose style the network learns."),
    feature_weights: Path = typer.Option(Path("../shared/weights/mobilenet_v2_imagenet.pth"), help=MOBILENET_HELP),
    size: int = typer.Option(256, help="Training crop size (px)."),
    style_size: int = typer.Option(256, help="Short side of the painting for its Gram matrices (brush scale)."),
    width: int = typer.Option(32, help="Channels of the first layer (x2, x4 deeper)."),
    residual_blocks: int = typer.Option(5, help="Residual blocks at 1/4 resolution."),
    content_weight: float = typer.Option(1.0, help="Weight of the perceptual content loss."),
    style_weight: float = typer.Option(5000.0, help="Weight of the Gram-matrix style loss."),
    tv_weight: float = typer.Option(0.5, help="Weight of the total-variation loss."),
    lr: float = typer.Option(1e-3, help="Adam learning rate."),
) -> StyleConfig:
    """Fast neural style transfer (Johnson et al.): a photo -> painting network for one painting."""
    return StyleConfig(
        photos=str(photos), style_image=str(style_image), feature_weights=str(feature_weights), size=size,
        style_size=style_size, width=width, residual_blocks=residual_blocks, content_weight=content_weight,
        style_weight=style_weight, tv_weight=tv_weight, lr=lr,
    )  # fmt: skip


@recipe_command("unet")
def unet(
    photos: Path = typer.Option(..., help="Folder of photos (recursive)."),
    paintings: Path = typer.Option(..., help="Folder of paintings (recursive); not paired with the photos."),
    encoder: str = typer.Option("mobilenet_v2", help="mobilenet_v2 (ImageNet weights) or resnet18."),
    encoder_weights: Optional[Path] = typer.Option(
        Path("../shared/weights/mobilenet_v2_imagenet.pth"), help="Encoder state_dict; --encoder-weights '' trains from scratch."
    ),
    size: int = typer.Option(256, help="Training crop size (px, a multiple of 32)."),
    width: int = typer.Option(32, help="Decoder channels at full resolution."),
    d_width: int = typer.Option(64, help="PatchGAN channels in its first layer."),
    adversarial_weight: float = typer.Option(1.0, help="Weight of the LSGAN loss towards paintings."),
    content: str = typer.Option("lowpass", help="lowpass (L1 of blurred images) or perceptual (MobileNetV2)."),
    content_weight: float = typer.Option(10.0, help="Weight of the content loss (keeps the sitter)."),
    lowpass_factor: int = typer.Option(8, help="Average-pool factor of the lowpass content loss."),
    feature_weights: Path = typer.Option(Path("../shared/weights/mobilenet_v2_imagenet.pth"), help=MOBILENET_HELP),
    identity_weight: float = typer.Option(5.0, help="Weight of L1(G(painting), painting)."),
    lr: float = typer.Option(2e-4, help="Adam learning rate of G and D."),
    beta1: float = typer.Option(0.5, help="Adam beta1."),
    diffaugment: str = typer.Option("", help="DiffAugment policy for D's inputs, e.g. color,translation,cutout."),
) -> UNetConfig:
    """pix2pix-style photo -> painting translator (U-Net, pretrained encoder, PatchGAN) for unpaired data."""
    return UNetConfig(
        photos=str(photos), paintings=str(paintings), encoder=encoder,
        encoder_weights=str(encoder_weights) if encoder_weights and str(encoder_weights) not in ("", ".") else None,
        size=size, width=width, d_width=d_width, adversarial_weight=adversarial_weight, content=content,
        content_weight=content_weight, lowpass_factor=lowpass_factor, feature_weights=str(feature_weights),
        identity_weight=identity_weight, lr=lr, beta1=beta1, diffaugment=diffaugment,
    )  # fmt: skip


@recipe_command("cyclegan")
def cyclegan(
    photos: Path = typer.Option(..., help="Folder of photos (recursive)."),
    paintings: Path = typer.Option(..., help="Folder of paintings (recursive)."),
    size: int = typer.Option(256, help="Training crop size (px)."),
    width: int = typer.Option(64, help="Generator channels in its first layer."),
    residual_blocks: int = typer.Option(9, help="Residual blocks (6 is usual at 128 px)."),
    d_width: int = typer.Option(64, help="PatchGAN channels in its first layer."),
    cycle_weight: float = typer.Option(10.0, help="Weight of the cycle-consistency L1 losses."),
    identity_weight: float = typer.Option(0.5, help="Identity loss weight, relative to --cycle-weight."),
    pool_size: int = typer.Option(50, help="Past fakes kept for the critics (0: none)."),
    lr: float = typer.Option(2e-4, help="Adam learning rate."),
    beta1: float = typer.Option(0.5, help="Adam beta1."),
    decay_fraction: float = typer.Option(0.5, help="Last share of the run over which the learning rate decays to 0."),
) -> CycleGANConfig:
    """CycleGAN: unpaired photo <-> painting translators; exports photo -> painting."""
    return CycleGANConfig(
        photos=str(photos), paintings=str(paintings), size=size, width=width, residual_blocks=residual_blocks,
        d_width=d_width, cycle_weight=cycle_weight, identity_weight=identity_weight, pool_size=pool_size, lr=lr,
        beta1=beta1, decay_fraction=decay_fraction,
    )  # fmt: skip


@recipe_command("dcgan")
def dcgan(
    images: Path = typer.Option(..., help="Folder of training portraits (recursive)."),
    size: int = typer.Option(64, help="Output size: 64 or 128."),
    latent_size: int = typer.Option(128, help="Length of the latent vector."),
    width: int = typer.Option(64, help="Channels at full resolution (doubled per halving, capped)."),
    max_channels: int = typer.Option(512, help="Cap on channels in G and D."),
    loss: str = typer.Option("bce", help="bce (original non-saturating DCGAN), hinge or lsgan."),
    label_smoothing: float = typer.Option(0.0, help="One-sided: real label = 1 - this (bce/lsgan)."),
    label_noise: float = typer.Option(0.0, help="Probability of flipping each D label (bce/lsgan)."),
    r1_gamma: float = typer.Option(0.0, help="R1 gradient penalty weight (0: off)."),
    spectral_norm: bool = typer.Option(False, help="Spectral norm in D instead of batch norm."),
    optimizer: str = typer.Option("adam", help="adam (beta1 below, beta2 0.999) or rmsprop."),
    lr: float = typer.Option(2e-4, help="Learning rate of G and D."),
    beta1: float = typer.Option(0.5, help="Adam beta1."),
    diffaugment: str = typer.Option("", help="DiffAugment policy for D's inputs, e.g. color,translation,cutout."),
) -> DCGANConfig:
    """DCGAN: a generator of new portraits from random latents (64 or 128 px)."""
    return DCGANConfig(
        images=str(images), size=size, latent_size=latent_size, width=width, max_channels=max_channels, loss=loss,
        label_smoothing=label_smoothing, label_noise=label_noise, r1_gamma=r1_gamma, spectral_norm=spectral_norm,
        optimizer=optimizer, lr=lr, beta1=beta1, diffaugment=diffaugment,
    )  # fmt: skip


@recipe_command("vae")
def vae(
    images: Path = typer.Option(..., help="Folder of training portraits (recursive)."),
    size: int = typer.Option(64, help="Image size (a power of two)."),
    latent_size: int = typer.Option(128, help="Length of the latent vector."),
    width: int = typer.Option(32, help="Channels at full resolution (doubled per halving, capped)."),
    max_channels: int = typer.Option(256, help="Cap on channels."),
    beta: float = typer.Option(1.0, help="Weight of the KL term (beta-VAE when > 1)."),
    lr: float = typer.Option(1e-3, help="Adam learning rate."),
) -> VAEConfig:
    """Colour VAE: samples new portraits (decoder) and reconstructs photos (whole model)."""
    return VAEConfig(images=str(images), size=size, latent_size=latent_size, width=width, max_channels=max_channels,
                     beta=beta, lr=lr)  # fmt: skip


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
    description: Optional[str] = typer.Option(None, help="One line for `portraitize models` [default: the recipe's]."),
    fp16: bool = typer.Option(False, help="Also write OUT-fp16.onnx (half the size; for GPU users)."),
    tolerance: float = typer.Option(1e-3, help="Largest allowed |onnxruntime - torch| on random inputs."),
    native_size: Optional[int] = typer.Option(
        None, help="Translators: the long side the converter feeds by default [default: the training size]."
    ),
) -> None:
    """Export a checkpoint's generator to one self-contained ONNX file, with metadata and a parity check."""
    from .export import ExportError, export_checkpoint

    try:
        export_checkpoint(checkpoint, out, part=part, description=description, fp16=fp16, tolerance=tolerance,
                          native_size=native_size)  # fmt: skip
    except (ExportError, FileNotFoundError, KeyError) as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(2) from None


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
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the rows as JSON here."),
) -> None:
    """FID-MNv2 and KID against real paintings; for translators also SSIM to the photo and the gap closed."""
    import json

    from rich.console import Console
    from rich.table import Table

    from .evaluate import evaluate as run_evaluation
    from .evaluate import load_feature_network

    network = load_feature_network(None if features_script else features, features_script)
    rows = run_evaluation(real, network, model, photos or (), images or (), floor, samples, seed, device)
    table = Table(title=f"against {real} (features: {features_script or 'MobileNetV2, FID-MNv2'})")
    for column in ("what", "images", "FID-MNv2", "KID x1000", "SSIM grey 64", "gap closed"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for row in rows:
        table.add_row(row.name, str(row.images), f"{row.distance.fid:.1f}", f"{row.distance.kid:.1f} +- {row.distance.kid_std:.1f}",
                      "" if row.ssim is None else f"{row.ssim:.3f}", "" if row.gap_closed is None else f"{row.gap_closed:.2f}")  # fmt: skip
    Console().print(table)
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
