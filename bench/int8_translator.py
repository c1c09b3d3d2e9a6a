"""A translator's int8 copy against its float model on this machine's CPU: speed, and whether it may ship.

    python bench/int8_translator.py FLOAT.onnx INT8.onnx --evaluations FLOAT.json INT8.json
                                    [--photos DIR] [--sizes 256,384,512] [--count 3] [--repeats 5] [--json PATH]

FLOAT.json and INT8.json are what `python -m trainer evaluate --json` wrote for each model on the same photo
sets (bench/report.py's int8 section runs them first). Both models are loaded here, in one process, with the
converter's own sessions; each time is one translator call as the paint chain makes it (`paint_batch` on one
photo resized to a long side of SIZE), float and int8 taking turns, and each figure is the median over --count
NASA photos x --repeats calls (after a warm-up call each). The copy ships only by the rule `verdict` applies:
on every evaluated set its KID and its dlib identity are no worse than the float model's beyond their spread,
and it is faster at every size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from convert import DEFAULT_PHOTOS, write_figures
from sections import read_translator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from portraitize.face_scale import painting_size  # noqa: E402
from portraitize.images import resize  # noqa: E402
from portraitize.session import load_model  # noqa: E402
from portraitize.translate import paint_batch  # noqa: E402
from trainer.data import find_images, read_rgb  # noqa: E402


def seconds_per_call(models: dict, rgbs: list[np.ndarray], repeats: int) -> dict[str, float]:
    """Median seconds of one translator call per model, the models taking turns on each photo."""
    times: dict[str, list[float]] = {name: [] for name in models}
    for rgb in rgbs:
        for model in models.values():
            paint_batch(model, [rgb])  # warm-up: the first call at a new size plans its kernels
        for _ in range(repeats):
            for name, model in models.items():
                start = time.perf_counter()
                paint_batch(model, [rgb])
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def verdict(evaluations: dict[str, dict], speed: dict[str, dict]) -> dict:
    """The rule, per evaluated set: int8's KID no higher than the float's by more than its spread (the std over
    subsets), no fewer sitters the same person by dlib, their mean dlib distance no larger than the float's by more
    than its standard error; and faster at every size. One-sided: the copy must cost nothing measurable, and a
    copy that scores better is no reason to keep the slower file."""
    float_sets, int8_sets = (read_translator(evaluations[name]) for name in ("float", "int8"))
    checks = {}
    for name in (name for name in float_sets if name != "floor"):
        before, after = float_sets[name], int8_sets[name]
        checks[name] = {
            "kid_within_spread": after["kid"] - before["kid"] <= before["kid_std"],
            "same_person_kept": after["same_person"] >= before["same_person"],
            "distance_within_spread": after["identity_distance"] - before["identity_distance"]
            <= before.get("identity_spread", float("nan")),
        }
    faster = all(size["int8_ms"] < size["float_ms"] for size in speed.values())
    ships = faster and all(all(check.values()) for check in checks.values())
    return {"sets": checks, "faster": faster, "ships": ships}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("float_model", type=Path)
    parser.add_argument("int8_model", type=Path)
    parser.add_argument("--evaluations", type=Path, nargs=2, required=True, metavar=("FLOAT.json", "INT8.json"))
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--sizes", default="256,384,512")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()

    load_before = os.getloadavg()
    models = {"float": load_model(options.float_model, "cpu"), "int8": load_model(options.int8_model, "cpu")}
    photos = [np.asarray(read_rgb(path)) for path in find_images(options.photos)[: options.count]]
    speed = {}
    for size in (int(value) for value in options.sizes.split(",")):
        # the long-side rule: what the chain paints a photo without a face at
        rgbs = [resize(rgb, painting_size((rgb.shape[1], rgb.shape[0]), None, 0, size)) for rgb in photos]
        seconds = seconds_per_call(models, rgbs, options.repeats)
        speed[str(size)] = {
            "float_ms": seconds["float"] * 1000,
            "int8_ms": seconds["int8"] * 1000,
            "speedup": seconds["float"] / seconds["int8"],
        }
        print(f"{size} px: float {seconds['float'] * 1000:.0f} ms, int8 {seconds['int8'] * 1000:.0f} ms per call")
    evaluations = {name: json.loads(path.read_text()) for name, path in zip(("float", "int8"), options.evaluations)}
    figures = {
        "machine": {"cpus": os.cpu_count(), "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "photos": len(photos),
        "repeats": options.repeats,
        "speed": speed,
        **evaluations,
        "verdict": verdict(evaluations, speed),
    }
    print(f"ships: {figures['verdict']['ships']} ({json.dumps(figures['verdict']['sets'])})")
    if options.json:
        write_figures(options.json, figures)


if __name__ == "__main__":
    main()
