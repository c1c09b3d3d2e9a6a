"""The stroke painter alone on real oil portraits: what its marks do to pictures that already are oil paintings.

    python bench/repaint.py PAINTINGS OUT

Each painting goes through the paint chain as `convert` runs it by default (bench/strokes.default_chain), but
for the translator: the painting itself stands in for the translator's painting and for the photo, so what
changes is the painter's work alone: its painted ground, its light on the sitter, its strokes. Shown blind
beside untouched real oils (`python bench/panel.py make --set repainted=OUT ...`), it separates what viewers
reject in our paintings: the marks, or the photo under them (panel 30 in bench/panels/README.md). PAINTINGS
should come from a train folder (paintings/train), never a test folder: a panel's real oils are drawn from
paintings/test. Writes OUT/NAME.png for each picture directly in PAINTINGS (a folder of chosen paintings:
bench/panels/README.md says how panel 30's were chosen).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from strokes import default_chain

from portraitize.images import load_photo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paintings", type=Path)
    parser.add_argument("out", type=Path)
    options = parser.parse_args()
    chain = default_chain()
    options.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(
        path for path in options.paintings.iterdir() if path.is_file() and not path.name.startswith(".")
    ):
        sitting = chain.prepare(load_photo(path))
        chain.finish(sitting, sitting.photo.rgb).image.save(options.out / f"{path.stem}.png")
        print(f"{path.name}: {len(sitting.faces)} faces", flush=True)


if __name__ == "__main__":
    main()
