"""One results file: every figure users read is measured into bench/results.json and rendered from there.

    python bench/report.py list                              # the sections: command, when measured
    python bench/report.py measure [SECTION ...]             # run each section's command (all: hours on 2 cores)
    python bench/report.py measure SECTION --from PATH       # fill it from the JSON its own command wrote earlier
        [--command "..."] [--commit SHA] [--date YYYY-MM-DD]  #   (what that run was, if not this checkout today)
    python bench/report.py render [--check]                  # README.md, exported/MODELS.md, each model's quality

measure: a section is one measuring command (`python -m trainer evaluate ...`, a bench script) that writes
JSON; its entry in results.json records the command, the date (UTC), the git commit (and whether the checkout
had uncommitted changes), the machine and its load, and the values read from that JSON. A section that was
never measured is absent: results.json holds measured values only. The commands read ../shared/data (only
read) and run from the repository's root; their JSON goes to runs/results/SECTION.json (kept, so a section can
be filled again with --from without running it).

render: the markdown files carry rendered spans, `<!--r:KEY-->text<!--/r-->` (one line each), whose text is
the value at KEY: `SECTION.a.b` is values["a"]["b"] of that section's entry, `SECTION.@date`, `@commit`,
`@command` the entry's own record; `KEY:SPEC` formats it with a Python format spec (ints default to `,`,
floats need a spec). Each model's `quality` metadata (shown by `portraitize models`) is rendered from
QUALITY below, or says when its figures were last measured where its section is absent. Rendering twice
changes nothing; --check changes nothing and exits 1 if anything would change (tests/test_results.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import difflib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
RUNS = REPO / "runs" / "results"
MARKDOWN = (REPO / "README.md", REPO / "exported" / "MODELS.md")
EXPORTED = REPO / "exported"

SHARED = "../shared"
PAINTINGS_TEST, PAINTINGS_TRAIN = f"{SHARED}/data/paintings/test", f"{SHARED}/data/paintings/train"
NASA, HUMANS = f"{SHARED}/data/photos/test/nasa", f"{SHARED}/data/photos/test/humans"
PAINTING_FACES = f"{SHARED}/data/paintings/faces.csv"
HUMANS_FACES = "runs/results/faces-photos-test-humans.csv"  # made by the sampler sections' first command

SPAN = re.compile(r"<!--r:(?P<key>[^>\n]*?)-->(?P<text>[^\n]*?)<!--/r-->")
PLACEHOLDER = re.compile(r"\{(?P<key>[^{}]+)\}")


# ---------------------------------------------------------------------------------------------------- sections


@dataclasses.dataclass(frozen=True)
class Section:
    """A measuring command (or several, the last writing the JSON) and how its JSON becomes values."""

    name: str
    about: str
    commands: Callable[[str], list[list[str]]]  # given the JSON path, the commands to run in order
    read: Callable[[dict], dict]  # the last command's JSON -> the values kept
    # A section that measures one earlier commit (a predecessor beside its successor): run at that commit and
    # filled with --from --commit; measure at any other checkout refuses it rather than time the wrong code.
    at_commit: str = ""

    def command_line(self, out: str) -> str:
        return " && ".join(shlex.join(command) for command in self.commands(out))


def _evaluate_translator(model: str, out: str) -> list[str]:
    """evaluate's command for a translator file: the NASA and humans test photos through the default chain."""
    return [
        *("python", "-m", "trainer", "evaluate", "--real", PAINTINGS_TEST),
        *("--model", model, "--photos", NASA, "--photos", HUMANS),
        *("--floor", PAINTINGS_TRAIN, "--device", "cpu", "--json", out),
    ]


def _translator_commands(model: str) -> Callable[[str], list[list[str]]]:
    return lambda out: [_evaluate_translator(f"exported/{model}.onnx", out)]


# The int8 comparison: the default translator's int8 copy (made here, not shipped), both evaluated alike, then
# timed side by side by the bench script, which applies the rule for shipping it (bench/int8_translator.py).
INT8_FLOAT, INT8_COPY = "exported/oil-portrait.onnx", "runs/results/oil-portrait-int8.onnx"
INT8_EVALUATIONS = ("runs/results/oil-portrait-int8-float-eval.json", "runs/results/oil-portrait-int8-eval.json")


def _int8_commands(out: str) -> list[list[str]]:
    return [
        ["python", "-m", "trainer", "quantize", INT8_FLOAT, INT8_COPY, "--min-psnr", "40"],
        *(_evaluate_translator(model, json) for model, json in zip((INT8_FLOAT, INT8_COPY), INT8_EVALUATIONS)),
        [
            "python",
            "bench/int8_translator.py",
            INT8_FLOAT,
            INT8_COPY,
            "--evaluations",
            *INT8_EVALUATIONS,
            "--json",
            out,
        ],
    ]


def read_int8(raw: dict) -> dict:
    """bench/int8_translator.py: each model's figures per set (as a translator section's), the speed per size,
    and the rule's verdict."""
    values = {name: read_translator(raw[name]) for name in ("float", "int8")}
    return {
        **values,
        "speed": raw["speed"],
        "speedup_min": min(size["speedup"] for size in raw["speed"].values()),
        **raw["verdict"],
    }


def _distance(row: dict, prefix: str = "") -> dict:
    return {
        f"{prefix}images": row["images"],
        f"{prefix}fid": row["fid_mnv2"],
        f"{prefix}kid": row["kid_x1000"],
        f"{prefix}kid_std": row["kid_std_x1000"],
        f"{prefix}spread": row["spread"],
    }


def _set_name(folder: str) -> str:
    return Path(folder.rstrip("/")).name


def read_translator(raw: dict) -> dict:
    """evaluate's rows (floor, then per photo folder the photos and their translations) -> values per set."""
    values: dict = {}
    photos: dict[str, dict] = {}
    for row in raw["rows"]:
        name = row["name"]
        if name.startswith("floor: "):
            values["floor"] = _distance(row)
        elif name.startswith("photos: "):
            photos[_set_name(name.removeprefix("photos: "))] = row
        elif name.endswith(")") and "(" in name:
            folder = _set_name(name[name.index("(") + 1 : -1])
            entry = {**_distance(photos[folder], "photos_"), **_distance(row)}
            entry["ssim"] = row["ssim_grey64"]
            if "gap_closed" in row:
                entry["gap_closed"] = row["gap_closed"]
            if "faces_in_inputs" in row:
                entry["faces_found"], entry["faces_kept"] = row["faces_in_inputs"], row["faces_kept"]
            entry["blotches"] = row["dark_blotches"]
            if "identity" in row:
                identity = row["identity"]
                entry["identity_faces"], entry["same_person"] = identity["faces"], identity["same_person"]
                entry["identity_distance"] = identity["mean_distance"]
                entry["between_sitters"] = identity["between_sitters"]
                if "distance_spread" in identity:  # measured since the int8 comparison
                    entry["identity_spread"] = identity["distance_spread"]
            values[folder] = entry
    return values


