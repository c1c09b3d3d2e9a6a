"""Image folders as training batches: decoded once into memory, then cropped and flipped per step.

A batch depends only on (seed, step, rank), never on what ran before, which is what makes `--resume` exact
and lets every DDP rank draw its own share of an epoch without a sampler object to checkpoint.
Images that cannot be read are skipped with a warning, never a crash.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from portraitize.images import IMAGE_EXTENSIONS, ImageError, load_photo  # the converter's: both sides see alike

log = logging.getLogger(__name__)

CROP_MARGIN = 1.125  # images are cached this much larger than the training size, for random crops


@dataclasses.dataclass(frozen=True)
class DataRole:
    """A recipe's image folder with how to crop it: at `size` (None: the recipe's --size), face-framed where the
    face boxes know the image, or the whole image's centred square (`face_framed=False`, e.g. for texture at
    the images' own scale)."""

    folder: str
    size: int | None = None
    face_framed: bool = True


@dataclasses.dataclass(frozen=True)
class FaceBox:
    x1: float
    y1: float
    x2: float
    y2: float


CORNERS = ("x1", "y1", "x2", "y2")  # a face box's columns


def read_face_boxes(csv_path: Path) -> dict[Path, FaceBox]:
    """Face boxes from a CSV with columns path,x1,y1,x2,y2 (paths relative to the CSV's folder).

    This is the format of `paintings/faces.csv` (boxes from the MTCNN detector); the same columns can be
    written for any folder by a detector run.
    """
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:  # -sig: a spreadsheet's byte-order mark
            reader = csv.DictReader(handle)
            rows = [(reader.line_num, row["path"], [float(row[key]) for key in CORNERS]) for row in reader]
    except (UnicodeDecodeError, KeyError, TypeError, ValueError) as error:  # a photo, or another table
        raise ValueError(f"{csv_path}: not a CSV of face boxes (path,x1,y1,x2,y2): {type(error).__name__}") from None
    if not rows:  # crops framing no face, where face crops were asked for
        raise ValueError(f"{csv_path}: it holds no face boxes (path,x1,y1,x2,y2 rows)")
    for line, name, (x1, y1, x2, y2) in rows:
        # a NaN box would fail the crop naming neither file nor row; an empty one frames an 8 px crop, silently
        if not (all(map(math.isfinite, (x1, y1, x2, y2))) and x1 < x2 and y1 < y2):
            raise ValueError(f"{csv_path}: line {line}: the box of {name} is not x1 < x2, y1 < y2 in finite numbers")
    return {(csv_path.parent / name).resolve(): FaceBox(*corners) for _, name, corners in rows}


def square_crop(width: int, height: int, face: FaceBox | None, framing: float) -> tuple[int, int, int, int]:
    """A square (left, top, right, bottom) inside the image: centred, or framing the face at `framing` x its size.

    The face sits a little above the centre so that a head-and-shoulders framing results, as in the photo set.
    """
    side = min(width, height)
    if face is None:
        left, top = (width - side) // 2, (height - side) // 2
        return left, top, left + side, top + side
    face_size = max(face.x2 - face.x1, face.y2 - face.y1)
    side = int(min(side, max(8, face_size * framing)))
    centre_x = (face.x1 + face.x2) / 2
    centre_y = (face.y1 + face.y2) / 2 + 0.15 * side
    left = int(np.clip(centre_x - side / 2, 0, width - side))
    top = int(np.clip(centre_y - side / 2, 0, height - side))
    return left, top, left + side, top + side


def find_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: image folder not found")
    return sorted(path for path in folder.rglob("*") if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file())


