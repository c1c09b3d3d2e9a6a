"""Painting new portraits with a sampler: seeded latents in, numbered PNGs (and a contact sheet) out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .contract import sample_latents, tensor_to_images
from .images import save_image
from .session import ModelSession

# A portrait passes the face check when the bundled face detector finds a face in it with at least this
# probability. On 300 portrait-gan samples (seed 7), 9% scored lower, and nearly all of those were melted,
# doubled or ghostly faces; most intact faces score above 0.995. The check cannot catch subtler faults (eyes
# at odd heights), which the detector accepts.
FACE_CHECK = 0.99
MAX_DRAWS = 4  # latents tried per portrait asked for; then the best of those turned down fill the rest


def sample_path(folder: Path, model: str, variant: str, index: int) -> Path:
    """Names carry model and variant (seed, truncation, face check), so samples of different models or
    settings never overwrite or pass for each other."""
    return folder / f"{model}-{variant}-{index:04d}.png"


def grid_path(folder: Path, model: str, variant: str, count: int) -> Path:
    return folder / f"{model}-{variant}-grid{count}.png"


def variant_name(seed: int, truncation: float | None, face_check: bool) -> str:
    return (
        f"seed{seed}" + (f"-trunc{truncation:g}" if truncation is not None else "") + ("-faces" if face_check else "")
    )


@dataclasses.dataclass
class Samples:
    images: np.ndarray  # uint8 [count, S, S, 3]
    turned_down: int = 0  # portraits the face check rejected (each one painted again from the next latent)
    kept_anyway: int = 0  # of those, kept because MAX_DRAWS latents per portrait gave too few that pass


def paint_samples(
    model: ModelSession,
    count: int,
    seed: int,
    truncation: float | None,
    batch_size: int,
    on_batch: Callable[[int], None] = lambda done: None,
    face_score: Callable[[np.ndarray], float] | None = None,
) -> Samples:
    """Image i is painted from latent i (`contract.sample_latents`), so it depends only on (seed, i, truncation).

    With `face_score` (image -> probability of its best face), a portrait scoring under FACE_CHECK is turned
    down and the next latent in the stream is painted instead: the kept ones are the first `count` that pass, in
    latent order, so `--count 50` still repeats `--count 16`'s portraits and the batch size changes nothing."""
    kept: list[np.ndarray] = []
    turned_down: list[tuple[float, np.ndarray]] = []
    draws = count if face_score is None else MAX_DRAWS * count
    start = 0
    while len(kept) < count and start < draws:
        size = min(batch_size, draws - start)  # without the check, start == len(kept)
        latents = sample_latents(size, model.info.latent_size, seed, truncation, start)
        before = len(kept)
        for image in tensor_to_images(model.run(latents), model.info):
            if len(kept) == count:
                break
            score = 1.0 if face_score is None else face_score(image)
            if score >= FACE_CHECK:
                kept.append(image)
            else:
                turned_down.append((score, image))
        start += size
        on_batch(len(kept) - before)
    shortfall = count - len(kept)
    if shortfall:
        best = sorted(turned_down, key=lambda pair: -pair[0])[:shortfall]
        kept += [image for _, image in best]
        on_batch(shortfall)
    images = np.stack(kept) if kept else np.zeros((0, 1, 1, 3), np.uint8)
    return Samples(images, len(turned_down), shortfall)


def bundled_face_score(model: ModelSession, threads: int = 0) -> Callable[[np.ndarray], float]:
    """The bundled face detector's probability of a portrait's best face (for `paint_samples`). The sampler's
    faces are about half its side (it learned from crops at twice the face), so smaller windows are not
    searched, which halves the time."""
    from .catalogue import resolve_optional
    from .model_set import load_face_cascade
    from .plan import PlanError

    detector = resolve_optional(None, "face_detector")
    if detector is None:
        raise PlanError("--face-check needs the face detector (face-detector.onnx), and it is not installed")
    return load_face_cascade(detector, threads, min_face_size=max(12.0, model.info.native_size / 4)).face_probability


def save_png(path: Path, rgb: np.ndarray) -> None:
    save_image(path, rgb, "PNG", quality=95)
