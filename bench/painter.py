"""The stroke painter (the default `portraitize convert`): time and peak memory as a user sees them, and speed
against Im2Oil (Tong et al., ACM MM 2022), the stroke-based oil painter it takes its anchors and flow from.

    python bench/painter.py [--photos DIR] [--repeat 3] [--im2oil PATH --im2oil-python PY] [--im2oil-timeout 1800]
        [--json PATH]

Each run of parts 1 and 2 is made --repeat times (default 3), and the median of its wall times is the figure (the
highest peak memory): on a shared 2-core machine one run of the same code moved by up to a quarter from the last.
1. A 12-megapixel phone photo: the README's two examples enlarged to 4032 x 3024 (Lanczos, JPEG q95), each
   painted by a fresh `portraitize convert` process; wall time and peak resident memory (the process's own, or
   with its stroke workers where it has them: processes.py), start-up and model loading included. Targets: at
   most 10 s and 1.5 GB a photo on 2 CPU cores.
2. 20 photos at 512 px (long side) in one process: photos from --photos (default ../shared/data/photos/train,
   only read), else the two examples and 18 crops, flips and resizes of them. Raw: 20 / the process's wall
   time. Steady: without its start-up; a second process paints the first photo alone, and the steady rate is
   19 / (the difference of the two median wall times), so model loading and the first photo's warm-up are the
   start-up. Target: at least 2 img/s.
3. --im2oil PATH (a checkout of github.com/TZYSJTU/Im2Oil, not vendored here) run with --im2oil-python (a
   Python with its dependencies: numpy, opencv, scipy, matplotlib, tqdm, torch) as `Oil-Painting.py --f PHOTO
   --p 4` (its README's setting) in a temporary copy of PATH, since it writes ./output; on the two examples at
   their own size (512 px wide), each beside a fresh `portraitize convert` of the same photo in the same run.
   The ratio is Im2Oil's seconds over ours, both whole processes; a run past --im2oil-timeout is stopped and
   counts as a lower bound ("> 1800 s"). Target: at least 100x faster. (Im2Oil renders at 8x the photo's
   size, its default SSAA 8, and saves a frame every 100 strokes; ours writes the photo's size.)

The painter keeps its ladder's brushes on disk between runs (converter/portraitize/brush_cache.py): here in a
temporary folder that starts empty, so part 1's first run fills it and the medians are what a user's later runs
see. Part 2 also times its one photo alone once more with an empty folder: a machine's very first run (one run, not
a median).

The cores may be shared: the load average before and after is printed and kept with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from convert import write_figures
from PIL import Image, ImageOps
from processes import whole_process

from portraitize.brush_cache import CACHE_ENV

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO.parent / "shared" / "data" / "photos" / "train"
EXAMPLES = (REPO / "examples" / "astronaut.jpg", REPO / "examples" / "grace_hopper.jpg")
PHONE = (4032, 3024)
SMALL, SMALL_COUNT = 512, 20
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
TARGET_SECONDS, TARGET_MB = 10.0, 1500.0  # per 12 MP photo, 2 CPU cores
TARGET_RATE = 2.0  # img/s at 512 px
TARGET_SPEEDUP = 100.0  # against Im2Oil


def portraitize(arguments: list[str], log: Path) -> dict:
    """One `portraitize` process from this Python (the installed CLI); stops the bench if it fails."""
    run = whole_process([sys.executable, "-m", "portraitize", *arguments], log)
    if run["returncode"] != 0:
        sys.exit(f"portraitize {' '.join(arguments)} failed ({run['returncode']}):\n{log.read_text()[-4000:]}")
    return run


def repeated(arguments: list[str], log: Path, times: int) -> dict:
    """`times` fresh `portraitize` processes, each into an empty output folder (the last argument): the median wall
    time, the highest peak memory, and every run's seconds."""
    runs = []
    for _ in range(times):
        shutil.rmtree(arguments[-1], ignore_errors=True)
        runs.append(portraitize(arguments, log))
    return {
        "seconds": statistics.median(run["seconds"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
        "runs_seconds": [run["seconds"] for run in runs],
    }


def save(image: Image.Image, path: Path, quality: int = 92) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, quality=quality)
    return path


def to_long_side(image: Image.Image, side: int) -> Image.Image:
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def phone_photos(folder: Path) -> list[Path]:
    """The examples enlarged to a 12 MP phone photo, one folder each (a convert run paints a folder)."""
    photos = []
    for source in EXAMPLES:
        with Image.open(source) as image:
            big = image.convert("RGB").resize(PHONE, Image.Resampling.LANCZOS)
            photos.append(save(big, folder / source.stem / f"{source.stem}.jpg", quality=95))
    return photos


def example_variants() -> list[Image.Image]:
    """The two examples and 18 crops, flips and resizes of them."""
    images = []
    for source in EXAMPLES:
        with Image.open(source) as image:
            image = image.convert("RGB")
        width, height = image.size
        images += [
            image,
            ImageOps.mirror(image),
            image.crop((0, 0, width * 3 // 4, height * 3 // 4)),
            image.crop((width // 4, height // 4, width, height)),
            image.crop((width // 8, 0, width * 7 // 8, height)),
            ImageOps.mirror(image.crop((0, height // 8, width, height * 7 // 8))),
            image.resize((width * 3 // 4, height), Image.Resampling.LANCZOS),
            image.resize((width, height * 3 // 4), Image.Resampling.LANCZOS),
            image.crop((width // 6, height // 10, width * 5 // 6, height * 9 // 10)),
            ImageOps.mirror(image.crop((0, 0, width, height * 2 // 3))),
        ]
    return images


def small_photos(source: Path, folder: Path) -> str:
    """SMALL_COUNT photos at SMALL px on the long side in `folder`; says where they came from."""
    found = (
        sorted(path for path in source.rglob("*") if path.suffix.lower() in PHOTO_SUFFIXES) if source.is_dir() else []
    )
    if len(found) >= SMALL_COUNT:
        images, origin = [], f"the first {SMALL_COUNT} photos (by name) of {source}"
        for path in found[:SMALL_COUNT]:
            with Image.open(path) as image:
                images.append(ImageOps.exif_transpose(image).convert("RGB"))
    else:
        images, origin = example_variants(), "the two examples and 18 crops, flips and resizes of them"
    for index, image in enumerate(images):
        save(to_long_side(image, SMALL), folder / f"{index:03d}.jpg")
    return origin


def im2oil_run(checkout: Path, python: str, photo: Path, temp: Path, timeout: float) -> dict:
    """Im2Oil's `Oil-Painting.py --f PHOTO --p 4` in a fresh copy of the checkout (it writes ./output)."""
    copy = temp / f"im2oil-{photo.stem}"
    shutil.copytree(checkout, copy, ignore=shutil.ignore_patterns(".git", "output", "videos", "input"))
    log = temp / f"im2oil-{photo.stem}.log"
    run = whole_process([python, "Oil-Painting.py", "--f", str(photo), "--p", "4"], log, cwd=copy, timeout=timeout)
    result = copy / "output" / f"{photo.stem}-p-4" / "Final_Result.png"
    run["finished"] = run["returncode"] == 0 and result.exists()
    if not run["finished"] and not run["timed_out"]:
        run["log_tail"] = log.read_text(errors="replace")[-2000:]
    shutil.rmtree(copy, ignore_errors=True)
    return run


def met(value: float, target: float, at_most: bool = True) -> str:
    return "met" if (value <= target if at_most else value >= target) else "MISSED"


def seconds_text(run: dict) -> str:
    return f"> {run['seconds']:.0f} s" if run["timed_out"] else f"{run['seconds']:.1f} s"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=TRAIN, help="where the 512 px photos come from")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing, whose median is the figure")
    parser.add_argument("--im2oil", type=Path, help="a checkout of github.com/TZYSJTU/Im2Oil")
    parser.add_argument("--im2oil-python", default=sys.executable, help="a Python with Im2Oil's dependencies")
    parser.add_argument("--im2oil-timeout", type=float, default=1800.0, help="seconds per Im2Oil photo")
    parser.add_argument(
        "--im2oil-photos", type=int, default=len(EXAMPLES), help="how many of the two examples Im2Oil paints"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    if options.im2oil and not (options.im2oil / "Oil-Painting.py").exists():
        sys.exit(f"no Oil-Painting.py in {options.im2oil}")
    figures: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": cpu_name(),
            "python": platform.python_version(),
            "load_average_before": os.getloadavg(),
        },
        "targets": {
            "phone_seconds": TARGET_SECONDS,
            "phone_peak_mb": TARGET_MB,
            "small_img_per_s": TARGET_RATE,
            "im2oil_speedup": TARGET_SPEEDUP,
        },
    }
    print(
        f"CPU: {os.cpu_count()} x {cpu_name()}, load average {os.getloadavg()[0]:.1f}; default `portraitize "
        "convert` (stroke painter on)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-painter-") as temp:
        temp = Path(temp)
        warm = temp / "brush-cache"  # empty at first, whatever the user's own cache holds
        os.environ[CACHE_ENV] = str(warm)

        print(f"1. 12 MP phone photo ({PHONE[0]} x {PHONE[1]}), one fresh process each")
        figures["phone"] = []
        for photo in phone_photos(temp / "phone"):
            run = repeated(
                ["convert", str(photo.parent), str(temp / "out-phone" / photo.stem)], temp / "p.log", options.repeat
            )
            figures["phone"].append({"photo": photo.name, **run})
            print(
                f"  {photo.name:<18} {run['seconds']:6.1f} s, the median of "
                f"{', '.join(f'{seconds:.1f}' for seconds in run['runs_seconds'])} (target <= {TARGET_SECONDS:.0f} s: "
                f"{met(run['seconds'], TARGET_SECONDS)})  peak {run['peak_mb']:6.0f} MB (target <= "
                f"{TARGET_MB:.0f} MB: {met(run['peak_mb'], TARGET_MB)})",
                flush=True,
            )

        small = temp / "small"
        origin = small_photos(options.photos, small)
        first = temp / "small-first"
        first.mkdir()
        shutil.copy(sorted(small.iterdir())[0], first)
        print(f"2. {SMALL_COUNT} photos at {SMALL} px in one process: {origin}")
        whole = repeated(["convert", str(small), str(temp / "out-small")], temp / "s.log", options.repeat)
        one = repeated(["convert", str(first), str(temp / "out-first")], temp / "f.log", options.repeat)
        os.environ[CACHE_ENV] = str(temp / "empty-cache")
        cold = portraitize(["convert", str(first), str(temp / "out-cold")], temp / "c.log")
        os.environ[CACHE_ENV] = str(warm)
        raw = SMALL_COUNT / whole["seconds"]
        steady = (SMALL_COUNT - 1) / max(whole["seconds"] - one["seconds"], 1e-9)
        start_up = whole["seconds"] - SMALL_COUNT / steady
        figures["small"] = {
            "photos": origin,
            "count": SMALL_COUNT,
            "seconds": whole["seconds"],
            "runs_seconds": whole["runs_seconds"],
            "peak_mb": whole["peak_mb"],
            "one_photo_seconds": one["seconds"],
            "one_photo_cold_seconds": cold["seconds"],
            "start_up_seconds": start_up,
            "raw_img_per_s": raw,
            "steady_img_per_s": steady,
        }
        print(
            f"  {whole['seconds']:.1f} s, the median of {', '.join(f'{seconds:.1f}' for seconds in whole['runs_seconds'])} "
            f"(peak {whole['peak_mb']:.0f} MB); one photo alone {one['seconds']:.1f} s ({cold['seconds']:.1f} s with "
            "the brush cache empty)\n"
            f"  raw {raw:.2f} img/s (target >= {TARGET_RATE:g}: {met(raw, TARGET_RATE, at_most=False)}); steady "
            f"{steady:.2f} img/s without {start_up:.1f} s of start-up (target >= {TARGET_RATE:g}: "
            f"{met(steady, TARGET_RATE, at_most=False)})",
            flush=True,
        )

        if options.im2oil:
            photos = EXAMPLES[: options.im2oil_photos]
            print(
                f"3. against Im2Oil (`Oil-Painting.py --f PHOTO --p 4`, {options.im2oil_python}), the examples at "
                f"their own size; whole processes, timeout {options.im2oil_timeout:.0f} s"
            )
            figures["im2oil"] = {"checkout": str(options.im2oil), "python": options.im2oil_python, "photos": []}
            for photo in photos:
                with Image.open(photo) as image:
                    size = image.size
                ours = portraitize(["convert", str(photo), str(temp / "out-vs" / photo.stem)], temp / "v.log")
                theirs = im2oil_run(
                    options.im2oil.resolve(), options.im2oil_python, photo, temp, options.im2oil_timeout
                )
                ratio = theirs["seconds"] / ours["seconds"]
                bound = "> " if theirs["timed_out"] else ""
                reached = met(ratio, TARGET_SPEEDUP, at_most=False)
                if not theirs["finished"] and not theirs["timed_out"]:
                    reached = "Im2Oil FAILED"
                figures["im2oil"]["photos"].append(
                    {
                        "photo": photo.name,
                        "size": list(size),
                        "ours_seconds": ours["seconds"],
                        "ours_peak_mb": ours["peak_mb"],
                        "im2oil_seconds": theirs["seconds"],
                        "im2oil_peak_mb": theirs["peak_mb"],
                        "im2oil_timed_out": theirs["timed_out"],
                        "im2oil_finished": theirs["finished"],
                        "speedup": ratio,
                        "speedup_is_lower_bound": theirs["timed_out"],
                        **({"im2oil_log_tail": theirs["log_tail"]} if "log_tail" in theirs else {}),
                    }
                )
                print(
                    f"  {photo.name:<18} {size[0]}x{size[1]}  ours {ours['seconds']:6.1f} s  Im2Oil "
                    f"{seconds_text(theirs):>9} (peak {theirs['peak_mb']:.0f} MB)  {bound}{ratio:.0f}x faster "
                    f"(target >= {TARGET_SPEEDUP:.0f}x: {reached})",
                    flush=True,
                )
                if "log_tail" in theirs:
                    print(f"  Im2Oil failed ({theirs['returncode']}):\n{theirs['log_tail']}")
    figures["machine"]["load_average_after"] = os.getloadavg()
    print(f"load average at the end {os.getloadavg()[0]:.1f} (1 min)")
    if options.json:
        write_figures(options.json, figures)


if __name__ == "__main__":
    main()
