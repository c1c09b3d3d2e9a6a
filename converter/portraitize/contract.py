"""The model contract: what every exported portraitize model carries and how pixels enter and leave it.

The trainer writes exactly these ONNX `metadata_props` and the converter reads nothing else, so both sides
import this module (it needs numpy only, never torch). Keep it small: anything a model needs at inference
time belongs here, not in side files.

Tensors:
- translator: input `image` float32 [N, 3, H, W] -> output `painted` float32 [N, 3, H, W]; H and W are any
  multiple of `size_multiple` (the converter pads to it).
- sampler: input `latent` float32 [N, latent_size] -> output `image` float32 [N, 3, S, S], S = native_size.
- upscaler: input `image` float32 [N, 3, H, W] -> output `upscaled` float32 [N, 3, H * factor, W * factor].
- face_detector: MTCNN's three networks in one graph (see `faces.py`), for the converter's own use.
- texture: inputs `image` float32 [N, 3, H, W] and `origin` int64 [2] (top, left of this tile in the whole
  image, so a fixed pattern continues across tiles) -> output `textured` float32 [N, 3, H, W].
- person_mask: input `image` float32 [N, 3, S, S], S = native_size -> output `mask` float32 [N, 1, S, S], the
  probability (0..1) that each pixel shows a person (see `person.py`).
- face_landmarks: input `image` float32 [N, 3, S, S], a square crop around a face, S = native_size -> outputs
  `landmarks` float32 [N, P, 3] (x, y in pixels of the crop, z at the same scale, smaller towards the camera) and
  `presence` float32 [N], the probability (0..1) that the crop holds a face (see `person.py`).
Pixel values in both directions lie in `value_range` (a mask's and a presence's are probabilities).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CONTRACT_VERSION = "1"
KINDS = ("translator", "sampler", "upscaler", "face_detector", "texture", "person_mask", "face_landmarks")
VALUE_RANGES = {"-1,1": (-1.0, 1.0), "0,1": (0.0, 1.0)}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+-]{0,99}")  # a model's name, which names the files it paints

TRANSLATOR_INPUT, TRANSLATOR_OUTPUT = "image", "painted"
SAMPLER_INPUT, SAMPLER_OUTPUT = "latent", "image"
UPSCALER_INPUT, UPSCALER_OUTPUT = "image", "upscaled"
# A texture model also takes the (top, left) of its tile in the whole image (int64 [2]), so its fixed pattern
# continues across tiles.
TEXTURE_INPUT, TEXTURE_ORIGIN, TEXTURE_OUTPUT = "image", "origin", "textured"
PERSON_MASK_INPUT, PERSON_MASK_OUTPUT = "image", "mask"
FACE_LANDMARKS_INPUT, FACE_LANDMARKS_OUTPUT, FACE_PRESENCE_OUTPUT = "image", "landmarks", "presence"
INPUTS = {
    "translator": TRANSLATOR_INPUT,
    "sampler": SAMPLER_INPUT,
    "upscaler": UPSCALER_INPUT,
    "texture": TEXTURE_INPUT,
    "person_mask": PERSON_MASK_INPUT,
    "face_landmarks": FACE_LANDMARKS_INPUT,
}
OUTPUTS = {
    "translator": TRANSLATOR_OUTPUT,
    "sampler": SAMPLER_OUTPUT,
    "upscaler": UPSCALER_OUTPUT,
    "texture": TEXTURE_OUTPUT,
    "person_mask": PERSON_MASK_OUTPUT,
    "face_landmarks": FACE_LANDMARKS_OUTPUT,
}
# Outputs beyond the main one, in the order the model gives them.
EXTRA_OUTPUTS = {"face_landmarks": (FACE_PRESENCE_OUTPUT,)}


# The largest value each size may take. The converter allocates by them before any photo (a model is probed at
# its size_multiple; a sampler paints native_size squared; --max-size defaults to a translator's native_size), so
# a value far beyond any real model's would only exhaust memory: size_multiple 16384 ran 28 s and took 6.4 GB
# before failing. Every bundled and trained model lies well within them (size_multiple 32, native_size 512,
# latent_size 128, factor 4).
LIMITS = {"native_size": 2048, "size_multiple": 256, "latent_size": 16384, "face_size": 2048, "factor": 8}


class ContractError(ValueError):
    """A model's metadata does not follow the contract."""


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Everything the converter needs to run a model, as stored in its ONNX metadata."""

    kind: str  # one of KINDS
    name: str
    description: str
    family: str  # which trainer recipe made it, e.g. "style", "unet", "cyclegan", "dcgan", "vae"
    native_size: int  # translator: long side it was trained at (default --max-size); sampler: output side;
    # texture: the side of the pattern it repeats
    size_multiple: int = 1  # translator inputs must have H and W divisible by this
    latent_size: int = 0  # sampler only
    face_size: int = 0  # translator: the face size (px) of its training photos, the scale it paints best; 0: unknown
    factor: int = 0  # upscaler only: output side / input side
    value_range: str = "-1,1"
    input_layout: str = "NCHW"
    training_summary: str = ""
    data_licence: str = ""
    quality: str = ""  # measured on held-out data, one line from the model card (added after evaluation)
    # sampler only, optional: a linear score of the latent that `trainer latent-check` fits to the face check's
    # verdicts on the sampler's own portraits: `latent_size` weights, a bias and a "sure" score, comma-separated.
    # A latent scoring under 0 tends to paint a broken face (`sample` steps over it unless told to paint from every
    # latent); from the sure score up, the face check passed nearly every portrait, so it need not look.
    latent_check: str = ""
    contract_version: str = CONTRACT_VERSION

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not self.name:
            problems.append("name is empty")
        elif not NAME.fullmatch(self.name):
            problems.append(
                "name must be a plain file name (it names sample files): a letter or digit, then up to 99 letters, "
                f"digits, spaces, '.', '_', '+' or '-', not {self.name!r}"
            )
        if self.value_range not in VALUE_RANGES:
            problems.append(f"value_range must be one of {', '.join(VALUE_RANGES)}, not {self.value_range!r}")
        if self.input_layout != "NCHW":
            problems.append(f"input_layout must be NCHW, not {self.input_layout!r}")
        if self.native_size < 1 or self.size_multiple < 1:
            problems.append("native_size and size_multiple must be positive")
        if self.kind == "sampler" and self.latent_size < 1:
            problems.append("a sampler needs a positive latent_size")
        if self.kind == "upscaler" and self.factor < 2:
            problems.append("an upscaler needs a factor of at least 2")
        if self.face_size < 0:
            problems.append("face_size must not be negative")
        if self.latent_check:
            problems += self._latent_check_problems()
        for name, most in LIMITS.items():
            if getattr(self, name) > most:
                problems.append(f"{name} must be at most {most}, not {getattr(self, name)}")
        if problems:
            raise ContractError("; ".join(problems))

    def _latent_check_problems(self) -> list[str]:
        if self.kind != "sampler":
            return ["only a sampler has a latent_check"]
        try:
            values = [float(value) for value in self.latent_check.split(",")]
        except ValueError:
            return ["latent_check must be comma-separated numbers"]
        if len(values) != self.latent_size + 2:
            return [f"latent_check needs latent_size + 2 = {self.latent_size + 2} numbers, not {len(values)}"]
        if not all(math.isfinite(value) for value in values):
            return ["latent_check must be finite numbers"]
        if values[-1] < 0:
            return ["latent_check's sure score must not be negative (it is sure only of latents it keeps)"]
        return []

    def latent_scores(self, latents: np.ndarray) -> np.ndarray | None:
        """float32 [N, latent_size] -> the latent check's score of each (>= 0: keep), or None without a check."""
        import numpy as np

        if not self.latent_check:
            return None
        values = np.array(self.latent_check.split(","), dtype=np.float64)
        return latents.astype(np.float64) @ values[:-2] + values[-2]

    @property
    def latent_sure(self) -> float:
        """The latent check's score from which the face check need not look (infinite without a check)."""
        return float(self.latent_check.split(",")[-1]) if self.latent_check else math.inf

    @property
    def input_name(self) -> str:
        return INPUTS.get(self.kind, "")

    @property
    def output_name(self) -> str:
        return OUTPUTS.get(self.kind, "")

    @property
    def output_names(self) -> list[str]:
        """Every output the contract names for this kind, the main one first."""
        return [self.output_name, *EXTRA_OUTPUTS.get(self.kind, ())] if self.output_name else []

    def to_metadata(self) -> dict[str, str]:
        return {field.name: str(getattr(self, field.name)) for field in dataclasses.fields(self)}

    @classmethod
    def from_metadata(cls, metadata: dict[str, str]) -> ModelInfo:
        fields = {field.name: field for field in dataclasses.fields(cls)}
        required = [name for name, field in fields.items() if field.default is dataclasses.MISSING]
        missing = [name for name in required if name not in metadata]
        if missing:
            raise ContractError(
                f"missing metadata {', '.join(missing)} (was it exported by `python -m trainer export`?)"
            )
        values: dict[str, object] = {}
        for name, field in fields.items():
            if name not in metadata:
                continue
            raw = metadata[name]
            if field.type == "int":
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise ContractError(f"metadata {name} must be an integer, not {raw!r}") from None
            else:
                values[name] = raw
        if values.get("contract_version", CONTRACT_VERSION) != CONTRACT_VERSION:
            raise ContractError(
                f"model uses contract version {values['contract_version']}, this portraitize reads "
                f"version {CONTRACT_VERSION}: upgrade portraitize or re-export the model"
            )
        return cls(**values)  # type: ignore[arg-type]


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def images_to_tensor(images: list[np.ndarray], info: ModelInfo, min_size: int = 1) -> np.ndarray:
    """uint8 RGB arrays [H, W, 3] of one size -> float32 [N, 3, H', W'] in the model's range.

    H' and W' are H and W raised to at least `min_size` and rounded up to `size_multiple`; the border is
    filled by mirroring the image (reflection keeps the network's statistics close to the image's; zeros
    would darken the edges). Crop the model's output back with `tensor_to_images(..., size=(H, W))`.
    """
    import numpy as np

    batch = np.stack(images).astype(np.float32)
    low, high = VALUE_RANGES[info.value_range]
    batch = batch * ((high - low) / 255.0) + low
    height, width = batch.shape[1:3]
    pad_h = round_up(max(height, min_size), info.size_multiple) - height
    pad_w = round_up(max(width, min_size), info.size_multiple) - width
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "edge"
        batch = np.pad(batch, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode=mode)
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


