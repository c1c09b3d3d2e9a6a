"""Make the README's pictures with the installed `portraitize` and its bundled models, as a user would.

    python docs/make_figures.py [--size 224]

docs/before_after.jpg: each photo of examples/ (public domain, from the scikit-image and matplotlib
packages), then the same photo through every bundled translator, `portraitize convert --model NAME`.
docs/samples.jpg: the contact sheet of `portraitize sample --count 16 --seed 0 --grid` (default sampler).
docs/phone_crop.jpg: the astronaut enlarged to a 4032 x 3024 phone photo, a 100% crop of her face: the photo, the
long-side rule with a plain resize (`--scale long-side --upscaler none --texture none`), face scale + upscaler
(`--texture none`), and the default (face scale + upscaler + brush texture).
Pictures made from ../shared/data are never used here: their terms do not allow it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from portraitize.catalogue import list_models
from portraitize.grid import contact_sheet

DOCS = Path(__file__).resolve().parent
EXAMPLES = DOCS.parent / "examples"
LABEL_HEIGHT = 18


def portraitize(*arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "portraitize", *arguments], check=True, stdout=subprocess.DEVNULL)


def square(path: Path, size: int) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.fit(image.convert("RGB"), (size, size), Image.Resampling.LANCZOS))


def labelled(sheet: np.ndarray, labels: list[str], size: int, gap: int = 2) -> Image.Image:
    """The sheet with a white strip above naming each column."""
    canvas = Image.new("RGB", (sheet.shape[1], sheet.shape[0] + LABEL_HEIGHT), "white")
    canvas.paste(Image.fromarray(sheet), (0, LABEL_HEIGHT))
    draw = ImageDraw.Draw(canvas)
    for column, label in enumerate(labels):
        draw.text((gap + column * (size + gap) + size / 2, LABEL_HEIGHT / 2 + 2), label, fill="black", anchor="mm")
    return canvas


def before_after(size: int, temp: Path) -> Path:
    translators = [entry.name for entry in list_models() if entry.info and entry.info.kind == "translator"]
    translators.sort(key=lambda name: name != "oil-portrait")  # the default first
    for name in translators:
        portraitize("convert", str(EXAMPLES), str(temp / name), "--model", name, "--max-size", str(2 * size))
    photos = sorted(path for path in EXAMPLES.iterdir() if path.suffix == ".jpg")
    tiles = [square(photo, size) for photo in photos]
    rows = []
    for photo, original in zip(photos, tiles):
        rows.append(original)
        rows += [square(next((temp / name).glob(photo.stem + ".*")), size) for name in translators]
    sheet = contact_sheet(np.stack(rows), columns=1 + len(translators))
    out = DOCS / "before_after.jpg"
    labelled(sheet, ["photo", *translators], size).save(out, quality=85, optimize=True)
    return out


def samples(temp: Path) -> Path:
    portraitize("sample", "--count", "16", "--seed", "0", "--grid", "--out", str(temp / "samples"))
    sheet = next((temp / "samples").glob("*grid*"))
    out = DOCS / "samples.jpg"
    with Image.open(sheet) as image:
        image.convert("RGB").save(out, quality=90, optimize=True)
    return out


def phone_crop(temp: Path, side: int = 480) -> Path:
    photo = temp / "phone" / "astronaut.jpg"
    photo.parent.mkdir()
    with Image.open(EXAMPLES / "astronaut.jpg") as image:
        image.convert("RGB").resize((4032, 3024), Image.Resampling.LANCZOS).save(photo, quality=95)
    runs = {
        "before": ("--scale", "long-side", "--upscaler", "none", "--texture", "none"),
        "upscaled": ("--texture", "none"),
        "now": (),
    }
    for folder, options in runs.items():
        portraitize("convert", str(photo), str(temp / folder), *options)
    box = (1400, 250, 1400 + side, 250 + side)  # her face, at 100%
    tiles = [np.asarray(Image.open(path).crop(box)) for path in (photo, *(temp / name / photo.name for name in runs))]
    out = DOCS / "phone_crop.jpg"
    labels = ["photo (4032 x 3024), 100%", "long side 256 + resize", "face scale + painting-x4", "+ impasto (default)"]
    labelled(contact_sheet(np.stack(tiles), columns=4), labels, side).save(out, quality=88, optimize=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=224, help="side of each tile in the before/after grid (px)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        for out in (before_after(options.size, Path(temp)), samples(Path(temp)), phone_crop(Path(temp))):
            print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
