"""Painting new portraits with a sampler: seeded latents in, numbered PNGs (and a contact sheet) out."""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import numpy as np

from .contract import ModelInfo, sample_latents, tensor_to_images
from .face_check import PASSES
from .images import save_image
from .latents import Latents
from .session import ModelError, ModelSession

# portraits -> the face check's scores (face_check.py); with exact=False a portrait that cannot pass may score None
FaceScores = Callable[..., list[float | None]]
MAX_DRAWS = 4  # latents tried per portrait asked for; then the best of those turned down fill the rest


def sample_path(folder: Path, model: str, variant: str, index: int) -> Path:
    """Names carry model and variant (seed, truncation, latent check, face check, painted size), so samples of
    different models or settings never overwrite or pass for each other."""
    return folder / f"{model}-{variant}-{index:04d}.png"


def grid_path(folder: Path, model: str, variant: str, count: int) -> Path:
    return folder / f"{model}-{variant}-grid{count}.png"


def variant_name(
    seed: int,
    truncation: float | None,
    size: int | None = None,
    every_latent: bool = False,
    face_check: bool | None = None,
) -> str:
    """`seed0-trunc1.5-everylatent-nofacecheck-paint512`: every setting that changes a sample's pixels, those left
    at the model's default left out. `every_latent`: a sampler's latent check turned off; `face_check`: None as the
    model's default (`face_checked_by_default`), else turned on (`-faces`) or off (`-nofacecheck`) against it."""
    return (
        f"seed{seed}"
        + (f"-trunc{truncation:.12g}" if truncation is not None else "")
        + ("-everylatent" if every_latent else "")
        + {None: "", True: "-faces", False: "-nofacecheck"}[face_check]
        + (f"-paint{size}" if size is not None else "")
    )


def face_checked_by_default(info: ModelInfo) -> bool:
    """A sampler that carries a latent check was fitted to the face check's verdicts, so the face check suits its
    portraits: it runs by default on them. Other samplers' faces may be too soft for the face mesh to be sure of
    (portrait-vae's: it turns down nearly all), so there it is asked for."""
    return bool(info.latent_check)


def face_check_runs(info: ModelInfo, asked: bool | None) -> bool:
    """Whether the face check runs: as asked (--face-check / --no-face-check), else as the sampler's default."""
    return face_checked_by_default(info) if asked is None else asked


@dataclasses.dataclass
class Samples:
    images: np.ndarray  # uint8 [count, S, S, 3]
    turned_down: int = 0  # portraits the face check rejected
    kept_anyway: int = 0  # of those, kept because too few of MAX_DRAWS latents per portrait passed


@dataclasses.dataclass
class Portrait:
    """One portrait to write: its number among the portraits, the latent it was painted from, its pixels."""

    index: int
    latent: int
    image: np.ndarray  # uint8 [S, S, 3]
    score: float | None = None  # the face check's score, where it ran
    kept_anyway: bool = False  # turned down by the face check, but among the best of those (too few passed)


@dataclasses.dataclass
class StreamCount:
    """What a stream of portraits did, filled in as it runs."""

    turned_down: int = 0
    kept_anyway: int = 0
    painted: int = 0  # latents painted (the model's work)


def paint_samples(
    model: ModelSession,
    count: int,
    seed: int,
    truncation: float | None,
    batch_size: int,
    on_batch: Callable[[int], None] = lambda done: None,
    face_scores: FaceScores | None = None,
    every_latent: bool = False,
) -> Samples:
    """All `count` portraits in memory (`stream_samples` gathered), for callers that need them together."""
    counts = StreamCount()
    latents = Latents(model.info, seed, truncation, every_latent)
    portraits = sorted(
        stream_samples(model, count, latents, batch_size, face_scores, counts=counts),
        key=lambda portrait: portrait.index,
    )
    on_batch(len(portraits))
    images = np.stack([portrait.image for portrait in portraits]) if portraits else np.zeros((0, 1, 1, 3), np.uint8)
    return Samples(images, counts.turned_down, counts.kept_anyway)