def _sampler_commands(model: str, *options: str) -> Callable[[str], list[list[str]]]:
    """`options`: sample's own (e.g. --face-check), which evaluate passes on."""

    def commands(out: str) -> list[list[str]]:
        return [
            ["python", "-m", "trainer", "detect-faces", HUMANS, HUMANS_FACES],
            [
                *("python", "-m", "trainer", "evaluate", "--real", PAINTINGS_TEST, "--model", f"exported/{model}.onnx"),
                *("--samples", "1000", "--faces", PAINTING_FACES, "--faces", HUMANS_FACES, "--images", HUMANS),
                *("--floor", PAINTINGS_TRAIN, "--train", PAINTINGS_TRAIN, "--device", "cpu", *options, "--json", out),
            ],
        ]

    return commands


def read_sampler(raw: dict) -> dict:
    """evaluate's rows for a sampler: the face-cropped floor and photos, the samples and their memorisation."""
    values: dict = {}
    for row in raw["rows"]:
        name = row["name"]
        if name.startswith("floor: "):
            values["floor"] = _distance(row)
        elif name.startswith("images: "):
            values["photos"] = _distance(row)
        elif name.startswith("samples of "):
            values["samples"] = _distance(row)
            for space, check in row.get("memorisation", {}).items():
                key = "features" if space == "features" else "grey32"
                values[f"memorisation_{key}"] = {
                    "samples": check["samples"],
                    "closer": check["closer_than_threshold"],
                    "closest": check["closest"],
                    "threshold": check["threshold_p5"],
                    "passes": check["passes"],
                }
    if "photos" in values and "samples" in values:
        values["samples"]["share_of_photos_kid"] = values["samples"]["kid"] / values["photos"]["kid"]
    return values


def read_upscaler(raw: dict) -> dict:
    values = dict(raw)
    values["psnr_gain"] = raw["psnr_model"] - raw["psnr_bicubic"]
    return values


def read_strokes(raw: dict) -> dict:
    return dict(raw["summary"])


def read_painter(raw: dict) -> dict:
    """bench/painter.py: per phone photo, the 512 px batch, and Im2Oil where it ran (targets are settings)."""
    values: dict = {"phone": {}, "small": {}}
    for figure in raw.get("phone", []):
        values["phone"][Path(figure["photo"]).stem] = {"seconds": figure["seconds"], "peak_mb": figure["peak_mb"]}
    photos = list(values["phone"].values())
    if photos:
        values["phone"]["seconds_max"] = max(item["seconds"] for item in photos)
        values["phone"]["peak_mb_max"] = max(item["peak_mb"] for item in photos)
    small = raw.get("small") or {}
    for key in ("count", "seconds", "peak_mb", "one_photo_seconds", "start_up_seconds", "raw_img_per_s"):
        if key in small:
            values["small"][key] = small[key]
    if "steady_img_per_s" in small:
        values["small"]["steady_img_per_s"] = small["steady_img_per_s"]
    im2oil = (raw.get("im2oil") or {}).get("photos") or []
    if im2oil:
        values["im2oil"] = {
            Path(item["photo"]).stem: {
                "ours_seconds": item["ours_seconds"],
                "im2oil_seconds": item["im2oil_seconds"],
                "im2oil_peak_mb": item["im2oil_peak_mb"],
                "speedup": item["speedup"],
                "lower_bound": item["speedup_is_lower_bound"],
            }
            for item in im2oil
        }
        values["im2oil"]["speedup_min"] = min(item["speedup"] for item in im2oil)
    return values


def read_speed(raw: dict) -> dict:
    """bench/convert.py --json: batches of 512 px photos, the 6000 x 4000 photo (and Ray if run)."""
    values: dict = {"photos": {f"batch{item['batch']}": item for item in raw["photos"]["batches"]}}
    values["photos"]["count"] = raw["photos"]["count"]
    if raw.get("huge"):
        values["huge"] = {f"batch{item['batch']}": item for item in raw["huge"]}
    if raw.get("ray"):
        values["ray"] = {f"workers{item['workers']}": item for item in raw["ray"]}
    return values


def read_full_resolution(raw: dict) -> dict:
    values = {key: dict(cases) for key, cases in raw["sets"].items()}
    for cases in values.values():
        if "before" in cases and "now" in cases:
            cases["now_over_before_seconds"] = cases["now"]["seconds"] / cases["before"]["seconds"]
    return values


def read_panel_pooled(raw: dict) -> dict:
    """bench/panel.py pool: the pooled means of each set, and for each set every panel showed, the lowest and
    highest panel's mean of "looks like oil" (how far one panel's viewers stray from the pool)."""
    values = {"viewers": raw["viewers"], "panels": raw["panels"], **raw["sets"]}
    panels = list(raw["per_panel"].values())
    for name in sorted(set.intersection(*(set(means) for means in panels))) if panels else ():
        means = [panel[name]["looks_like_oil"] for panel in panels]
        values[f"{name}_looks_like_oil_lowest"], values[f"{name}_looks_like_oil_highest"] = min(means), max(means)
    return values


def _script(path: str, *options: str) -> Callable[[str], list[list[str]]]:
    return lambda out: [["python", path, *options, "--json", out]]


SECTIONS: dict[str, Section] = {}
for _model in ("oil-portrait", "starry-night", "great-wave", "the-kiss"):
    SECTIONS[_model] = Section(
        _model,
        f"{_model} as `convert` runs it (stroke painter) on the NASA and humans test photos, against paintings/test",
        _translator_commands(_model),
        read_translator,
    )
for _model in ("portrait-gan", "portrait-vae"):
    SECTIONS[_model] = Section(
        _model,
        f"1000 samples of {_model} against face crops of paintings/test, and the memorisation checks",
        _sampler_commands(_model),
        read_sampler,
    )