def read_rgb(path: Path) -> Image.Image:
    """The trainer's one image reader, the converter's decoding (portraitize.images.load_photo), so both sides see
    an image alike: upright (EXIF orientation applied), RGB, 16-bit and wider grey scaled to 8 bits rather than
    clipped white, CMYK colour-managed. Without the converter's guard against decompression bombs: a data set's large
    scans are the user's own, and the guard's option is the converter's.

    Raises OSError `PATH: reason` when the file cannot be read."""
    try:
        return Image.fromarray(load_photo(Path(path), max_pixels=sys.maxsize).rgb)
    except ImageError as error:
        raise OSError(f"{path}: {error}") from None


def load_square(path: Path, size: int, face: FaceBox | None = None, framing: float = 2.0) -> torch.Tensor | None:
    """uint8 [3, size, size] of the image's square crop, or None (with a warning) if it cannot be read."""
    try:
        image = read_rgb(path)
        image = image.crop(square_crop(image.width, image.height, face, framing))
        image = image.resize((size, size), Image.Resampling.LANCZOS)
        return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)
    except OSError as error:  # it names the file
        log.warning("skipping %s", error)
        return None


class ImageFolder:
    """Every readable image of a folder (recursive), square-cropped and cached as uint8 in memory."""

    def __init__(self, folder: Path, size: int, faces: dict[Path, FaceBox] | None = None, framing: float = 2.0):
        self.folder = Path(folder)
        self.size = size
        self.cached_size = round(size * CROP_MARGIN)
        paths = find_images(self.folder)
        faces = faces or {}
        with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
            loaded = list(pool.map(lambda p: load_square(p, self.cached_size, faces.get(p.resolve()), framing), paths))
        kept = [(path, image) for path, image in zip(paths, loaded) if image is not None]
        if not kept:
            raise ValueError(f"{self.folder}: no readable images (any format Pillow reads, named by its extension)")
        self.paths = [path for path, _ in kept]
        self.images = torch.stack([image for _, image in kept])
        self.face_cropped = sum(path.resolve() in faces for path in self.paths)

    def __len__(self) -> int:
        return len(self.images)

    def fixed(self, count: int) -> torch.Tensor:
        """The first `count` images, centre-cropped, in [-1, 1]: stable previews across a run."""
        offset = (self.cached_size - self.size) // 2
        crop = self.images[:count, :, offset : offset + self.size, offset : offset + self.size]
        return crop.float() / 127.5 - 1


def seeded_generator(*key: int) -> torch.Generator:
    """A torch Generator determined by integers alone (Python's hash() of tuples is not stable across runs)."""
    return torch.Generator().manual_seed(int(np.random.SeedSequence(list(key)).generate_state(1, np.uint64)[0] >> 1))


class BatchStream:
    """Batches for step s of an endless, seeded shuffle of an ImageFolder, with random crop and flip."""

    def __init__(self, folder: ImageFolder, batch_size: int, seed: int, rank: int = 0, world_size: int = 1):
        self.folder, self.batch_size, self.seed = folder, batch_size, seed
        self.rank, self.world_size = rank, world_size

    def batch(self, step: int) -> torch.Tensor:
        count = len(self.folder)
        first = (step * self.world_size + self.rank) * self.batch_size
        positions = range(first, first + self.batch_size)
        indices = [self._permutation(position // count)[position % count] for position in positions]
        generator = seeded_generator(self.seed, 0, step, self.rank)
        size, margin = self.folder.size, self.folder.cached_size - self.folder.size
        crops = []
        for index in indices:
            top, left = torch.randint(0, margin + 1, (2,), generator=generator).tolist() if margin else (0, 0)
            crop = self.folder.images[index, :, top : top + size, left : left + size]
            if torch.rand((), generator=generator) < 0.5:
                crop = crop.flip(-1)
            crops.append(crop)
        return torch.stack(crops).float() / 127.5 - 1

    def _permutation(self, epoch: int) -> list[int]:
        if getattr(self, "_epoch", None) != epoch:
            generator = seeded_generator(self.seed, 1, epoch)
            self._order = torch.randperm(len(self.folder), generator=generator).tolist()
            self._epoch = epoch
        return self._order
