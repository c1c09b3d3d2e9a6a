"""How good is a model: FID-MNv2 and KID against real paintings, and content preservation for translators.

The usual Inception weights cannot be downloaded here, so features are the pooled 1280-d activations of
the ImageNet MobileNetV2 ("FID-MNv2": comparable only within this project). Any TorchScript module that maps
uint8 [N, 3, 224, 224] to [N, D] can replace it (`--features-script`), e.g. an Inception where one exists.
The statistics themselves (Frechet distance; unbiased KID over random subsets) are torchmetrics'.
Images are squashed to 224 px, as in `../shared/data/README.md`.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from portraitize.painter_settings import PainterRequest

from .checkpoint import read_torch_file
from .data import FaceBox, find_images, read_face_boxes, read_rgb, square_crop
from .identity import IdentityScore
from .memorisation import Memorisation, check_memorisation, save_closest_pairs
from .models.mobilenet_v2 import FeatureNetwork

log = logging.getLogger(__name__)

FEATURE_SIZE = 224


class MobileNetFeatures(nn.Module):
    """uint8 [N, 3, 224, 224] -> pooled ImageNet MobileNetV2 features [N, 1280], through the trainer's one
    FeatureNetwork (the same frozen network the perceptual losses use)."""

    num_features = 1280

    def __init__(self, weights: Path | None):
        super().__init__()
        self.network = FeatureNetwork(weights)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images.float() / 127.5 - 1, ("head",))["head"].mean(dim=(2, 3))


def load_feature_network(weights: Path | None, script: Path | None = None) -> nn.Module:
    """The feature network from its MobileNetV2 weights file, or from a TorchScript file (tests' tiny networks;
    `weights` None then)."""
    if script is not None:
        return read_torch_file(
            script, "a TorchScript network", lambda: torch.jit.load(str(script), map_location="cpu")
        ).eval()
    if weights is None:  # MobileNetV2 would fall back to random weights, and every distance would be ~0
        raise ValueError("the feature network needs its MobileNetV2 weights or a TorchScript file")
    return MobileNetFeatures(weights)


@dataclasses.dataclass
class FaceCrops:
    """Crop real images as face-aware training did: a square `framing` x the face where a box is known, else centred.

    Samplers trained on such crops must be compared with the same crops of the real sets.
    """

    boxes: dict[Path, FaceBox]
    framing: float = 2.0

    @classmethod
    def from_csvs(cls, csvs: Iterable[Path], framing: float = 2.0) -> FaceCrops:
        boxes: dict[Path, FaceBox] = {}
        for csv_path in csvs:
            boxes |= read_face_boxes(csv_path)
        return cls(boxes, framing)

    def __call__(self, path: Path, image: np.ndarray) -> np.ndarray:
        left, top, right, bottom = square_crop(
            image.shape[1], image.shape[0], self.boxes.get(path.resolve()), self.framing
        )
        return image[top:bottom, left:right]


def folder_images(
    folder: Path, limit: int | None = None, crop: FaceCrops | None = None
) -> tuple[list[Path], list[np.ndarray]]:
    """Readable images of a folder (recursive, sorted), as uint8 RGB arrays, optionally face-cropped."""
    paths, images = [], []
    for path in find_images(folder):
        try:
            image = np.asarray(read_rgb(path))
        except OSError:
            image = None
        if image is not None:
            paths.append(path)
            images.append(image if crop is None else crop(path, image))
        if limit is not None and len(images) == limit:
            break
    if not images:
        raise ValueError(f"{folder}: no readable images")
    if crop is not None and not any(path.resolve() in crop.boxes for path in paths):
        log.warning("--faces: no box names an image of %s: its images are centre-cropped", folder)
    return paths, images


def embed(images: Iterable[np.ndarray], network: nn.Module, batch_size: int = 32) -> torch.Tensor:
    """Feature vectors [N, D] of RGB arrays, each squashed to 224x224."""
    chunks, batch = [], []

    def flush() -> None:
        tensor = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2)
        chunks.append(network(tensor).double())
        batch.clear()

    for image in images:
        squashed = Image.fromarray(image).resize((FEATURE_SIZE, FEATURE_SIZE), Image.Resampling.BICUBIC)
        batch.append(np.asarray(squashed))
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    return torch.cat(chunks)


class _Precomputed(nn.Module):
    """Lets torchmetrics take feature vectors we already computed (each set is embedded once)."""

    def __init__(self, dimensions: int):
        super().__init__()
        self.num_features = dimensions

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


@dataclasses.dataclass
class Distance:
    fid: float
    kid: float  # x1000, mean over subsets
    kid_std: float  # x1000
    spread: float  # the scored set's own variety: its pictures' mean distance from one another in feature space

    def as_dict(self) -> dict[str, float]:
        return {
            "fid_mnv2": round(self.fid, 2),
            "kid_x1000": round(self.kid, 2),
            "kid_std_x1000": round(self.kid_std, 2),
            "spread": round(self.spread, 3),
        }


def distance(real: torch.Tensor, fake: torch.Tensor, subsets: int = 50, seed: int = 0) -> Distance:
    """FID and unbiased KID (cubic polynomial kernel, subsets the size of the smaller set, at most 1000), and the
    spread of `fake`: a sampler that paints one face over and over can still sit near the real set by KID, and its
    spread, beside the real paintings' own (a row of them scored: the floor), says so."""
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    warnings.filterwarnings("ignore", message=".*will save all extracted features in buffer.*")
    dimensions = real.shape[1]
    fid = FrechetInceptionDistance(feature=_Precomputed(dimensions))
    kid = KernelInceptionDistance(
        feature=_Precomputed(dimensions), subsets=subsets, subset_size=min(1000, len(real), len(fake))
    )
    for metric in (fid, kid):
        metric.update(real, real=True)  # (KID's warning about keeping features in memory is moot: we hold them)
        metric.update(fake, real=False)
    torch.manual_seed(seed)  # KID draws its subsets from torch's global generator
    kid_mean, kid_std = kid.compute()
    spread = float(torch.pdist(fake.double()).mean()) if len(fake) > 1 else 0.0
    return Distance(float(fid.compute()), float(kid_mean) * 1000, float(kid_std) * 1000, spread)