SECTIONS["portrait-gan-no-face-check"] = Section(
    "portrait-gan-no-face-check",
    "as portrait-gan, with sample's --no-face-check: 1000 portraits of latents its latent check keeps",
    _sampler_commands("portrait-gan", "--no-face-check"),
    read_sampler,
)
SECTIONS["portrait-gan-every-latent"] = Section(
    "portrait-gan-every-latent",
    "as portrait-gan, with sample's --every-latent --no-face-check: 1000 portraits of the sampler alone",
    _sampler_commands("portrait-gan", "--every-latent", "--no-face-check"),
    read_sampler,
)
SECTIONS["oil-portrait-int8"] = Section(
    "oil-portrait-int8",
    "oil-portrait's int8 copy against the float file: evaluated alike (NASA, humans), timed side by side on the CPU",
    _int8_commands,
    read_int8,
)
SECTIONS["painting-x4"] = Section(
    "painting-x4",
    "the upscaler against bicubic on paintings/test (PSNR, feature distance)",
    lambda out: [
        [
            *("python", "-m", "trainer", "evaluate-upscaler", "exported/painting-x4.onnx"),
            *("--paintings", PAINTINGS_TEST, "--json", out),
        ]
    ],
    read_upscaler,
)
SECTIONS["strokes"] = Section(
    "strokes", "the stroke painter's strokes on the NASA portraits", _script("bench/strokes.py"), read_strokes
)
SECTIONS["painter"] = Section(
    "painter",
    "convert's default (stroke painter): a 12 MP phone photo, 20 photos at 512 px; Im2Oil when given",
    _script("bench/painter.py"),
    read_painter,
)
# Painter 6, measured again on the machine painter 8 was first measured on (the machine changed between
# sessions): recorded with --from and --commit, so painter 8's speed has its predecessor's beside it.
SECTIONS["painter-6"] = Section(
    "painter-6",
    "painter 6 (convert's default before painter 8) by the same benchmark, on the machine painter 8 was measured on",
    _script("bench/painter.py"),
    read_painter,
    at_commit="0866365885049de81dd155dde2df36d775f06b8f",
)
SECTIONS["im2oil"] = Section(
    "im2oil",
    "convert's default against Im2Oil (a local checkout, not vendored) on the two examples, side by side",
    _script("bench/painter.py", "--im2oil", "/tmp/im2oil", "--im2oil-python", "/tmp/im2oil-venv/bin/python"),
    read_painter,
)
# The default's own panels: each default alone beside real oils, the eight panel photos (painter 8 and 9: a new draw
# of oils each panel; painter 9's two panels pooled).
for _name, _painter, _folders in (
    ("panel", "painter 5", ["2026-12-05-painter5-panel29"]),
    ("panel-painter8", "painter 8", ["2026-12-05-painter8-panel52"]),
    ("panel-painter9", "painter 9", ["2026-12-06-painter9-panel67", "2026-12-06-painter9-panel81"]),
    ("panel-painter11", "painter 11", ["2026-12-06-painter11-panel85"]),
    ("panel-painter12", "painter 12", ["2026-12-06-painter12-panel91"]),
    ("panel-painter14", "painter 14", ["2026-12-06-painter14-panel105"]),
    ("panel-painter15", "painter 15", ["2026-12-06-painter15-panel112"]),
    ("panel-painter16", "painter 16", ["2026-12-06-painter16-panel121"]),
    ("panel-double-load", "a trial: brushes loaded with two colours (not shipped)", ["2026-12-06-painter16-panel129"]),
):
    SECTIONS[_name] = Section(
        _name,
        f"blind panels of convert's default ({_painter}) alone beside real oils",
        _script("bench/panel.py", "pool", "--panels", *(f"bench/panels/{folder}" for folder in _folders)),
        read_panel_pooled,
    )
# Every panel that showed painter 3's paintings (the same files), each beside one trial and real oils.
PAINTER3_PANELS = [
    *(f"bench/panels/2026-12-05-painter4-panel{n}" for n in range(16, 28)),
    "bench/panels/2026-12-05-painter5-panel28",
]
SECTIONS["panel-pooled"] = Section(
    "panel-pooled",
    "every panel that showed painter 3's paintings, its ratings pooled: painter 3's rating from the most viewers",
    _script("bench/panel.py", "pool", "--panels", *PAINTER3_PANELS, "--rename", "before=painter3"),
    read_panel_pooled,
)
# Panels of one trial each against painter 5 (bench/panels/README.md): what its marks do to real oils, and two
# trials that did not ship.
for _name, _about, _panel in (
    ("panel-repainted", "painter 5 alone on real oils (bench/repaint.py) beside untouched ones", 30),
    ("panel-refine-photos", "a trial: finer strokes where the canvas misses the picture, on the photos", 31),
    ("panel-refine-paintings", "the same trial on the repainted oils", 32),
    ("panel-dark-ground", "a trial: a darker, warmer ground", 33),
    ("panel-marks-photos", "a trial: brush sizes on five rungs by the detail under each stroke, longer strokes", 34),
    ("panel-marks-paintings", "the same trial on the repainted oils", 35),
    ("panel-samples", "portrait-gan's first eight portraits as `sample --size 512` paints them, beside real oils", 36),
):
    SECTIONS[_name] = Section(
        _name,
        _about,
        _script("bench/panel.py", "pool", "--panels", f"bench/panels/2026-12-05-painter5-panel{_panel}"),
        read_panel_pooled,
    )
# Single trial panels: (name, what was shown, the panel's folder).
for _name, _about, _folder in (
    (
        "panel-facerefine",
        "a trial (painter 7, not shipped): finer layers only where the strokes miss the picture, refined on the "
        "faces; beside painter 6 on the panel photos",
        "2026-12-05-painter6-panel37",
    ),
    (
        "panel-twice-size",
        "painter 15 on the panel photos enlarged to twice their size first (Lanczos), so a 100% detail shows "
        "brushwork rather than pixels; panel 112's draw of oils and tile order, six new viewers",
        "2026-12-06-painter15-panel114",
    ),
):
    SECTIONS[_name] = Section(
        _name, _about, _script("bench/panel.py", "pool", "--panels", f"bench/panels/{_folder}"), read_panel_pooled
    )
