"""Benchmark `portraitize convert`: images per second and peak memory on a folder of 512 px photos.

    python bench/convert.py [--model NAME|PATH] [--photos DIR] [--count 50] [--size 512] [--huge] [--ray 1,2]
                            [--json PATH]

Photos default to the NASA portraits in ../shared/data/photos/test/nasa, resized so the long side is
--size (they are only read, never trained on). Each run is a fresh `portraitize` process, so the figures
include start-up and model loading, as a user sees them. --huge adds one 6000x4000 photo with --full-res.
--ray W1,W2 also runs `--engine ray` with each worker count, on 8 photos and on all of them, and fits
seconds = fixed + photos / rate, so the fixed cost (Ray start, one session per worker) and the rate separate.
--json PATH also writes every figure printed (seconds, img/s, peak MB) to PATH (bench/report.py reads it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from PIL import Image
from processes import whole_process

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PHOTOS = REPO.parent / "shared" / "data" / "photos" / "test" / "nasa"


def make_folder(source: Path, folder: Path, count: int, size: int) -> None:
    sources = sorted(path for path in source.iterdir() if path.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not sources:
        sys.exit(f"no photos in {source}")
    folder.mkdir(parents=True)
    for index in range(count):
        with Image.open(sources[index % len(sources)]) as image:
            image = image.convert("RGB")
            image.thumbnail((size, size), Image.Resampling.LANCZOS)
            image.save(folder / f"photo{index:04d}.jpg", quality=92)


def timed_run(arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB, its stroke workers included) of one `portraitize` process."""
    with tempfile.TemporaryDirectory() as temp:
        log = Path(temp) / "portraitize.log"
        run = whole_process([sys.executable, "-m", "portraitize", *arguments], log)
        if run["returncode"] != 0:
            sys.exit(f"portraitize {' '.join(arguments)} failed:\n{log.read_text()[-4000:]}")
    return run["seconds"], run["peak_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model name or path (default: the bundled default translator)")
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch-sizes", default="1,4")
    parser.add_argument("--huge", action="store_true", help="also a 6000x4000 photo with --full-res")
    parser.add_argument("--ray", help="comma-separated worker counts to run --engine ray with")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    model = ["--model", options.model] if options.model else []
    figures: dict = {
        "model": options.model or "default",
        "photos": {"source": str(options.photos), "count": options.count, "size": options.size, "batches": []},
    }

    with tempfile.TemporaryDirectory() as temp:
        photos = Path(temp) / "photos"
        make_folder(options.photos, photos, options.count, options.size)
        print(f"{options.count} photos, long side {options.size} px, CPU, --max-size {options.size}")
        print(f"{'batch':>5} {'seconds':>8} {'img/s':>7} {'peak MB':>8}")
        for batch in [int(value) for value in options.batch_sizes.split(",")]:
            out = Path(temp) / f"out{batch}"
            seconds, peak = timed_run(
                ["convert", str(photos), str(out), *model, "--max-size", str(options.size), "--batch-size", str(batch)]
            )
            print(f"{batch:>5} {seconds:>8.2f} {options.count / seconds:>7.2f} {peak:>8.0f}")
            figures["photos"]["batches"].append(
                {"batch": batch, "seconds": seconds, "img_per_s": options.count / seconds, "peak_mb": peak}
            )
        for workers in [int(value) for value in options.ray.split(",")] if options.ray else []:
            runs = {}
            for count in (8, options.count):
                subset = Path(temp) / f"subset{count}"
                if not subset.exists():
                    subset.mkdir()
                    for photo in sorted(photos.iterdir())[:count]:
                        (subset / photo.name).symlink_to(photo)
                out = Path(temp) / f"ray{workers}-{count}"
                runs[count], _ = timed_run(
                    [
                        "convert",
                        str(subset),
                        str(out),
                        *model,
                        "--max-size",
                        str(options.size),
                        "--engine",
                        "ray",
                        "--workers",
                        str(workers),
                        "--batch-size",
                        "4",
                    ]
                )
            rate = (options.count - 8) / (runs[options.count] - runs[8])
            fixed = runs[8] - 8 / rate
            print(
                f"ray, {workers} workers: {options.count} photos in {runs[options.count]:.1f} s "
                f"({options.count / runs[options.count]:.2f} img/s end to end); fit: {fixed:.1f} s fixed + "
                f"{rate:.2f} img/s"
            )
            figures.setdefault("ray", []).append(
                {
                    "workers": workers,
                    "seconds": runs[options.count],
                    "img_per_s": options.count / runs[options.count],
                    "fixed_seconds": fixed,
                    "steady_img_per_s": rate,
                }
            )
        if options.huge:
            huge = Path(temp) / "huge"
            huge.mkdir()
            with Image.open(next(photos.iterdir())) as image:
                image.resize((6000, 4000), Image.Resampling.BICUBIC).save(huge / "huge.jpg", quality=92)
            for batch in [int(value) for value in options.batch_sizes.split(",")]:
                out = Path(temp) / f"outhuge{batch}"
                seconds, peak = timed_run(
                    ["convert", str(huge), str(out), *model, "--full-res", "--batch-size", str(batch)]
                )
                print(
                    f"6000x4000 --full-res, --batch-size {batch} (tiles per call): {seconds:.1f} s, peak {peak:.0f} MB "
                    f"(the decoded photo alone is {6000 * 4000 * 3 / 1e6:.0f} MB)"
                )
                figures.setdefault("huge", []).append({"batch": batch, "seconds": seconds, "peak_mb": peak})
    if options.json:
        write_figures(options.json, figures)


def write_figures(path: Path, figures: dict) -> None:
    """A bench script's figures as JSON (bench/report.py reads them), and a line saying where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {path}")


if __name__ == "__main__":
    main()
