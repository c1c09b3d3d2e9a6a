"""Full-resolution painting: detail kept, time and peak memory, against the long-side rule with a plain resize.

    python bench/full_resolution.py [--model NAME|PATH] [--nasa DIR] [--count 51] [--upscaler NAME|none]
        [--texture NAME] [--cases before,upscaler,texture,now] [--json PATH]

Detail ratio: the mean absolute gradient (grey, |dx| + |dy|) of the output over the photo's; 1 keeps as much
fine structure (edges, strokes) as the photo has, a blurred enlargement far less. Contrast ratio: the grey
standard deviation's; the detail ratio divided by it tells blur (below 1) from a painting's lower contrast.

Cases (--cases picks some): before, the long-side rule and one resize, no painter (the converter before
full-resolution painting); upscaler, face scale and the upscaler, no painter; texture, the same with the brush
texture (--texture, default impasto) and no painter; now, `convert`'s default (the stroke painter).
Sets: the NASA test portraits at their own size (up to 1024 px; only read, never trained on); the README's
two examples enlarged to 4032 x 3024 (a 12-megapixel phone photo); 512 px photos (speed); one 6000 x 4000 photo
(peak memory). Each run is a fresh `portraitize` process, start-up and model loading included, as a user sees
it. --json PATH also writes every figure to PATH (bench/report.py reads it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from convert import timed_run, write_figures
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
NASA = REPO.parent / "shared" / "data" / "photos" / "test" / "nasa"
BEFORE = ["--scale", "long-side", "--upscaler", "none", "--painter", "none"]  # before full-resolution painting
CASES = ("before", "upscaler", "texture", "now")


def grey(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("L"), dtype=np.float32)


def detail(path: Path) -> float:
    pixels = grey(path)
    return float(np.abs(np.diff(pixels, axis=1)).mean() + np.abs(np.diff(pixels, axis=0)).mean())


def detail_ratios(photos: Path, out: Path) -> list[float]:
    return [detail(out / photo.name) / detail(photo) for photo in sorted(photos.iterdir())]


def contrast_ratios(photos: Path, out: Path) -> list[float]:
    """The output's grey standard deviation over the photo's. A gradient scales with contrast, so the detail
    ratio is this times the fine detail per unit of contrast: a painting with a painting's (lower) contrast
    keeps less of the photo's gradient however sharp it is."""
    return [float(grey(out / photo.name).std() / grey(photo).std()) for photo in sorted(photos.iterdir())]


def folder_of(
    sources: list[Path], folder: Path, size: tuple[int, int] | None = None, long_side: int | None = None
) -> Path:
    folder.mkdir(parents=True)
    for index, source in enumerate(sources):
        with Image.open(source) as image:
            image = image.convert("RGB")
            if size:
                image = image.resize(size, Image.Resampling.LANCZOS)
            if long_side:
                image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
            image.save(folder / f"{index:03d}-{source.stem}.jpg", quality=92)
    return folder


def run(label: str, photos: Path, out: Path, options: list[str]) -> dict:
    seconds, peak = timed_run(["convert", str(photos), str(out), *options])
    count = len(list(photos.iterdir()))
    print(f"  {label:<34} {seconds:7.1f} s  ({count / seconds:5.2f} img/s)  peak {peak:6.0f} MB", flush=True)
    return {"photos": count, "seconds": seconds, "img_per_s": count / seconds, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="translator (default: the bundled default)")
    parser.add_argument("--upscaler", help="upscaler for the new path (default: the bundled one)")
    parser.add_argument("--texture", default="impasto", help="brush texture of the texture case")
    parser.add_argument("--nasa", type=Path, default=NASA)
    parser.add_argument("--count", type=int, default=51, help="NASA photos used")
    parser.add_argument("--cases", default=",".join(CASES), help=f"which of {', '.join(CASES)}")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    model = ["--model", options.model] if options.model else []
    upscaled = [*model, *(["--upscaler", options.upscaler] if options.upscaler else [])]
    every = {
        "before": ("long side + resize (before)", [*model, *BEFORE]),
        "upscaler": ("face scale + upscaler", [*upscaled, "--painter", "none"]),
        "texture": ("+ brush texture", [*upscaled, "--painter", "none", "--texture", options.texture]),
        "now": ("the default: stroke painter (now)", upscaled),
    }
    chosen = options.cases.split(",")
    unknown = [case for case in chosen if case not in every]
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}; choose from {', '.join(CASES)}")
    cases = [(case, *every[case]) for case in chosen]
    figures: dict = {"cases": {case: " ".join(arguments) for case, _, arguments in cases}, "sets": {}}
    examples = sorted((REPO / "examples").glob("*.jpg"))
    with tempfile.TemporaryDirectory() as temp:
        temp = Path(temp)
        nasa = folder_of(sorted(options.nasa.glob("*.jpg"))[: options.count], temp / "nasa")
        phone = folder_of(examples, temp / "phone", size=(4032, 3024))
        small = folder_of(sorted(options.nasa.glob("*.jpg"))[:20], temp / "small", long_side=512)
        huge = folder_of(examples[:1], temp / "huge", size=(6000, 4000))
        print("detail ratio (output / photo, mean absolute gradient), time and peak memory; CPU")
        for key, label, photos in (("nasa", "NASA at own size", nasa), ("phone", "4032 x 3024 examples", phone)):
            print(f"{label} ({len(list(photos.iterdir()))} photos)")
            figures["sets"][key] = {}
            for case, name, arguments in cases:
                out = temp / f"out-{key}-{case}"
                figure = run(name, photos, out, arguments)
                ratios, contrasts = detail_ratios(photos, out), contrast_ratios(photos, out)
                print(
                    f"  {'':<34} detail ratio mean {np.mean(ratios):.2f}, min {np.min(ratios):.2f}; contrast "
                    f"ratio {np.mean(contrasts):.2f}, so detail per unit of contrast {np.mean(ratios) / np.mean(contrasts):.2f}"
                )
                figure.update(
                    detail_mean=float(np.mean(ratios)),
                    detail_min=float(np.min(ratios)),
                    contrast_mean=float(np.mean(contrasts)),
                    detail_per_contrast=float(np.mean(ratios) / np.mean(contrasts)),
                )
                figures["sets"][key][case] = figure
                shutil.rmtree(out)
        for key, label, photos in (("small", "512 px photos (20)", small), ("huge", "one 6000 x 4000 photo", huge)):
            print(label)
            figures["sets"][key] = {
                case: run(name, photos, temp / f"out-{key}-{case}", arguments) for case, name, arguments in cases
            }
    if options.json:
        write_figures(options.json, figures)


if __name__ == "__main__":
    sys.exit(main())