# Forced choices (bench/panel.py pairs): each photo's two versions in both orders; a preference holds in both.
for _name, _about, _folder in (
    ("pairs-facerefine", "painter 7's refinement against painter 6, the panel photos", "2026-12-05-painter7-pairs38"),
    (
        "pairs-sharpen",
        "a trial: broad layers sharpened before they are enlarged, against painter 6",
        "2026-12-05-painter7-pairs39",
    ),
    (
        "pairs-facerefine-12mp",
        "painter 7 against painter 6: 100% details of the examples at 12 MP",
        "2026-12-05-painter7-pairs40",
    ),
    (
        "pairs-marks",
        "a trial: brushes on five rungs by the detail under them, against painter 7",
        "2026-12-05-painter7-pairs41",
    ),
    ("pairs-marks-12mp", "the same trial against painter 7 on the 12 MP details", "2026-12-05-painter7-pairs42"),
    (
        "pairs-noweave",
        "a trial: no weave where a thread would be under 3 px, against painter 7",
        "2026-12-05-painter7-pairs43",
    ),
    ("pairs-facerefine-8bit", "painter 7 in 8-bit against painter 6: the 12 MP details", "2026-12-05-painter7-pairs44"),
    (
        "pairs-painter8",
        "painter 8 (wet ground, painter 7's refinement) against painter 6, the panel photos",
        "2026-12-05-painter8-pairs49",
    ),
    ("pairs-painter8-12mp", "painter 8 against painter 6 on the 12 MP details", "2026-12-05-painter8-pairs50"),
    (
        "pairs-minscale",
        "a trial: broad layers at a third of the size, against painter 8, the 12 MP details",
        "2026-12-05-painter8-pairs51",
    ),
    (
        "pairs-calmflesh",
        "a trial: calmer, less saturated flesh, against painter 8, the panel photos",
        "2026-12-06-painter9-pairs61",
    ),
    (
        "pairs-calmflesh-on9",
        "calmer flesh (the second half of painter 9) on top of the longer flats, against them, the panel photos",
        "2026-12-06-painter9-pairs66",
    ),
    (
        "pairs-further",
        "a trial: flats pulled on further still and a broader ground still, against painter 9's longer flats",
        "2026-12-06-painter9-pairs65",
    ),
    (
        "pairs-taper",
        "a trial: strokes tapering to their tails, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs64",
    ),
    (
        "pairs-keyed",
        "a trial: the sitter's light falling off twice as far from the faces, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs69",
    ),
    (
        "pairs-painter9-whole-12mp",
        "painter 9 as shipped against painter 8 on the 12 MP details",
        "2026-12-06-painter9-pairs78",
    ),
    (
        "pairs-impasto",
        "a trial: impasto in the lights only, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs74",
    ),
    (
        "pairs-quietdarks",
        "a trial: quiet, blended darks, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs75",
    ),
    (
        "pairs-simplify-light",
        "a trial: the clothes simplified lightly (a median 0.12 of a face wide), against painter 9, the panel photos",
        "2026-12-06-painter9-pairs76",
    ),
    (
        "pairs-impasto-quietdarks",
        "a trial: impasto lights and quiet darks together, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs77",
    ),
    (
        "pairs-whole-sitter",
        "a trial: the photo's colour back on the whole sitter, not the faces alone, against painter 9, eight tuning "
        "photos (not a test folder)",
        "2026-12-06-painter10-pairs82",
    ),
    (
        "pairs-painter10",
        "painter 10: the photo's warm colours back on the whole sitter (skin, hair, warm clothes), against painter 9, "
        "the same eight tuning photos",
        "2026-12-06-painter10-pairs83",
    ),
    (
        "pairs-painter11",
        "painter 11: a lit ridge lightens the paint by at most its headroom, against painter 10, the tuning photos",
        "2026-12-06-painter11-pairs84",
    ),
    (
        "pairs-painter11-12mp",
        "painter 11 against painter 9 on the 12 MP details",
        "2026-12-06-painter11-pairs86",
    ),
    (
        "pairs-longflats",
        "a trial: the sitter's flat strokes up to 13 radii long, against painter 11, the tuning photos",
        "2026-12-06-painter11-pairs87",
    ),
    (
        "pairs-longflats-finer",
        "a trial: the same in the finer layers only, against painter 11, the tuning photos",
        "2026-12-06-painter11-pairs88",
    ),
    (
        "pairs-painter12",
        "painter 12: the strokes' relief on the faces 0.4 of elsewhere, against painter 11, the tuning photos",
        "2026-12-06-painter12-pairs89",
    ),
    (
        "pairs-painter12-12mp",
        "painter 12 against painter 11 on the 12 MP details",
        "2026-12-06-painter12-pairs90",
    ),
    (
        "pairs-smoothends-12mp",
        "a trial: smoother bristle ends in the layers painted below three quarters of the size, against painter 12, "
        "the 12 MP details",
        "2026-12-06-painter12-pairs92",
    ),
    (
        "pairs-im2oil",
        "Im2Oil (its README's setting, its 8x render reduced to our size) against painter 12, the tuning photos",
        "2026-12-06-painter12-pairs93",
    ),
    (
        "pairs-teeth",
        "a trial: the open mouth massed (the lines between teeth closed), against painter 12, the tuning photos",
        "2026-12-06-painter12-pairs94",
    ),
    (
        "pairs-huelit",
        "a trial: lit ridges that keep the paint's hue, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs95",
    ),
    (
        "pairs-hairfilberts",
        "a trial: the hair and neck round the face painted with filberts, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs96",
    ),
    (
        "pairs-photoflow-streaks",
        "a trial: strokes along the photo's own contours, hair and clothes smoothed along them, against painter 13, "
        "the tuning photos",
        "2026-12-06-painter13-pairs97",
    ),
    (
        "pairs-warmer",
        "a trial: more of the photo's warm colour off the faces, against the trial of pairs97, the tuning photos",
        "2026-12-06-painter13-pairs98",
    ),
    (
        "pairs-darkground",
        "a trial: the ground as dark as a dark photo background, against painter 13, the five tuning photos it changes",
        "2026-12-06-painter13-pairs99",
    ),
    (
        "pairs-photoflow",
        "a trial: strokes along the photo's own contours off the faces, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs100",
    ),
    (
        "pairs-groundvalue",
        "a trial: the ground's strokes varying more in value, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs101",
    ),
    (
        "pairs-painter14",
        "painter 14: the face's brush 0.028 of the face's size for 0.016, against painter 13, the tuning photos",
        "2026-12-06-painter14-pairs102",
    ),
    (
        "pairs-painter14-12mp",
        "painter 14 against painter 13 on the 12 MP details",
        "2026-12-06-painter14-pairs103",
    ),
    (
        "pairs-broaderface",
        "a trial: the face's brush 0.04 of the face's size, against painter 14, the tuning photos",
        "2026-12-06-painter14-pairs104",
    ),
    (
        "pairs-teeth-broad",
        "a trial: no finer strokes inside the lips, against painter 14, the tuning photos",
        "2026-12-06-painter14-pairs106",
    ),
    (
        "pairs-broaderperson",
        "a trial: the hair and clothes in broader strokes, against painter 14, the tuning photos",
        "2026-12-06-painter14-pairs107",
    ),
    (
        "pairs-vivid",
        "a trial: the photo's colour back where it is more saturated than the skin (copper hair, a red dress), "
        "against painter 14, the eight tuning photos it changes most",
        "2026-12-06-painter15-pairs108",
    ),
    (
        "pairs-vivid-ear",
        "the same, the ear's glow kept out (from 0.08 above the skin's saturation), against painter 14",
        "2026-12-06-painter15-pairs109",
    ),
    (
        "pairs-painter15",
        "painter 15 as committed (its own paintings), against painter 14, the same photos",
        "2026-12-06-painter15-pairs110",
    ),
    (
        "pairs-painter15-12mp",
        "painter 15 against painter 14 on the 12 MP details",
        "2026-12-06-painter15-pairs111",
    ),
    (
        "pairs-formwrap",
        "a trial: the faces' strokes, where the picture has no direction, wrapped round the head (concentric ellipses), "
        "against painter 15, the tuning photos",
        "2026-12-06-painter15-pairs113",
    ),
    (
        "pairs-inner-edge",
        "a trial: the ground meeting the sitter inside the person mask's soft rim (from 0.5 to 0.95), against "
        "painter 15, seven tuning photos and a backlit official portrait",
        "2026-12-06-painter15-pairs115",
    ),
    (
        "pairs-inner-edge-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter15-pairs116",
    ),
    (
        "pairs-inner-edge-steep",
        "the same with a steeper rise (0.5 to 0.7), against painter 15, the same photos",
        "2026-12-06-painter15-pairs117",
    ),
    (
        "pairs-inner-edge-steep-12mp",
        "the steeper rise on the 12 MP details",
        "2026-12-06-painter15-pairs118",
    ),
    (
        "pairs-facewrap-details",
        "a trial: painter 16 with the faces' strokes wrapped round the head where the picture has no direction, "
        "against painter 16 (the same random draws), the faces of the tuning photos at 100%",
        "2026-12-06-painter16-pairs119",
    ),
    (
        "pairs-feathered-tips-12mp",
        "a trial: painter 16 with a flat's bristle tips thinning out over a third of its radius instead of ending "
        "at a cut, against painter 16 (the same random draws), the 12 MP details",
        "2026-12-06-painter16-pairs120",
    ),
    (
        "pairs-double-load-streaks",
        "a trial: every stroke's brush loaded with two colours, the picture's either side of it, meeting in bristle "
        "streaks, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs122",
    ),
    (
        "pairs-double-load",
        "a trial: the two loads meeting in a smooth step across the stroke, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs123",
    ),
    (
        "pairs-double-load-again",
        "the same trial, new viewers and order, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs124",
    ),
    (
        "pairs-double-load-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs125",
    ),
    (
        "pairs-double-load-outline-12mp",
        "a trial: the two loads, none taken across the sitters' outline, against painter 16, the 12 MP details",
        "2026-12-06-painter16-pairs126",
    ),
    (
        "pairs-double-load-edges",
        "a trial: the two loads, none taken across the outline or an edge, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs127",
    ),
    (
        "pairs-double-load-edges-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs128",
    ),
    (
        "pairs-double-load-cover",
        "a trial: the two loads, the second recolouring a stroke without adding to its cover, against painter 16, "
        "the tuning photos",
        "2026-12-06-painter16-pairs130",
    ),
    (
        "pairs-double-load-cover-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs131",
    ),
    (
        "pairs-double-load-two-passes",
        "a trial: the two loads, the second laid as a second pass of paint over every stroke, against painter 16, "
        "the tuning photos",
        "2026-12-06-painter16-pairs133",
    ),
    (
        "pairs-double-load-two-passes-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs134",
    ),
    (
        "pairs-simplify-again",
        "the clothes simplified (9 px median) again, new viewers and order, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs72",
    ),
    # Trials shown twice, on the panel photos and on the 12 MP details: (name, the trial, against, the folders).
    *(
        section
        for name, trial, against, photos, details in (
            (
                "pairs-wet",
                "every stroke wet into wet",
                "painter 6",
                "2026-12-05-painter8-pairs45",
                "2026-12-05-painter8-pairs46",
            ),
            (
                "pairs-wetground",
                "the ground alone wet into wet",
                "painter 6",
                "2026-12-05-painter8-pairs47",
                "2026-12-05-painter8-pairs48",
            ),
            (
                "pairs-relief",
                "the strokes' relief twice as strong",
                "painter 8",
                "2026-12-05-painter8-pairs53",
                "2026-12-05-painter8-pairs54",
            ),
            (
                "pairs-broadface",
                "broader strokes on the faces",
                "painter 8",
                "2026-12-05-painter8-pairs55",
                "2026-12-05-painter8-pairs56",
            ),
            (
                "pairs-calm",
                "the ground's hatching calmer",
                "painter 8",
                "2026-12-05-painter8-pairs57",
                "2026-12-05-painter8-pairs58",
            ),
            (
                "pairs-settled",
                "finer layers skipping less",
                "painter 8",
                "2026-12-05-painter8-pairs59",
                "2026-12-05-painter8-pairs60",
            ),
            (
                "pairs-painter9",
                "longer flat strokes and a broader ground (painter 9)",
                "painter 8",
                "2026-12-06-painter9-pairs62",
                "2026-12-06-painter9-pairs63",
            ),
            (
                "pairs-simplify",
                "the clothes simplified away from the faces (a 9 px median)",
                "painter 9",
                "2026-12-06-painter9-pairs68",
                "2026-12-06-painter9-pairs73",
            ),
            (
                "pairs-longface",
                "longer face strokes (EDGE 0.12)",
                "painter 9",
                "2026-12-06-painter9-pairs79",
                "2026-12-06-painter9-pairs80",
            ),
            (
                "pairs-simplify15",
                "the clothes simplified away from the faces (a 15 px median)",
                "painter 9",
                "2026-12-06-painter9-pairs70",
                "2026-12-06-painter9-pairs71",
            ),
        )
        for section in (
            (name, f"a trial: {trial}, against {against}, the panel photos", photos),
            (f"{name}-12mp", f"the same trial against {against} on the 12 MP details", details),
        )
    ),
):
    _pairs = f"bench/panels/{_folder}"
    SECTIONS[_name] = Section(
        _name,
        _about,
        _script(
            "bench/panel.py",
            "prefer",
            "--key",
            f"{_pairs}/key.json",
            "--choices",
            *(f"{_pairs}/{path.name}" for path in sorted((REPO / _pairs).glob("viewer*.json"))),
        ),
        lambda raw: raw,
    )
