"""Make the README's pictures with the installed `portraitize` and its bundled models, as a user would.

    python docs/make_figures.py [--size 224]

docs/before_after.jpg: each photo of examples/ (public domain, from the scikit-image and matplotlib
packages); "before": the default until the stroke painter (`oil-portrait` v3 with its brushwork stage, taken from
git at BEFORE_COMMIT, `--painter none --texture impasto`); "now": the default, `portraitize convert`.
docs/styles.jpg: the same photos through the style translators, `portraitize convert --model NAME`.
docs/samples.jpg: the contact sheet of `portraitize sample --count 16 --seed 0 --grid` (default sampler).
docs/phone_crop.jpg: both photos enlarged to 4032 x 3024 phone photos, a 100% crop of each face: the photo,
before and now.
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
BEFORE_COMMIT = "5619138"  # the last commit whose default was the translator's brushwork and the impasto texture
BEFORE_OPTIONS = ("--painter", "none", "--texture", "impasto")


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


def before_model(temp: Path) -> Path:
    """`oil-portrait` as it shipped at BEFORE_COMMIT (with its brushwork stage), from git."""
    path = temp / "oil-portrait-before.onnx"
    data = subprocess.run(
        ["git", "-C", str(DOCS.parent), "show", f"{BEFORE_COMMIT}:exported/oil-portrait.onnx"],
        check=True,
        capture_output=True,
    ).stdout
    path.write_bytes(data)
    return path


def before_after(size: int, temp: Path) -> Path:
    portraitize("convert", str(EXAMPLES), str(temp / "before"), "--model", str(before_model(temp)), *BEFORE_OPTIONS)
    portraitize("convert", str(EXAMPLES), str(temp / "now"))
    photos = sorted(path for path in EXAMPLES.iterdir() if path.suffix == ".jpg")
    rows = []
    for photo in photos:
        rows += [square(photo, size), *(square(temp / name / photo.name, size) for name in ("before", "now"))]
    sheet = contact_sheet(np.stack(rows), columns=3)
    out = DOCS / "before_after.jpg"
    labelled(sheet, ["photo", "before (v3 + impasto)", "now (strokes)"], size).save(out, quality=88, optimize=True)
    return out


def styles(size: int, temp: Path) -> Path:
    translators = [entry.name for entry in list_models() if entry.info and entry.info.kind == "translator"]
    translators = sorted(name for name in translators if name != "oil-portrait")
    for name in translators:
        portraitize("convert", str(EXAMPLES), str(temp / name), "--model", name)
    photos = sorted(path for path in EXAMPLES.iterdir() if path.suffix == ".jpg")
    rows = []
    for photo in photos:
        rows += [square(photo, size), *(square(temp / name / photo.name, size) for name in translators)]
    sheet = contact_sheet(np.stack(rows), columns=1 + len(translators))
    out = DOCS / "styles.jpg"
    labelled(sheet, ["photo", *translators], size).save(out, quality=85, optimize=True)
    return out


def samples(temp: Path) -> Path:
    portraitize("sample", "--count", "16", "--seed", "0", "--grid", "--out", str(temp / "samples"))
    sheet = next((temp / "samples").glob("*grid*"))
    out = DOCS / "samples.jpg"
    with Image.open(sheet) as image:
        image.convert("RGB").save(out, quality=90, optimize=True)
    return out


def phone_crop(temp: Path, side: int = 400) -> Path:
    """A 100% crop of each face in the photos enlarged to 4032 x 3024: photo, before, now."""
    folder = temp / "phone"
    folder.mkdir()
    for name in ("astronaut", "grace_hopper"):
        with Image.open(EXAMPLES / f"{name}.jpg") as image:
            image.convert("RGB").resize((4032, 3024), Image.Resampling.LANCZOS).save(folder / f"{name}.jpg", quality=95)
    model = before_model(temp)
    portraitize("convert", str(folder), str(temp / "phone-before"), "--model", str(model), *BEFORE_OPTIONS)
    portraitize("convert", str(folder), str(temp / "phone-now"))
    boxes = {"astronaut": (1560, 500), "grace_hopper": (1450, 700)}  # left, top of each crop: the eyes and nose
    tiles = []
    for name, (left, top) in boxes.items():
        box = (left, top, left + side, top + side)
        for where in ("phone", "phone-before", "phone-now"):
            with Image.open(temp / where / f"{name}.jpg") as image:
                tiles.append(np.asarray(image.convert("RGB").crop(box)))
    out = DOCS / "phone_crop.jpg"
    labels = ["photo (4032 x 3024), 100%", "before (v3 + impasto), 100%", "now (strokes), 100%"]
    labelled(contact_sheet(np.stack(tiles), columns=3), labels, side).save(out, quality=88, optimize=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=384, help="side of each tile in the before/after grid (px)")
    parser.add_argument("--only", choices=("before_after", "styles", "samples", "phone_crop"), action="append")
    options = parser.parse_args()
    figures = {
        "before_after": lambda temp: before_after(options.size, temp),
        "styles": lambda temp: styles(options.size // 2, temp),
        "samples": samples,
        "phone_crop": phone_crop,
    }
    with tempfile.TemporaryDirectory() as temp:
        for name in options.only or figures:
            (Path(temp) / name).mkdir()
            out = figures[name](Path(temp) / name)
            print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
