"""Benchmark `portraitize sample`: wall seconds and peak memory, as a user runs it.

    python bench/sample.py [--count 50] [--painted 12] [--size 512] [--repeat 3] [--json PATH]

Times `sample --count N` as it is (the default: portrait-gan with its latent check and the face check), with
`--grid`, with `--no-face-check`, and with `--every-latent --no-face-check` (the sampler alone); then `--size S` on
a few portraits (--painted), and the same few without it, so the seconds a painted portrait costs separate from
start-up.
Each run is a fresh `portraitize` process (bench/convert.py's timed_run): start-up and model loading included.
Each is run --repeat times and the fastest kept: on a CPU shared with other work the slower runs measure the others.
--json PATH also writes the figures to PATH (bench/report.py reads them).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from convert import timed_run, write_figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument(
        "--painted", type=int, default=12, help="portraits painted at --size (several: they paint in parallel)"
    )
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the fastest kept")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    runs = {
        "default": (options.count, []),
        "grid": (options.count, ["--grid"]),
        "no_face_check": (options.count, ["--no-face-check"]),
        "sampler_alone": (options.count, ["--every-latent", "--no-face-check"]),
        "few": (options.painted, []),
        "painted": (options.painted, ["--size", str(options.size)]),
    }
    figures: dict = {"size": options.size, "repeat": options.repeat}
    with tempfile.TemporaryDirectory() as temp:
        for name, (count, extra) in runs.items():
            folders = [Path(temp) / f"{name}{attempt}" for attempt in range(options.repeat)]
            seconds, peak = min(
                timed_run(["sample", "--count", str(count), "--out", str(out), *extra]) for out in folders
            )
            print(f"sample --count {count} {' '.join(extra)}: {seconds:.2f} s, peak {peak:.0f} MB")
            figures[name] = {"count": count, "options": " ".join(extra), "seconds": seconds, "peak_mb": peak}
    figures["face_check_extra_seconds"] = figures["default"]["seconds"] - figures["no_face_check"]["seconds"]
    painted = (figures["painted"]["seconds"] - figures["few"]["seconds"]) / options.painted
    figures["painted_seconds_per_portrait"] = painted
    print(
        f"the face check adds {figures['face_check_extra_seconds']:.2f} s; --size {options.size}: {painted:.2f} s a portrait"
    )
    if options.json:
        write_figures(options.json, figures)


if __name__ == "__main__":
    main()