SECTIONS["speed"] = Section(
    "speed",
    "convert: 50 photos at 512 px (batch 1, 4), a 6000 x 4000 photo with --full-res",
    _script("bench/convert.py", "--count", "50", "--huge"),
    read_speed,
)
SECTIONS["sample"] = Section(
    "sample",
    "sample --count 50 as it is, with --grid, --no-face-check and --every-latent --no-face-check; --size 512 on 12 "
    "portraits; the fastest of 3 runs",
    _script("bench/sample.py", "--count", "50", "--painted", "12", "--size", "512", "--repeat", "3"),
    lambda raw: raw,
)
SECTIONS["phone-folder"] = Section(
    "phone-folder",
    "convert of a folder of four 12 MP phone photos, as it is and with --threads 1: time and peak memory",
    _script("bench/phone_folder.py", "--copies", "2"),
    lambda raw: raw,
)
SECTIONS["face-check"] = Section(
    "face-check",
    "the face check, the latent check and both on 300 portrait-gan portraits labelled by eye (seed 1), and the by-eye "
    "counts of bench/labels",
    _script("bench/face_check.py", "--seed", "1", "--count", "300"),
    lambda raw: raw,
)
# The continuations of portrait-gan tried for issue 30: their run folders lie beside the repository (../runs), not in
# it, so this section is measured again only where they are kept.
CONTINUATIONS = [
    f"{run}-{step}=../runs/fastgan-{run}/exports/step{step}.onnx"
    for run in ("plain", "face")
    for step in (1000, 2000, 3000)
]
SECTIONS["face-pass-rate"] = Section(
    "face-pass-rate",
    "how often the face check passes 1,000 portraits of the shipped sampler alone and of each continuation's snapshots",
    _script("bench/face_pass_rate.py", "shipped=exported/portrait-gan.onnx", *CONTINUATIONS),
    lambda raw: raw,
)
SECTIONS["face-pass-rate-long"] = Section(
    "face-pass-rate-long",
    "the same for the fifth continuation (fresh critics, 1,000 steps alone, then Adam 1e-4 to step 7,200)",
    _script(
        "bench/face_pass_rate.py",
        "shipped=exported/portrait-gan.onnx",
        *(f"long-{step}=../runs/fastgan-long/exports/step{step}.onnx" for step in (2000, 4000, 6000)),
    ),
    lambda raw: raw,
)
SECTIONS["face-pass-rate-scratch"] = Section(
    "face-pass-rate-scratch",
    "the same for a run from scratch with a face critic (steps 24,000 to 34,000, its learning rate decaying from "
    "22,100) and the mean of its snapshots 28,000 to 34,000",
    _script(
        "bench/face_pass_rate.py",
        "shipped=exported/portrait-gan.onnx",
        *(f"scratch-{step}=../runs/fastgan-face-scratch/exports/step{step:07d}.onnx" for step in (24000, 28000, 34000)),
        "scratch-mean=../runs/fastgan-face-scratch/exports/mean-28000-34000.onnx",
    ),
    lambda raw: raw,
)
SECTIONS["full-resolution"] = Section(
    "full-resolution",
    "detail kept, time and peak memory of the full-resolution path, before / upscaler / texture / now",
    _script("bench/full_resolution.py"),
    read_full_resolution,
)
SECTIONS["files"] = Section(
    "files",
    "size and parameters of each shipped model, and the training time its metadata records",
    lambda out: [["python", "bench/report.py", "files", "--json", out]],
    lambda raw: raw,
)