def mean_ssim(originals: list[np.ndarray], results: list[np.ndarray], size: int = 64) -> float:
    """Mean SSIM between each pair, both as greyscale squashed to size x size (is the sitter still there?)."""
    from torchmetrics.functional.image import structural_similarity_index_measure as ssim

    def grey(images: list[np.ndarray]) -> torch.Tensor:
        small = [
            np.asarray(Image.fromarray(image).convert("L").resize((size, size), Image.Resampling.BICUBIC))
            for image in images
        ]
        return torch.from_numpy(np.stack(small)).float().unsqueeze(1) / 255

    return float(ssim(grey(results), grey(originals), data_range=1.0, reduction="none").mean())


def has_dark_blotch(original: np.ndarray, result: np.ndarray, share: float = 0.002) -> bool:
    """Did the translator paint near-black where the photo is bright, over more than `share` of the image?

    The failure GAN translators hide from KID, SSIM and face detection alike: a few dark droplets on a
    bright face barely move those, yet ruin the portrait. The photo's own shadows never count.
    """

    def luminance(image: Image.Image) -> np.ndarray:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255

    photo = Image.fromarray(original).resize((result.shape[1], result.shape[0]))  # compared at the result's size
    return float(((luminance(Image.fromarray(result)) < 0.12) & (luminance(photo) > 0.45)).mean()) > share


