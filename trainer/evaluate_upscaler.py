"""How much better than a bicubic enlargement is an upscaler? PSNR and a feature distance on held-out paintings.

Each painting's centred square at `size` px is the target; its antialiased bicubic reduction by the model's
factor is the input (the standard super-resolution protocol, no added blur or JPEG). Both the model (run as the
converter runs it, in tiles) and a bicubic enlargement are compared with the target: PSNR over RGB, and the
mean L1 distance of MobileNetV2 block-6 features (lower: closer in texture and structure).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .data import find_images, read_rgb, square_crop
from .models.mobilenet_v2 import FeatureNetwork


@dataclasses.dataclass
class UpscalerScores:
    images: int
    factor: int
    psnr_model: float
    psnr_bicubic: float
    feature_distance_model: float
    feature_distance_bicubic: float

    def as_dict(self) -> dict:
        return {
            key: round(value, 4) if isinstance(value, float) else value
            for key, value in dataclasses.asdict(self).items()
        }


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-10))


def evaluate_upscaler(
    model: Path, folder: Path, features: FeatureNetwork, size: int = 256, limit: int | None = None
) -> UpscalerScores:
    from portraitize.session import load_model
    from portraitize.upscale import upscale

    model = load_model(model, "cpu", kind="upscaler")
    factor = model.info.factor
    size -= size % factor
    results = {"model": ([], []), "bicubic": ([], [])}
    paths = find_images(folder)[:limit]
    if not paths:  # no scores at all, not NaN ones
        raise ValueError(f"{folder}: no paintings to score")
    for path in paths:
        image = read_rgb(path)
        target = np.asarray(
            image.crop(square_crop(image.width, image.height, None, 2.0)).resize((size, size), Image.Resampling.LANCZOS)
        )
        small = np.asarray(
            Image.fromarray(target).resize(
                (size // factor, size // factor), Image.Resampling.BICUBIC, reducing_gap=None
            )
        )
        candidates = {
            "model": upscale(small, model),
            "bicubic": np.asarray(Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC)),
        }
        with torch.no_grad():
            wanted = features(torch.from_numpy(target.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1, ("block6",))[
                "block6"
            ]
            for name, result in candidates.items():
                found = features(
                    torch.from_numpy(result.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1, ("block6",)
                )["block6"]
                results[name][0].append(psnr(result, target))
                results[name][1].append(float((found - wanted).abs().mean()))
    return UpscalerScores(
        images=len(paths),
        factor=factor,
        psnr_model=float(np.mean(results["model"][0])),
        psnr_bicubic=float(np.mean(results["bicubic"][0])),
        feature_distance_model=float(np.mean(results["model"][1])),
        feature_distance_bicubic=float(np.mean(results["bicubic"][1])),
    )