def measure_files() -> dict:
    """Each exported model's file size, parameter count and recorded training minutes (summed over the runs its
    training summary lists)."""
    import numpy as np
    import onnx

    values = {}
    for path in sorted(EXPORTED.glob("*.onnx")):
        model = onnx.load(path)
        parameters = sum(int(np.prod(tensor.dims)) for tensor in model.graph.initializer)
        summary = {prop.key: prop.value for prop in model.metadata_props}.get("training_summary", "")
        minutes = [float(value) for value in re.findall(r"(\d+(?:\.\d+)?) min\b", summary)]
        values[path.stem] = {
            "size_mb": path.stat().st_size / 1e6,
            "parameters_m": parameters / 1e6,
            **({"training_minutes": sum(minutes)} if minutes else {}),
        }
    return values


# ---------------------------------------------------------------------------------------------- measure / record


def git(*arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        memory_gb = None
    try:
        import onnxruntime

        providers = onnxruntime.get_available_providers()
    except ImportError:
        providers = []
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "arch": platform.machine(),
        "memory_gb": round(memory_gb, 1) if memory_gb else None,
        "gpu": "CUDAExecutionProvider" in providers,
        "python": platform.python_version(),
    }


def load_results(path: Path = RESULTS) -> dict:
    if not path.exists():
        return {"sections": {}}
    return json.loads(path.read_text())


def save_results(results: dict, path: Path = RESULTS) -> None:
    results["sections"] = dict(sorted(results["sections"].items()))
    text = json.dumps(results, indent=1, sort_keys=False) + "\n"
    temp = path.with_suffix(".json.tmp")
    temp.write_text(text)
    os.replace(temp, path)


