"""The paint chain's translate stage (chain.py): resize to the painting size, batch, tile huge images."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .contract import images_to_tensor, tensor_to_float_images
from .face_scale import painting_size
from .faces import Face
from .images import Photo, resize
from .painter_settings import PainterSettings
from .session import CPU_CALL_PIXELS, MAX_CALL_PIXELS, ModelSession
from .text import first_line

TILE_OVERLAP = 0.25  # share of a tile that overlaps its neighbour; wide enough to hide instance-norm seams


class PaintError(Exception):
    """The model gave no usable painting for an image; one line for the user."""


@dataclasses.dataclass(frozen=True)
class PaintSettings:
    max_size: int  # long side fed to the model (without a face to scale by)
    full_res: bool = False  # paint photos larger than max_size in overlapping tiles at full resolution
    keep_model_size: bool = False  # write the model-sized result instead of restoring the photo's size
    size: int = 0  # the written painting's long side (px); 0: the photo's own
    strength: float = 1.0  # 1: the painting; 0: the photo; between: a blend
    scale: str = "auto"  # auto: the main face at face_size (face_scale.py); long-side: the long side at max_size
    face_size: int = 0  # the translator's training face size (its metadata); 0: unknown, the long-side rule
    frame: str = "none"  # portrait: crop to a 4:5 head-and-shoulders frame around the main face
    strokes: PainterSettings | None = None  # the stroke painter's (painter.py); None: the painting as it is

    @property
    def wants_faces(self) -> bool:
        face_scale = self.scale == "auto" and self.face_size > 0 and not self.full_res
        return face_scale or self.frame == "portrait" or self.strokes is not None


def needs_tiles(photo: Photo, settings: PaintSettings) -> bool:
    return settings.full_res and max(photo.size) > settings.max_size


def model_input(photo: Photo, settings: PaintSettings, face: Face | None = None) -> np.ndarray:
    """The uint8 RGB the model will see (already at model size unless the photo is painted in tiles)."""
    if needs_tiles(photo, settings):
        return photo.rgb
    if settings.scale == "auto":
        return resize(photo.rgb, painting_size(photo.size, face, settings.face_size, settings.max_size))
    return resize(photo.rgb, painting_size(photo.size, None, 0, settings.max_size))  # the long-side rule


def paint_batch(model: ModelSession, images: list[np.ndarray]) -> list[np.ndarray]:
    """Paint same-sized uint8 RGB images in one model call."""
    height, width = images[0].shape[:2]
    floats = _run(model, images, size=(height, width))
    return list(np.rint(floats).astype(np.uint8))


def _run(model: ModelSession, images: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """The model's float RGB [N, h, w, 3] for same-sized images; thin ones padded to what the model runs on."""
    output = model.run(images_to_tensor(images, model.info, model.min_side))
    if not np.isfinite(output).all():
        raise PaintError("the model gave NaN or infinite values for this image")
    return tensor_to_float_images(output, model.info, size=size)


def paint_tiled(model: ModelSession, rgb: np.ndarray, tile: int, batch_size: int) -> np.ndarray:
    """Paint a large image in overlapping tiles, cross-faded so no seam shows.

    Tiles are painted one row at a time and rows are finished as soon as no later tile touches them, so
    memory stays at a few tile rows of float accumulators whatever the image's height.
    """
    info = model.info
    tile = max(info.size_multiple, tile - tile % info.size_multiple)
    height, width = rgb.shape[:2]
    tile_h, tile_w = min(tile, height), min(tile, width)
    overlap = max(1, int(tile * TILE_OVERLAP))
    rows = _tile_starts(height, tile_h, overlap)
    cols = _tile_starts(width, tile_w, overlap)
    weight = np.outer(_ramp(tile_h, overlap), _ramp(tile_w, overlap)).astype(np.float32)

    painted = np.empty_like(rgb)
    accumulated = np.zeros((tile_h, width, 3), np.float32)
    weights = np.zeros((tile_h, width), np.float32)
    top = 0  # image row that accumulated[0] holds
    for row in rows:
        top = _finish_rows(painted, accumulated, weights, top, row)
        tiles = [rgb[row : row + tile_h, col : col + tile_w] for col in cols]
        for start in range(0, len(tiles), batch_size):
            floats = _run(model, tiles[start : start + batch_size], size=(tile_h, tile_w))
            for col, result in zip(cols[start : start + batch_size], floats):
                offset = row - top
                accumulated[offset : offset + tile_h, col : col + tile_w] += result * weight[..., None]
                weights[offset : offset + tile_h, col : col + tile_w] += weight
    _finish_rows(painted, accumulated, weights, top, height)
    return painted