def translate_with_converter(
    model: Path,
    images: list[np.ndarray],
    device: str = "auto",
    scale: str = "auto",
    upscaler: str | None = None,
    texture: str | None = None,
    painter: PainterRequest = PainterRequest(),
) -> list[np.ndarray]:
    """Run an exported translator through `portraitize convert`'s own paint chain with the same --scale,
    --upscaler, --texture and stroke painter (by default: face-scaled painting, brought to the photo's size as
    convert brings it, painted in strokes)."""
    from portraitize.catalogue import resolve_optional, upscaler_for
    from portraitize.chain import PaintChain
    from portraitize.images import Photo
    from portraitize.model_set import ModelSources
    from portraitize.translate import PaintSettings

    models = ModelSources(
        model,
        upscaler_for(upscaler, in_strokes=painter.painter != "none"),
        resolve_optional(None, "face_detector"),
        resolve_optional(texture, "texture") if texture else None,
        resolve_optional(None, "person_mask") if painter.painter != "none" else None,
        resolve_optional(None, "face_landmarks") if painter.painter != "none" else None,
    ).load(device)
    info = models.translator.info
    strokes = painter.settings_for(info.face_size)
    settings = PaintSettings(max_size=info.native_size, scale=scale, face_size=info.face_size, strokes=strokes)
    chain = PaintChain(models, settings)
    return [np.asarray(chain.paint(Photo(rgb=rgb, alpha=None, icc_profile=None, exif=None))) for rgb in images]


def sample_with_converter(
    model: Path,
    count: int,
    seed: int,
    device: str = "auto",
    truncation: float | None = None,
    face_check: bool | None = None,
    every_latent: bool = False,
) -> list[np.ndarray]:
    """As `portraitize sample` paints them; `face_check` None: as the sampler's default."""
    from portraitize.sampling import bundled_face_scores, face_check_runs, paint_samples
    from portraitize.session import load_model

    sampler = load_model(model, device, kind="sampler")
    face_scores = bundled_face_scores() if face_check_runs(sampler.info, face_check) else None
    samples = paint_samples(
        sampler, count, seed, truncation, batch_size=50, face_scores=face_scores, every_latent=every_latent
    )
    return list(samples.images)


def face_retention(detector, originals: list[np.ndarray], results: list[np.ndarray]) -> tuple[int, int]:
    """(photos where the detector finds a face, of those the ones whose translation still shows one)."""
    found = kept = 0
    for original, result in zip(originals, results):
        if detector.main_face(original) is not None:
            found += 1
            kept += detector.main_face(result) is not None
    return found, kept


@dataclasses.dataclass
class Row:
    name: str
    images: int
    distance: Distance
    ssim: float | None = None
    gap_closed: float | None = None
    faces: tuple[int, int] | None = None  # (inputs with a face, translations that kept it)
    blotched: int | None = None  # translations with a dark blotch where the photo is bright
    identity: IdentityScore | None = None  # dlib's verdict: is the sitter still the same person?
    memorisation: list[Memorisation] = dataclasses.field(default_factory=list)  # samplers: one per space

    def as_dict(self) -> dict:
        row = {"name": self.name, "images": self.images, **self.distance.as_dict()}
        if self.ssim is not None:
            row["ssim_grey64"] = round(self.ssim, 4)
        if self.gap_closed is not None:
            row["gap_closed"] = round(self.gap_closed, 3)
        if self.faces is not None:
            row["faces_in_inputs"], row["faces_kept"] = self.faces
        if self.blotched is not None:
            row["dark_blotches"] = self.blotched
        if self.identity is not None:
            row["identity"] = self.identity.as_dict()
        if self.memorisation:
            row["memorisation"] = {check.space: check.as_dict() for check in self.memorisation}
        return row