def _rounded(value):
    """Floats kept to 6 significant digits (the measures are not finer), so results.json diffs stay readable."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def record(section: Section, raw: dict, command: str, date: str, commit: str, dirty: bool, **extra) -> dict:
    entry = {
        "about": section.about,
        "command": command,
        "date": date,
        "commit": commit,
        "uncommitted_changes": dirty,
        "machine": machine(),
        **extra,
        "values": _rounded(section.read(raw)),
    }
    settings = {key: raw[key] for key in ("targets",) if isinstance(raw, dict) and key in raw}
    if settings:
        entry["settings"] = settings
    return entry


def _dirty() -> bool:
    """Uncommitted changes to what is measured: the code, the bench scripts, the models (not the docs, not
    results.json itself)."""
    paths = ("converter", "trainer", "bench", "exported/*.onnx", "pyproject.toml", ":!bench/results.json")
    return bool(git("status", "--porcelain", "--untracked-files=no", "--", *paths))


def run_section(section: Section) -> dict:
    RUNS.mkdir(parents=True, exist_ok=True)
    out = f"runs/results/{section.name}.json"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    commit, dirty = git("rev-parse", "HEAD"), _dirty()
    load_before = os.getloadavg()[0]
    for command in section.commands(out):
        print(f"$ {shlex.join(command)}", flush=True)
        executable = [sys.executable, *command[1:]] if command[0] == "python" else command
        subprocess.run(executable, cwd=REPO, check=True)
    raw = json.loads((REPO / out).read_text())
    load = {"load_1min_before": round(load_before, 2), "load_1min_after": round(os.getloadavg()[0], 2)}
    return record(section, raw, section.command_line(out), date, commit, dirty, **load)


def ingest(section: Section, path: Path, command: str | None, commit: str | None, date: str | None) -> dict:
    raw = json.loads(path.read_text())
    load = {}
    machine_then = raw.get("machine") if isinstance(raw, dict) else None
    if isinstance(machine_then, dict):  # bench scripts that keep the load average with their figures
        for key, name in (("load_average_before", "load_1min_before"), ("load_average_after", "load_1min_after")):
            if machine_then.get(key):
                load[name] = round(machine_then[key][0], 2)
    if date is None:
        mtime = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc)
        date = mtime.strftime("%Y-%m-%d")
    return record(
        section,
        raw,
        command or section.command_line(str(path)),
        date,
        commit or git("rev-parse", "HEAD"),
        False if commit else _dirty(),
        from_file=str(path),
        **load,
    )


# ------------------------------------------------------------------------------------------------------- render


class MissingValue(KeyError):
    pass


def lookup(results: dict, key: str):
    """`SECTION.a.b` -> values a.b of that section's entry; `SECTION.@date` -> the entry's own date."""
    sections = results["sections"]
    name = next((name for name in sorted(sections, key=len, reverse=True) if key.startswith(name + ".")), None)
    if name is None:
        raise MissingValue(f"{key}: no section measured for it in {RESULTS.name}")
    path = key[len(name) + 1 :]
    node = sections[name]
    if path.startswith("@"):
        path = path[1:]
    else:
        node = node["values"]
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise MissingValue(f"{key}: {name} has no {path}")
        node = node[part]
    return node


def formatted(results: dict, spec_key: str) -> str:
    key, _, spec = spec_key.partition(":")
    value = lookup(results, key.strip())
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, str):
        return value[:7] if key.endswith("@commit") and not spec else format(value, spec)
    if isinstance(value, int) and not spec:
        return f"{value:,}"
    if isinstance(value, float) and not spec:
        raise ValueError(f"{spec_key}: a float needs a format spec (e.g. :.2f)")
    return format(value, spec)


def render_markdown(text: str, results: dict, missing: list[str] | None = None) -> str:
    """Every span's text from results; a span whose value is missing raises, or (given `missing`) is listed
    there and left as it is."""

    def span(match: re.Match) -> str:
        try:
            return f"<!--r:{match['key']}-->{formatted(results, match['key'])}<!--/r-->"
        except MissingValue as error:
            if missing is None:
                raise
            missing.append(str(error.args[0]))
            return match.group(0)

    return SPAN.sub(span, text)


def span_keys(text: str) -> list[str]:
    return [match["key"] for match in SPAN.finditer(text)]


# The `quality` line of each model's metadata. Placeholders: {KEY} as in spans. A model whose template cannot
# be filled (its section never measured) says when it was last measured instead (NOT_REMEASURED).
_TRANSLATOR = (
    "vs paintings/test, as convert runs it (face scale, painting-x4, stroke painter): nasa: KID x1000 "
    "{M.nasa.photos_kid:.0f} -> {M.nasa.kid:.0f} (gap closed {M.nasa.gap_closed:.2f}), SSIM {M.nasa.ssim:.2f}, "
    "same person (dlib) {M.nasa.same_person}/{M.nasa.identity_faces}, faces kept {M.nasa.faces_kept}/"
    "{M.nasa.faces_found}, dark blotches {M.nasa.blotches}/{M.nasa.images}; humans: KID x1000 "
    "{M.humans.photos_kid:.0f} -> {M.humans.kid:.0f} (gap closed {M.humans.gap_closed:.2f}), SSIM "
    "{M.humans.ssim:.2f}, same person {M.humans.same_person}/{M.humans.identity_faces}, faces kept "
    "{M.humans.faces_kept}/{M.humans.faces_found}, dark blotches {M.humans.blotches}/{M.humans.images} "
    "(measured {M.@date}, bench/results.json)"
)
_SAMPLER = (
    "1000 samples vs face crops of paintings/test: KID x1000 {M.samples.kid:.1f} (photos {M.photos.kid:.1f}), "
    "FID-MNv2 {M.samples.fid:.1f}; memorisation: {M.memorisation_features.closer}/"
    "{M.memorisation_features.samples} (features) and {M.memorisation_grey32.closer}/"
    "{M.memorisation_grey32.samples} (grey 32 px) samples nearer a training painting than the held-out 5th "
    "percentile (measured {M.@date}, bench/results.json)"
)
QUALITY = {
    **{model: _TRANSLATOR for model in ("oil-portrait", "starry-night", "great-wave", "the-kiss")},
    **{model: _SAMPLER for model in ("portrait-gan", "portrait-vae")},
    "painting-x4": (
        "paintings/test ({M.images}) at x4: PSNR {M.psnr_model:.2f} dB vs bicubic {M.psnr_bicubic:.2f}; "
        "MobileNetV2 feature distance {M.feature_distance_model:.3f} vs bicubic {M.feature_distance_bicubic:.3f} "
        "(measured {M.@date}, bench/results.json)"
    ),
    "impasto": (
        "with --painter none, NASA test photos at own size: detail ratio {full-resolution.nasa.texture.detail_mean:.2f} "
        "({full-resolution.nasa.upscaler.detail_mean:.2f} without) (measured {full-resolution.@date}, "
        "bench/results.json)"
    ),
}
# When each model's figures were last measured before this results file (the commit that last wrote them).
NOT_REMEASURED = {
    "oil-portrait": "2026-11-30",
    "starry-night": "2026-11-24",
    "great-wave": "2026-11-24",
    "the-kiss": "2026-11-24",
    "portrait-gan": "2026-11-30",
    "portrait-vae": "2026-11-24",
    "painting-x4": "2026-11-30",
    "impasto": "2026-11-30",
    "face-detector": "2026-11-30",
    "person-mask": "2026-12-04",
    "face-landmarks": "2026-12-04",
}


def _for_model(key: str, model: str) -> str:
    return f"{model}.{key[2:]}" if key.startswith("M.") else key


def quality_line(model: str, results: dict) -> str:
    template = QUALITY.get(model)
    if template is not None:
        try:
            return PLACEHOLDER.sub(lambda match: formatted(results, _for_model(match["key"], model)), template)
        except MissingValue:
            pass
    since = NOT_REMEASURED.get(model, "before bench/results.json existed")
    return f"not re-measured since {since}; see exported/MODELS.md and CHANGELOG.md"


def _metadata(model) -> dict[str, str]:
    return {prop.key: prop.value for prop in model.metadata_props}


def write_quality(path: Path, quality: str) -> None:
    """Set the `quality` metadata of one ONNX file, everything else unchanged (checked), written atomically."""
    import onnx

    model = onnx.load(path)
    before = onnx.ModelProto()
    before.CopyFrom(model)
    props = [prop for prop in model.metadata_props if prop.key == "quality"]
    if props:
        props[0].value = quality
    else:
        model.metadata_props.add(key="quality", value=quality)
    again = onnx.ModelProto()
    again.CopyFrom(model)
    for proto in (before, again):
        for prop in proto.metadata_props:
            if prop.key == "quality":
                prop.value = ""
    if before.SerializeToString(deterministic=True) != again.SerializeToString(deterministic=True):
        raise RuntimeError(f"{path}: setting quality changed something else")
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".onnx.tmp", delete=False) as handle:
        temp = Path(handle.name)
    try:
        onnx.save(model, temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def read_quality(path: Path) -> str:
    import onnx

    return _metadata(onnx.load(path, load_external_data=False)).get("quality", "")


def render(results: dict, check: bool = False, repo: Path = REPO) -> list[str]:
    """Render every markdown span and each model's quality line; returns what changed (or would, with check)."""
    changed, missing = [], []
    texts = {path: path.read_text() for path in (repo / "README.md", repo / "exported" / "MODELS.md")}
    for text in texts.values():
        render_markdown(text, results, missing)
    if missing:
        lines = list(
            dict.fromkeys(
                line.split(" no section measured")[0].split(".")[0] + ": never measured"
                if "no section measured" in line
                else line
                for line in missing
            )
        )
        raise MissingValue(
            "values the docs show but results.json lacks (measure them, or take the spans out):\n  "
            + "\n  ".join(lines)
        )
    for path, text in texts.items():
        new = render_markdown(text, results)
        if new != text:
            diff = difflib.unified_diff(
                text.splitlines(), new.splitlines(), str(path.relative_to(repo)), "rendered", n=0, lineterm=""
            )
            changed.append("\n".join(diff))
            if not check:
                path.write_text(new)
    for path in sorted((repo / "exported").glob("*.onnx")):
        quality = quality_line(path.stem, results)
        if read_quality(path) != quality:
            changed.append(f"{path.relative_to(repo)}: quality -> {quality}")
            if not check:
                write_quality(path, quality)
    return changed