def _tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets that cover [0, length) with tiles of `tile` overlapping by at least `overlap`."""
    if length <= tile:
        return [0]
    stride = max(1, tile - overlap)
    count = -(-(length - tile) // stride) + 1
    # Spread the tiles evenly so every overlap is at least `overlap` wide and the last tile ends at the edge.
    return [round(index * (length - tile) / (count - 1)) for index in range(count)]


def _ramp(length: int, overlap: int) -> np.ndarray:
    """Blend weights along one tile axis: rising over `overlap` pixels at each end, never zero."""
    position = np.arange(length, dtype=np.float32)
    distance_to_edge = np.minimum(position, length - 1 - position) + 1
    return np.minimum(1.0, distance_to_edge / (overlap + 1))


def _finish_rows(painted, accumulated, weights, top: int, until: int) -> int:
    """Normalise and store image rows [top, until), then slide the accumulators down; returns the new top."""
    done = until - top
    if done <= 0:
        return top
    values = accumulated[:done] / weights[:done, :, None]
    painted[top:until] = np.rint(np.clip(values, 0, 255)).astype(np.uint8)
    accumulated[:-done] = accumulated[done:].copy()
    weights[:-done] = weights[done:].copy()
    accumulated[-done:] = 0
    weights[-done:] = 0
    return until


def paint_photos(
    model: ModelSession, photos: list[Photo], model_rgbs: list[np.ndarray], settings: PaintSettings, batch_size: int
) -> list[np.ndarray | str]:
    """Paint each photo (its model-sized RGB given): same-sized ones share model calls, large ones go in tiles.

    Returns the painted RGB, or the one-line reason the model failed, per photo.
    """
    results: list[np.ndarray | str] = [""] * len(photos)
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for index, (photo, rgb) in enumerate(zip(photos, model_rgbs)):
        if needs_tiles(photo, settings) or rgb.shape[0] * rgb.shape[1] > MAX_CALL_PIXELS:
            # No call paints more than MAX_CALL_PIXELS, whatever --max-size asks (one 12.6 MP call ran out of
            # memory). On CPU, several tiles per call are no faster but multiply the model's workspace (measured
            # on a 6000x4000 photo: 605 MB peak with 1 tile per call, 1318 MB with 4), so batch tiles on GPUs only.
            tile = min(settings.max_size, math.isqrt(MAX_CALL_PIXELS))
            tile_batch = batch_size if model.device_name == "CUDA" else 1
            results[index] = _painted_or_reason(paint_tiled, model, rgb, tile, tile_batch)
        else:
            by_shape.setdefault(rgb.shape, []).append(index)
    # On CPU the same holds for whole paintings: a face-scaled one reaches 0.8 MP, and four of them in one call
    # took 4.1 GB (measured on four 3000 x 3000 photos; 1.3 GB one by one, and no slower).
    call_pixels = None if model.device_name == "CUDA" else CPU_CALL_PIXELS
    for indices in by_shape.values():
        height, width = model_rgbs[indices[0]].shape[:2]
        per_call = batch_size if call_pixels is None else max(1, min(batch_size, call_pixels // (height * width)))
        for start in range(0, len(indices), per_call):
            chunk = indices[start : start + per_call]
            painted = _painted_or_reason(paint_batch, model, [model_rgbs[index] for index in chunk])
            if isinstance(painted, str) and len(chunk) > 1:
                # One image (a NaN, say) must not fail the others: paint each alone to find it.
                painted = [_painted_or_reason(_paint_one, model, model_rgbs[index]) for index in chunk]
            for position, index in enumerate(chunk):
                results[index] = painted if isinstance(painted, str) else painted[position]
    return results


def _paint_one(model: ModelSession, rgb: np.ndarray) -> np.ndarray:
    return paint_batch(model, [rgb])[0]


def _painted_or_reason(paint, *arguments):
    try:
        return paint(*arguments)
    except PaintError as error:
        return str(error)
    except Exception as error:  # onnxruntime's errors have many types; one photo must not stop the batch
        return f"the model failed on this image ({first_line(error)})"
