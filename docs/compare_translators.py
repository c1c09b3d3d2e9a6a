"""A before/after sheet: each photo, then the same photo through each translator, as `portraitize convert` paints it.

    python docs/compare_translators.py OUT.jpg --photos FOLDER --count 6 --model OLD.onnx --model NEW.onnx

Photos are taken evenly over the sorted folder (not picked by eye). Commit only sheets of photos whose terms
allow it (NASA portraits: public domain); `../shared/data/photos/*/humans` may not be redistributed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from make_figures import labelled, square

from portraitize.grid import contact_sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--photos", type=Path, action="append", required=True, help="photo folder; repeatable")
    parser.add_argument("--count", type=int, default=6, help="photos per folder")
    parser.add_argument("--model", action="append", required=True, help="translator name or .onnx; repeatable")
    parser.add_argument("--size", type=int, default=256, help="tile side (px)")
    parser.add_argument("--extra", default="", help="more `portraitize convert` options, e.g. '--max-size 512'")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        chosen = Path(temp) / "photos"
        chosen.mkdir()
        for index, folder in enumerate(options.photos):
            photos = sorted(path for path in folder.iterdir() if path.is_file())
            step = max(1, len(photos) // options.count)
            for photo in photos[::step][: options.count]:
                shutil.copy(photo, chosen / f"{index}-{photo.name}")
        tiles, labels = [], ["photo"]
        outputs = []
        for number, model in enumerate(options.model):
            outputs.append(Path(temp) / f"out{number}")
            labels.append(Path(model).stem if model.endswith(".onnx") else model)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "portraitize",
                    "convert",
                    str(chosen),
                    str(outputs[-1]),
                    "--model",
                    model,
                    *options.extra.split(),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        for photo in sorted(chosen.iterdir()):
            tiles.append(square(photo, options.size))
            tiles += [square(next(output.glob(photo.stem + ".*")), options.size) for output in outputs]
        sheet = contact_sheet(np.stack(tiles), columns=len(labels))
        options.out.parent.mkdir(parents=True, exist_ok=True)
        labelled(sheet, labels, options.size).save(options.out, quality=88, optimize=True)
        print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