def stream_samples(
    model: ModelSession,
    count: int,
    latents: Latents,
    batch_size: int,
    face_scores: FaceScores | None = None,
    done: dict[int, int | None] | None = None,
    counts: StreamCount | None = None,
    kept_anyway: Collection[int] = (),
) -> Iterator[Portrait]:
    """The portraits numbered 0 .. count - 1 that `done` lacks, one at a time as they are painted: memory holds
    one model call's portraits, whatever `count`. `done`: portraits already there -> the latent each was painted
    from (None: unknown), so a rerun paints only what is missing.

    Portrait i is painted from `latents[i]`, so it depends only on (seed, i, truncation, the latent check).
    With `face_scores` (face_check.py), a portrait scoring under face_check.PASSES (or None: turned down before
    its score was worked out) is turned down and the next of `latents` is painted instead; a portrait of a latent
    the latent check is sure of is not scored, it passes. The kept ones are the first `count` that pass, in latent
    order, so `--count 50` still repeats `--count 16`'s portraits and the batch size changes nothing; a portrait
    that is there with its latent is stepped over without painting. Only where fewer than `count` of the first
    MAX_DRAWS * `count` latents pass do the best of those turned down fill the rest (by their scores worked out in
    full), and which ones depends on `count`; `kept_anyway`: the latents of portraits there that were such a fill,
    never painted again as another portrait."""
    done = done or {}
    counts = counts if counts is not None else StreamCount()
    per_call = _per_call(model, batch_size)
    if face_scores is None:
        missing = (index for index in range(count) if index not in done)
        while chunk := list(itertools.islice(missing, per_call)):
            numbers = [latents[index] for index in chunk]
            for index, (number, image) in zip(chunk, _paint_latents(model, numbers, latents, counts)):
                yield Portrait(index, number, image)
        return
    index = place = 0  # the next portrait to settle, the place in `latents` of the next latent to paint
    rejects: list[tuple[float, int]] = []  # a heap of (score, -latent): the best turned down, the worst on top
    unscored: list[int] = []  # latents turned down or stepped over (all turned down) whose scores are unknown
    recorded = sorted(portrait for portrait, latent in done.items() if latent is not None)
    taken = set(kept_anyway)
    # As many more latents tried as portraits beyond `count` hold, and as many more rejects kept: however many
    # portraits there were kept anyway, a fill never runs short (and a rerun of the same count tries the same ones)
    beyond = max(0, len(taken) - sum(latent is None for latent in done.values()))
    draws = MAX_DRAWS * count + beyond
    most_rejects = count + len(taken)
    while index < count and place < draws:
        known = done.get(index)
        known_place = latents.position(known, below=draws) if known is not None else None
        if known_place is not None and known_place >= place:
            unscored.extend(latents.numbers(place, known_place))
            index, place = index + 1, known_place + 1
            continue
        # No more latents than portraits still missing before the next one that can be stepped over: a top-up
        # after a few were turned down stays small.
        after = bisect.bisect_right(recorded, index)
        following = recorded[after] if after < len(recorded) else count
        size = min(per_call, draws - place, following - index)
        painted = _paint_latents(model, latents.numbers(place, place + size), latents, counts)
        unsure = [image for number, image in painted if not latents.sure(number)]
        judged = iter(face_scores(unsure, exact=False) if unsure else [])
        for number, image in painted:
            if latents.sure(number):  # the latent check is sure of it: the face mesh need not look
                if index not in done:
                    yield Portrait(index, number, image)
                index += 1
                continue
            score = next(judged)
            if score is None:  # turned down, its score left for the fill below (if it comes to that)
                unscored.append(number)
                continue
            if score < PASSES:
                _keep_best(rejects, (score, -number), most_rejects)
                continue
            if index not in done:  # (one that is there without its latent is painted again, not written)
                yield Portrait(index, number, image, score)
            index += 1
        place += size
    counts.turned_down = place - index  # every latent up to here gave a portrait or was turned down
    shortfall = count - index
    if shortfall <= 0:
        return
    for start in range(0, len(unscored), per_call):  # scores never needed until now: painted again, scored in full
        painted = _paint_latents(model, unscored[start : start + per_call], latents, counts)
        for (number, _), score in zip(painted, face_scores([image for _, image in painted])):
            _keep_best(rejects, (score, -number), most_rejects)
    counts.kept_anyway = shortfall
    free = [portrait for portrait in range(index, count) if portrait not in done]
    fill = heapq.nlargest(len(free), (entry for entry in rejects if -entry[1] not in taken))
    wanted = [(portrait, -negative, score) for portrait, (score, negative) in zip(free, fill)]
    for start in range(0, len(wanted), per_call):
        chunk = wanted[start : start + per_call]
        painted = _paint_latents(model, [number for _, number, _ in chunk], latents, counts)
        for (portrait, number, score), (_, image) in zip(chunk, painted):
            yield Portrait(portrait, number, image, score, kept_anyway=True)


def _per_call(model: ModelSession, batch_size: int) -> int:
    """Portraits per model call: --batch-size, within the CPU's per-call pixels (a large sampler's batch of 16
    would be a large call)."""
    from .session import CPU_CALL_PIXELS

    if model.device_name == "CUDA":
        return batch_size
    return max(1, min(batch_size, CPU_CALL_PIXELS // (model.info.native_size**2)))


def _paint_latents(model: ModelSession, numbers: list[int], latents: Latents, counts: StreamCount):
    """(latent number, image) for the given latent numbers, in their order, from one model call (the latents
    drawn once per consecutive run)."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    batch = (
        np.concatenate(
            [sample_latents(len(run), model.info.latent_size, latents.seed, latents.truncation, run[0]) for run in runs]
        )
        if runs
        else np.zeros((0, model.info.latent_size), np.float32)
    )
    if not len(batch):
        return []
    counts.painted += len(batch)
    return list(zip(numbers, tensor_to_images(model.run(batch), model.info)))


def _keep_best(heap: list[tuple[float, int]], entry: tuple[float, int], most: int) -> None:
    """Keep no more rejects than could ever fill in; ties go to the earlier latent."""
    heapq.heappush(heap, entry)
    if len(heap) > most:
        heapq.heappop(heap)


def bundled_face_landmarks() -> Path:
    """The installed face landmark model, which the face check needs: a clear error where it is missing."""
    from .catalogue import resolve_optional

    landmarks = resolve_optional(None, "face_landmarks")
    if landmarks is None:
        raise ModelError(
            "the face check needs the face landmark model (face-landmarks.onnx), and it is not installed "
            "(--no-face-check paints without it)"
        )
    return landmarks


def bundled_face_scores(threads: int = 0) -> FaceScores:
    """The face check on the bundled face landmark model (for `stream_samples`)."""
    from .face_check import FaceCheck
    from .model_set import load_helper

    return FaceCheck(load_helper(bundled_face_landmarks(), "face_landmarks", threads)).scores


# zlib level of a sample PNG: 1 writes a 128 px portrait in a third of the time of Pillow's 6, 7% larger (27 KB).
SAMPLE_PNG_LEVEL = 1


def save_png(path: Path, rgb: np.ndarray, text: dict[str, str] | None = None) -> None:
    """Written atomically (a temp file renamed), with `text` in its text chunks."""
    save_image(path, rgb, "PNG", quality=95, text=text, png_level=SAMPLE_PNG_LEVEL)
