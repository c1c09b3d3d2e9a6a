"""What the stroke painter lays, read from its stroke lists: stroke sizes by region, and coverage.

    python bench/strokes.py [--photos DIR] [--count 51] [--json PATH]

Each photo goes through the converter's own paint chain with its default options (the chain `convert` runs).
Of the strokes that still show once the finer layers are laid (painter.visible), it compares those centred on a
face (inside a face box) with those on the ground (where the person mask is below GROUND_BELOW): the median
length and width of each, and the ratio of the medians (target: the ground's strokes at least 3x longer).
Coverage: the share of the canvas that the broadest layer's strokes alone put paint on (target 1.0; the finer
layers then paint over it). The photos are the NASA test portraits by default: they are only measured here, never tuned on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from portraitize.catalogue import resolve, resolve_optional, upscaler_for
from portraitize.chain import PaintChain
from portraitize.images import load_photo
from portraitize.model_set import ModelSources
from portraitize.painter import visible
from portraitize.painter_settings import PainterRequest
from portraitize.translate import PaintSettings

REPO = Path(__file__).resolve().parents[1]
NASA = REPO.parent / "shared" / "data" / "photos" / "test" / "nasa"
GROUND_BELOW = 0.2  # person mask value under which a stroke is on the ground


def measure(photo_path: Path, chain: PaintChain) -> dict:
    photo = load_photo(photo_path)
    sitting = chain.prepare(photo)
    painted = chain.translate([sitting])[0]
    layers = chain.finish(sitting, painted).strokes
    size = sitting.photo.size
    shown = visible(layers, size)
    x, y, length, width = (
        np.concatenate([values[keep] for values, keep in zip(column, shown)])
        for column in (
            [layer.x for layer in layers],
            [layer.y for layer in layers],
            [layer.length for layer in layers],
            [layer.widths() for layer in layers],
        )
    )
    on_face = np.zeros(len(x), bool)
    for face in sitting.faces:
        on_face |= (x >= face.x1) & (x <= face.x2) & (y >= face.y1) & (y <= face.y2)
    on_ground = np.zeros(len(x), bool)
    if sitting.person is not None:
        mask = sitting.person
        rows = np.clip((y * mask.shape[0] / size[1]).astype(int), 0, mask.shape[0] - 1)
        cols = np.clip((x * mask.shape[1] / size[0]).astype(int), 0, mask.shape[1] - 1)
        on_ground = (mask[rows, cols] < GROUND_BELOW) & ~on_face
    result = {"photo": photo_path.name, "faces": len(sitting.faces), "coverage": layers[0].covered}
    for name, where in (("face", on_face), ("ground", on_ground)):
        result[f"{name}_strokes"] = int(where.sum())
        result[f"{name}_length"] = float(np.median(length[where])) if where.any() else None
        result[f"{name}_width"] = float(np.median(width[where])) if where.any() else None
    return result


def default_chain() -> PaintChain:
    """The paint chain `convert` runs with its default options, on the CPU."""
    sources = ModelSources(
        resolve(None, "translator"),
        upscaler_for(None, in_strokes=True),
        resolve_optional(None, "face_detector"),
        None,
        resolve_optional(None, "person_mask"),
        resolve_optional(None, "face_landmarks"),
    )
    models = sources.load("cpu")
    info = models.translator.info
    settings = PaintSettings(
        max_size=info.native_size, face_size=info.face_size, strokes=PainterRequest().settings_for(info.face_size)
    )
    return PaintChain(models, settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=NASA)
    parser.add_argument("--count", type=int, default=51)
    parser.add_argument("--json", type=Path, help="also write the per-photo figures and the summary here")
    options = parser.parse_args()
    chain = default_chain()
    photos = sorted(path for path in options.photos.iterdir() if not path.name.startswith("."))[: options.count]
    rows = [measure(photo, chain) for photo in photos]
    both = [row for row in rows if row["face_length"] and row["ground_length"]]
    ratios = [row["ground_length"] / row["face_length"] for row in both]
    summary = {
        "photos": len(rows),
        "with_face_and_ground": len(both),
        "length_ratio_median": float(np.median(ratios)) if ratios else None,
        "length_ratio_min": float(np.min(ratios)) if ratios else None,
        "face_length_median": float(np.median([row["face_length"] for row in both])) if both else None,
        "ground_length_median": float(np.median([row["ground_length"] for row in both])) if both else None,
        "coverage_min": float(min(row["coverage"] for row in rows)),
        "coverage_mean": float(np.mean([row["coverage"] for row in rows])),
    }
    print(f"{len(rows)} photos from {options.photos}; {len(both)} with strokes on a face and on the ground")
    print(
        f"median visible stroke length: ground {summary['ground_length_median']:.1f} px, face "
        f"{summary['face_length_median']:.1f} px; ratio per photo: median {summary['length_ratio_median']:.1f}, "
        f"lowest {summary['length_ratio_min']:.1f} (target >= 3)"
    )
    print(f"coverage: mean {summary['coverage_mean']:.4f}, lowest {summary['coverage_min']:.4f} (target 1.0)")
    if options.json:
        options.json.write_text(json.dumps({"summary": summary, "photos": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