# --------------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="verb", required=True)
    commands.add_parser("list", help="the sections, their commands and when each was measured")
    measure = commands.add_parser("measure", help="run sections' commands (or read one's JSON) into results.json")
    measure.add_argument("sections", nargs="*", help=f"any of: {', '.join(SECTIONS)} (default: all)")
    measure.add_argument("--from", dest="source", type=Path, help="the JSON the section's own command wrote")
    measure.add_argument("--command", help="with --from: the command that wrote it (default: the section's)")
    measure.add_argument("--commit", help="with --from: the commit it ran at (default: this checkout's HEAD)")
    measure.add_argument("--date", help="with --from: the day it ran, YYYY-MM-DD (default: the file's mtime, UTC)")
    render_parser = commands.add_parser("render", help="write the docs' spans and each model's quality line")
    render_parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything would")
    files = commands.add_parser("files", help="(the files section's own command) sizes and parameters as JSON")
    files.add_argument("--json", type=Path, required=True)
    options = parser.parse_args(argv)

    if options.verb == "list":
        results = load_results()
        for name, section in SECTIONS.items():
            entry = results["sections"].get(name)
            when = f"measured {entry['date']} at {entry['commit'][:7]}" if entry else "never measured"
            pinned = f" (at commit {section.at_commit[:7]} only)" if section.at_commit else ""
            print(f"{name}: {section.about}\n  {when}\n  $ {section.command_line(f'runs/results/{name}.json')}{pinned}")
        return 0
    if options.verb == "files":
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(measure_files(), indent=1) + "\n")
        return 0
    if options.verb == "render":
        try:
            changed = render(load_results(), check=options.check)
        except MissingValue as error:
            print(error.args[0], file=sys.stderr)
            return 1
        for change in changed:
            print(change)
        if options.check and changed:
            print(
                f"{len(changed)} file(s) disagree with {RESULTS.relative_to(REPO)}: run `python bench/report.py render`"
            )
            return 1
        print("nothing to change" if not changed else f"rendered {len(changed)} file(s)")
        return 0

    names = options.sections or list(SECTIONS)
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
    if options.source and len(names) != 1:
        parser.error("--from fills one section: name it")
    if not options.source and (options.command or options.commit or options.date):
        parser.error("--command, --commit and --date describe a --from file")
    for name in names:
        section = SECTIONS[name]
        if section.at_commit and not options.source and not git("rev-parse", "HEAD").startswith(section.at_commit):
            print(f"{name}: measures commit {section.at_commit[:7]} only: run it there, then fill it here with --from")
            continue
        if options.source:
            entry = ingest(section, options.source, options.command, options.commit, options.date)
        else:
            try:
                entry = run_section(section)
            except subprocess.CalledProcessError as error:
                print(f"{name}: its command failed ({error}); results.json unchanged for it", file=sys.stderr)
                continue
        results = load_results()  # again: another section may have been recorded meanwhile
        results["sections"][name] = entry
        save_results(results)
        print(f"{name}: recorded in {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
