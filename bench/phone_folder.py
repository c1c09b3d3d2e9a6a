"""A folder of 12-megapixel phone photos through `portraitize convert`: wall time and peak memory of the whole
process and its stroke workers (processes.py), as it is and with --threads 1.

    python bench/phone_folder.py [--copies 2] [--json PATH]

The photos are bench/painter.py's phone photos (the README's two examples enlarged to 4032 x 3024), each
--copies times, in one folder. bench/painter.py measures one such photo a process (targets 10 s, 1.5 GB); a
folder adds what runs side by side: the next photo read, translated and enlarged while a stroke worker paints
the last one. --json PATH also writes the figures to PATH (bench/report.py reads them).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from convert import write_figures
from painter import phone_photos, portraitize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=2, help="copies of each of the two phone photos")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "phones"
        folder.mkdir()
        for photo in phone_photos(Path(temp) / "made"):
            for copy in range(options.copies):
                shutil.copy(photo, folder / f"{photo.stem}-{copy}.jpg")
        figures["photos"] = len(list(folder.iterdir()))
        for name, extra in (("default", []), ("threads1", ["--threads", "1"])):
            out = Path(temp) / f"out-{name}"
            run = portraitize(["convert", str(folder), str(out), *extra], Path(temp) / "log")
            figures[name] = {"options": " ".join(extra), "seconds": run["seconds"], "peak_mb": run["peak_mb"]}
            figures[name]["seconds_per_photo"] = run["seconds"] / figures["photos"]
            print(
                f"{figures['photos']} phone photos {' '.join(extra)}: {run['seconds']:.1f} s, peak {run['peak_mb']:.0f} MB"
            )
    if options.json:
        write_figures(options.json, figures)


if __name__ == "__main__":
    main()