def evaluate(
    real: Path,
    network: nn.Module,
    model: Path | None = None,
    photos: Iterable[Path] = (),
    images: Iterable[Path] = (),
    floor: Path | None = None,
    samples: int = 1000,
    seed: int = 0,
    device: str = "auto",
    crop: FaceCrops | None = None,
    detector=None,
    judge=None,
    train: Path | None = None,
    scale: str = "auto",
    upscaler: str | None = None,
    closest_out: Path | None = None,
    texture: str | None = None,
    painter: PainterRequest = PainterRequest(),
    truncation: float | None = None,
    face_check: bool | None = None,
    every_latent: bool = False,
) -> list[Row]:
    """Score folders and/or a model against the real paintings in `real`.

    `crop` face-crops every real folder (not the model's outputs); `detector` (a FaceDetector) adds face
    retention to translator rows, `judge` (an IdentityJudge) whether the sitter is the same person; `train`
    (the sampler's training folder) adds the memorisation checks, and `closest_out` a sheet of their closest
    sample/training pairs.
    """
    real_images = folder_images(real, crop=crop)[1]
    real_features = embed(real_images, network)
    score = lambda pictures: distance(real_features, embed(pictures, network), seed=seed)  # noqa: E731
    rows = []
    floor_kid = None
    if floor is not None:
        pictures = folder_images(floor, crop=crop)[1]
        rows.append(Row(f"floor: {floor}", len(pictures), score(pictures)))
        floor_kid = rows[-1].distance.kid
    for folder in images:
        pictures = folder_images(folder, crop=crop)[1]
        rows.append(Row(f"images: {folder}", len(pictures), score(pictures)))
    if model is None:
        return rows
    from portraitize.session import load_model

    kind = load_model(model, "cpu").info.kind
    if kind == "sampler":
        sampled = sample_with_converter(model, samples, seed, device, truncation, face_check, every_latent)
        painted = embed(sampled, network)
        settings = (
            (f", truncation {truncation:g}" if truncation else "")
            + (", every latent" if every_latent else "")
            + {None: "", True: ", face check", False: ", no face check"}[face_check]
        )
        row = Row(
            f"samples of {model.stem} (seed {seed}{settings})", samples, distance(real_features, painted, seed=seed)
        )
        if train is not None:
            train_images = folder_images(train, crop=crop)[1]
            row.memorisation = check_memorisation(
                (train_images, embed(train_images, network)), (real_images, real_features), (sampled, painted)
            )
            if closest_out is not None:
                save_closest_pairs(closest_out, row.memorisation, sampled, train_images)
        rows.append(row)
    for folder in photos if kind == "translator" else ():
        originals = folder_images(folder)[1]
        before = Row(f"photos: {folder}", len(originals), score(originals))
        translated = translate_with_converter(model, originals, device, scale, upscaler, texture, painter)
        after = Row(
            f"{model.stem}({folder})",
            len(translated),
            score(translated),
            ssim=mean_ssim(originals, translated),
            blotched=sum(map(has_dark_blotch, originals, translated)),
        )
        if floor_kid is not None and before.distance.kid > floor_kid:
            after.gap_closed = (before.distance.kid - after.distance.kid) / (before.distance.kid - floor_kid)
        if detector is not None:
            after.faces = face_retention(detector, originals, translated)
        if judge is not None:
            after.identity = judge.score(originals, translated)
        rows += [before, after]
    return rows


COLUMN_NOTES = {
    "FID": "FID over MobileNetV2 features",
    "spread": "spread: the set's mean distance between its own pictures' features (variety)",
    "SSIM": "SSIM: to the photo, grey, 64 px",
    "gap": "gap: share of the photos' KID gap closed",
    "faces": "faces: kept / found in the photos",
    "blotches": "blotches: translations painting near-black where the photo is bright",
    "same person": "same person: dlib face descriptors < 0.6 apart (mean distance; different sitters' mean)",
}


def scores_table(rows, title: str):
    """One line per scored set; the translator columns only when a translator was scored (narrow terminals)."""
    from rich import box
    from rich.table import Table

    cells = [
        {
            "what": row.name,
            "images": str(row.images),
            "FID": f"{row.distance.fid:.1f}",
            "KID x1000": f"{row.distance.kid:.1f} ± {row.distance.kid_std:.1f}",
            "spread": f"{row.distance.spread:.2f}",
            "SSIM": "" if row.ssim is None else f"{row.ssim:.3f}",
            "gap": "" if row.gap_closed is None else f"{row.gap_closed:.2f}",
            "faces": "" if row.faces is None else f"{row.faces[1]}/{row.faces[0]}",
            "blotches": "" if row.blotched is None else str(row.blotched),
            "same person": ""
            if row.identity is None
            else f"{row.identity.same}/{row.identity.faces} ({row.identity.mean_distance:.2f}; {row.identity.between_sitters:.2f})",
        }
        for row in rows
    ]
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