def tensor_to_float_images(tensor: np.ndarray, info: ModelInfo, size: tuple[int, int] | None = None) -> np.ndarray:
    """Model output [N, 3, H, W] -> float32 [N, h, w, 3] in 0..255 (cropped to `size` = (h, w) if given)."""
    import numpy as np

    low, high = VALUE_RANGES[info.value_range]
    images = tensor.transpose(0, 2, 3, 1)
    if size is not None:
        images = images[:, : size[0], : size[1]]
    images = (images.astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(images, 0.0, 255.0)


def tensor_to_images(tensor: np.ndarray, info: ModelInfo, size: tuple[int, int] | None = None) -> np.ndarray:
    """Model output [N, 3, H, W] -> uint8 [N, h, w, 3] (cropped to `size` = (h, w) if given)."""
    import numpy as np

    return np.rint(tensor_to_float_images(tensor, info, size)).astype(np.uint8)


def sample_latents(
    count: int, latent_size: int, seed: int, truncation: float | None = None, start: int = 0
) -> np.ndarray:
    """The latents a sampler paints from: standard normal, one random stream per (seed, image index), for the
    indices start .. start + count - 1.

    Image i depends only on (seed, i), never on batch size or count, so `--count 50` repeats the first
    16 images of `--count 16`. With `truncation` T, values beyond +-T are redrawn (the truncation trick:
    less variety, fewer failures).
    """
    import numpy as np

    if truncation is not None and truncation <= 0:
        raise ValueError("truncation must be positive")
    latents = np.empty((count, latent_size), dtype=np.float32)
    for index in range(count):
        rng = np.random.default_rng([seed, start + index])
        latent = rng.standard_normal(latent_size)
        if truncation is not None:
            outside = np.abs(latent) > truncation
            while outside.any():
                latent[outside] = rng.standard_normal(int(outside.sum()))
                outside = np.abs(latent) > truncation
        latents[index] = latent
    return latents
