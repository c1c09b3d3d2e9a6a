"""How well `sample --face-check` (converter/portraitize/face_check.py) tells distorted faces from fine ones, on
portraits labelled by eye, and how many distorted faces each labelled set holds.

    python bench/face_check.py [--seed 1] [--count 300] [--json PATH]

bench/labels/*.csv name sample files (`file,face`, face `broken` or `fine`) as `portraitize sample` names them,
each looked at at 100% by one viewer (the file names say the settings: seed, truncation, face check).
The check is measured on the plain portraits of --seed (painted again here, the same pixels `sample` writes):
how many of the broken ones it turns down (hits), and of the fine ones (false alarms). The seed-0 portraits are
the held-out count: the check's threshold was chosen on the seed-1 labels, never on them.
--json PATH also writes the figures to PATH (bench/report.py reads them).
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

from convert import REPO, write_figures

from portraitize.catalogue import resolve
from portraitize.face_check import PASSES
from portraitize.sampling import bundled_face_scores, paint_samples, sample_path, variant_name
from portraitize.session import load_model

LABELS = REPO / "bench" / "labels"
NUMBERED = re.compile(r"^(?P<set>.+)-\d{4}\.png$")


def read_labels() -> dict[str, bool]:
    """Every labelled file -> whether its face is broken."""
    labels = {}
    for path in sorted(LABELS.glob("*.csv")):
        with path.open(newline="") as handle:
            labels.update({row["file"]: row["face"] == "broken" for row in csv.DictReader(handle)})
    return labels


def by_set(labels: dict[str, bool]) -> dict[str, dict[str, int]]:
    """Per set of files (the name without its number): portraits labelled and broken."""
    sets: dict[str, dict[str, int]] = {}
    for name, broken in labels.items():
        key = NUMBERED.match(name)["set"].replace(".", "_")  # report.py's keys part at dots: trunc1.5 -> trunc1_5
        entry = sets.setdefault(key, {"portraits": 0, "broken": 0})
        entry["portraits"] += 1
        entry["broken"] += broken
    for entry in sets.values():
        entry["share"] = entry["broken"] / entry["portraits"]
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    labels = read_labels()
    sampler = load_model(resolve(None, "sampler"), "cpu", kind="sampler")
    images = paint_samples(sampler, options.count, options.seed, None, batch_size=16).images
    scores = bundled_face_scores()(list(images))
    variant = variant_name(options.seed, None, False)
    names = [sample_path(Path(), sampler.info.name, variant, index).name for index in range(options.count)]
    judged = [(labels[name], score < PASSES) for name, score in zip(names, scores) if name in labels]
    broken = sum(is_broken for is_broken, _ in judged)
    hits = sum(is_broken and down for is_broken, down in judged)
    false_alarms = sum(down and not is_broken for is_broken, down in judged)
    passing = sum(not down for _, down in judged)
    check = {
        "labelled": len(judged),
        "broken": broken,
        "hits": hits,
        "hit_rate": hits / broken,
        "false_alarms": false_alarms,
        "false_alarm_rate": false_alarms / (len(judged) - broken),
        "turned_down_rate": (hits + false_alarms) / len(judged),
        "broken_among_passing": (broken - hits) / passing,
        "threshold": PASSES,
    }
    print(
        f"{len(judged)} labelled portraits of seed {options.seed}, {broken} broken: the check turns down {hits} "
        f"of them and {false_alarms} of the {len(judged) - broken} fine ones; "
        f"{broken - hits} broken among the {passing} that pass"
    )
    sets = by_set(labels)
    for name, entry in sets.items():
        print(f"{name}: {entry['broken']} of {entry['portraits']} broken (by eye)")
    if options.json:
        write_figures(options.json, {"check": check, "by_eye": sets})


if __name__ == "__main__":
    main()
