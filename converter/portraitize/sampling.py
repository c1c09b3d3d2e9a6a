"""Painting new portraits with a sampler: seeded latents in, numbered PNGs (and a contact sheet) out."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .contract import sample_latents, tensor_to_images
from .images import save_image
from .session import ModelSession

# A portrait passes the face check when the bundled face detector finds a face in it with at least this
# probability. On 300 portrait-gan samples (seed 7), 9% scored lower, and nearly all of those were melted,
# doubled or ghostly faces. It catches only the worst: many distorted faces (eyes at odd heights, a smeared
# half) still score above 0.99.
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
    turned_down: int = 0  # portraits the face check rejected
    kept_anyway: int = 0  # of those, kept because too few of MAX_DRAWS latents per portrait passed


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
    latent order, so `--count 50` still repeats `--count 16`'s portraits and the batch size changes nothing.
    Only where fewer than `count` of MAX_DRAWS * `count` latents pass do the best of those turned down fill the
    rest, and which ones depends on `count`."""
    kept: list[np.ndarray] = []
    best_rejects: list[tuple[float, int, np.ndarray]] = []  # a heap of (score, -index, image): the worst on top
    turned_down = 0
    draws = count if face_score is None else MAX_DRAWS * count
    start = 0
    while len(kept) < count and start < draws:
        # No more latents than portraits still missing: a top-up after a few were turned down stays small.
        size = min(batch_size, draws - start, count - len(kept))
        latents = sample_latents(size, model.info.latent_size, seed, truncation, start)
        before = len(kept)
        for offset, image in enumerate(tensor_to_images(model.run(latents), model.info)):
            score = 1.0 if face_score is None else face_score(image)
            if score >= FACE_CHECK:
                kept.append(image)
                continue
            turned_down += 1  # keep no more rejects than could ever fill in; ties go to the earlier latent
            heapq.heappush(best_rejects, (score, -(start + offset), image))
            if len(best_rejects) > count:
                heapq.heappop(best_rejects)
        start += size
        on_batch(len(kept) - before)
    shortfall = count - len(kept)
    if shortfall:
        fill = heapq.nlargest(shortfall, best_rejects, key=lambda entry: entry[:2])
        kept += [image for _, _, image in fill]
        on_batch(shortfall)
    images = np.stack(kept) if kept else np.zeros((0, 1, 1, 3), np.uint8)
    return Samples(images, turned_down, shortfall)


def bundled_face_detector() -> Path:
    """The installed face detector, which `--face-check` needs: a clear error where it is missing."""
    from .catalogue import resolve_optional
    from .plan import PlanError

    detector = resolve_optional(None, "face_detector")
    if detector is None:
        raise PlanError("--face-check needs the face detector (face-detector.onnx), and it is not installed")
    return detector


def bundled_face_score(model: ModelSession, threads: int = 0) -> Callable[[np.ndarray], float]:
    """The bundled face detector's probability of a portrait's best face (for `paint_samples`). The sampler's
    faces are about half its side (it learned from crops at twice the face), so smaller windows are not
    searched, which halves the time."""
    from .model_set import load_face_cascade

    cascade = load_face_cascade(bundled_face_detector(), threads, min_face_size=max(12.0, model.info.native_size / 4))
    return cascade.face_probability


def save_png(path: Path, rgb: np.ndarray) -> None:
    save_image(path, rgb, "PNG", quality=95)
