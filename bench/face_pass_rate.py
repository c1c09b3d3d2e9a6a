"""How often samplers paint a face the face check passes: a measure of distorted faces that needs no labelling,
cheap enough to follow a training run from snapshot to snapshot.

    python bench/face_pass_rate.py NAME=MODEL.onnx [NAME=MODEL.onnx ...] [--count 1000] [--seed 5] [--json PATH]

Each sampler paints --count portraits alone (every latent, no latent check, no face check: the sampler itself,
as `sample --every-latent --no-face-check` paints them), and the bundled face check (face_check.py) scores each.
On the 300 labelled seed-1 portraits (bench/face_check.py) the check turned down nine in ten distorted faces and
four in ten fine ones, so a sampler whose portraits pass more often paints fewer distorted faces; the labels by
eye stay the measure a figure in the card is judged by. Seed 5 is in none of the labelled sets nor the latent
check's fit. --json PATH also writes the figures (bench/report.py reads them).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from convert import write_figures

from portraitize.face_check import PASSES
from portraitize.sampling import bundled_face_scores, paint_samples
from portraitize.session import load_model


def pass_rate(model: Path, count: int, seed: int, scores) -> dict:
    sampler = load_model(model, "cpu", kind="sampler")
    images = paint_samples(sampler, count, seed, None, batch_size=16, every_latent=True).images
    values = np.array(scores(list(images)), np.float64)
    return {
        "model": str(model),
        "portraits": count,
        "passing": int((values >= PASSES).sum()),
        "pass_rate": float((values >= PASSES).mean()),
        "median_score": float(np.median(values)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samplers", nargs="+", help="NAME=PATH of a sampler's .onnx file")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    scores = bundled_face_scores()
    figures = {"seed": options.seed, "threshold": PASSES}
    for entry in options.samplers:
        name, _, path = entry.partition("=")
        if not path:
            parser.error(f"{entry}: expected NAME=PATH")
        figures[name] = pass_rate(Path(path), options.count, options.seed, scores)
        print(
            f"{name}: {figures[name]['passing']} of {options.count} pass ({figures[name]['pass_rate']:.1%})", flush=True
        )
    if options.json:
        write_figures(options.json, figures)


if __name__ == "__main__":
    main()
