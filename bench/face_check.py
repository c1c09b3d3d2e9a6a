"""How well `sample`'s two face checks tell distorted faces from fine ones, on portraits labelled by eye, and how
many distorted faces each labelled set holds: `--face-check` (the face mesh, converter/portraitize/face_check.py),
the sampler's latent check (on by default; trainer/latent_check.py), and both together.

    python bench/face_check.py [--seed 1] [--count 300] [--json PATH]

bench/labels/*.csv name sample files (`file,face`, face `broken` or `fine`) as `portraitize sample` names them,
each looked at at 100% by one viewer (the file names say the settings: seed, truncation, latent check, face check).
The checks are measured on the plain portraits of --seed, latent i for portrait i (painted again here, the same
pixels `sample --every-latent` writes): how many of the broken ones each turns down (hits), and of the fine ones
(false alarms). The seed-0 portraits are the held-out count: the face mesh's threshold and the share of latents
the latent check keeps were chosen on the seed-1 labels, never on them.
--json PATH also writes the figures to PATH (bench/report.py reads them).
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import numpy as np
from convert import REPO, write_figures

from portraitize.catalogue import resolve
from portraitize.contract import sample_latents
from portraitize.face_check import PASSES
from portraitize.sampling import (
    bundled_face_scores,
    face_checked_by_default,
    paint_samples,
    sample_path,
    variant_name,
)
from portraitize.session import load_model
from trainer.latent_check import FIT_COUNT, FIT_SEED, area_under_curve

LABELS = REPO / "bench" / "labels"
NUMBERED = re.compile(r"^(?P<set>.+)-\d{4}\.png$")


def sampler_alone(sampler, count: int, seed: int) -> list[np.ndarray]:
    """The plain portraits of `seed`, latent i for portrait i: the pixels `sample --every-latent --no-face-check`
    writes."""
    return list(paint_samples(sampler, count, seed, None, batch_size=16, every_latent=True).images)


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


def measured(broken: list[bool | None], down: list[bool]) -> dict[str, float | None]:
    """How a check that turns down `down` does against the labels (None: not labelled)."""
    judged = [(is_broken, turned) for is_broken, turned in zip(broken, down) if is_broken is not None]
    if not judged:
        raise SystemExit("none of these portraits is labelled in bench/labels/: nothing to measure the checks on")
    broken_count = sum(is_broken for is_broken, _ in judged)
    hits = sum(is_broken and turned for is_broken, turned in judged)
    false_alarms = sum(turned and not is_broken for is_broken, turned in judged)
    passing = sum(not turned for _, turned in judged)
    return {
        "labelled": len(judged),
        "broken": broken_count,
        "hits": hits,
        "hit_rate": ratio(hits, broken_count),
        "false_alarms": false_alarms,
        "false_alarm_rate": ratio(false_alarms, len(judged) - broken_count),
        "turned_down_rate": (hits + false_alarms) / len(judged),
        "passing": passing,
        "broken_among_passing": ratio(broken_count - hits, passing),
    }


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def other_shares(info, scores, broken: list[bool | None]) -> dict[str, dict[str, float]]:
    """Had the latent check kept another share of the fitting latents (trainer latent-check --keep; the shipped
    one keeps 30%): the distorted share among the labelled portraits it would keep. The fitting latents' scores
    need no painting, so the thresholds are worked out again here."""

    fitting = info.latent_scores(sample_latents(FIT_COUNT, info.latent_size, FIT_SEED))
    shares = {}
    for keep in (0.2, 0.3, 0.4):
        line = np.quantile(fitting, 1 - keep)
        kept = [is_broken for score, is_broken in zip(scores, broken) if score >= line]
        kept = [is_broken for is_broken in kept if is_broken is not None]
        shares[f"keep{round(keep * 100)}"] = {
            "kept": len(kept),
            "broken": sum(kept),
            "share": ratio(sum(kept), len(kept)),
        }
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    options = parser.parse_args()
    labels = read_labels()
    sampler = load_model(resolve(None, "sampler"), "cpu", kind="sampler")
    # the labelled portraits are the plain ones, latent i for portrait i, as --every-latent paints them
    images = sampler_alone(sampler, options.count, options.seed)
    mesh_down = [score < PASSES for score in bundled_face_scores()(images)]
    latent_scores = sampler.info.latent_scores(sample_latents(options.count, sampler.info.latent_size, options.seed))
    latent_down = [bool(score < 0) for score in latent_scores] if latent_scores is not None else None
    off = False if face_checked_by_default(sampler.info) else None  # the face check turned off where it is default
    variant = variant_name(options.seed, None, every_latent=bool(sampler.info.latent_check), face_check=off)
    names = [sample_path(Path(), sampler.info.name, variant, index).name for index in range(options.count)]
    broken = [labels.get(name) for name in names]
    figures = {"check": measured(broken, mesh_down)}
    figures["check"]["threshold"] = PASSES
    if latent_down is not None:
        figures["latent_check"] = measured(broken, latent_down)
        labelled = [(score, not is_broken) for score, is_broken in zip(latent_scores, broken) if is_broken is not None]
        figures["latent_check"]["auc_by_eye"] = area_under_curve(*zip(*labelled))  # fine faces above broken ones
        figures["latent_check"]["other_shares"] = other_shares(sampler.info, latent_scores, broken)
        figures["both"] = measured(broken, [mesh or latent for mesh, latent in zip(mesh_down, latent_down)])
    for name, check in figures.items():
        print(
            f"{name}: {check['labelled']} labelled portraits of seed {options.seed}, {check['broken']} broken: turns "
            f"down {check['hits']} of them and {check['false_alarms']} of the {check['labelled'] - check['broken']} "
            f"fine ones; {check['broken'] - check['hits']} broken among the {check['passing']} that pass"
        )
    sets = by_set(labels)
    for name, entry in sets.items():
        print(f"{name}: {entry['broken']} of {entry['portraits']} broken (by eye)")
    if options.json:
        write_figures(options.json, {**figures, "by_eye": sets})


if __name__ == "__main__":
    main()
