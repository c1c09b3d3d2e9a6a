"""The results file's measuring sections (bench/report.py): each model's evaluation, the painter's and the
converter's benchmarks, the sampler's checks; the panels' sections come from panel_sections.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import panel_sections
from section import REPO, Section, script

EXPORTED = REPO / "exported"

SHARED = "../shared"
PAINTINGS_TEST, PAINTINGS_TRAIN = f"{SHARED}/data/paintings/test", f"{SHARED}/data/paintings/train"
NASA, HUMANS = f"{SHARED}/data/photos/test/nasa", f"{SHARED}/data/photos/test/humans"
PAINTING_FACES = f"{SHARED}/data/paintings/faces.csv"
HUMANS_FACES = "runs/results/faces-photos-test-humans.csv"  # made by the sampler sections' first command


def _evaluate_translator(model: str, out: str) -> list[str]:
    """evaluate's command for a translator file: the NASA and humans test photos through the default chain."""
    return [
        *("python", "-m", "trainer", "evaluate", "--real", PAINTINGS_TEST),
        *("--model", model, "--photos", NASA, "--photos", HUMANS),
        *("--floor", PAINTINGS_TRAIN, "--device", "cpu", "--json", out),
    ]


def _translator_commands(model: str) -> Callable[[str], list[list[str]]]:
    return lambda out: [_evaluate_translator(f"exported/{model}.onnx", out)]


# The int8 comparison: the default translator's float export (exported/float/, kept out of the wheel) and its int8
# copy, made here as `quantize` made the shipped exported/oil-portrait.onnx, both evaluated alike, then timed side by
# side by the bench script, which applies the rule for shipping it (bench/int8_translator.py).
INT8_FLOAT, INT8_COPY = "exported/float/oil-portrait.onnx", "runs/results/oil-portrait-int8.onnx"
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
    for key in (
        "count",
        "seconds",
        "peak_mb",
        "one_photo_seconds",
        "one_photo_cold_seconds",
        "start_up_seconds",
        "raw_img_per_s",
    ):
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
    "strokes", "the stroke painter's strokes on the NASA portraits", script("bench/strokes.py"), read_strokes
)
SECTIONS["painter"] = Section(
    "painter",
    "convert's default (stroke painter): a 12 MP phone photo, 20 photos at 512 px; Im2Oil when given",
    script("bench/painter.py"),
    read_painter,
)
# Painter 6, measured again on the machine painter 8 was first measured on (the machine changed between
# sessions): recorded with --from and --commit, so painter 8's speed has its predecessor's beside it.
SECTIONS["painter-6"] = Section(
    "painter-6",
    "painter 6 (convert's default before painter 8) by the same benchmark, on the machine painter 8 was measured on",
    script("bench/painter.py"),
    read_painter,
    at_commit="0866365885049de81dd155dde2df36d775f06b8f",
)
# Painter 16, measured again beside painter 18 on the machine painter 18 was measured on (slower than the one painter
# 16 was first measured on): recorded with --from and --commit.
SECTIONS["painter-16"] = Section(
    "painter-16",
    "painter 16 (convert's default before painter 18) by the same benchmark, on the machine painter 18 was measured on",
    script("bench/painter.py"),
    read_painter,
    at_commit="34df6540222ce3e80319c270994975e9868b87b4",
)
# Painter 21 before its band threads and cut stamps, measured the same hour as painter 21 with them, on the same
# machine: recorded with --from and --commit.
SECTIONS["painter-21"] = Section(
    "painter-21",
    "painter 21 before the band threads and cut stamps, by the same benchmark, the same hour as with them",
    script("bench/painter.py"),
    read_painter,
    at_commit="d6dfdface70c9bd8f8f1c666c1a88fd4139a8f76",
)
SECTIONS["im2oil"] = Section(
    "im2oil",
    "convert's default against Im2Oil (a local checkout, not vendored) on the two examples, side by side",
    script("bench/painter.py", "--im2oil", "/tmp/im2oil", "--im2oil-python", "/tmp/im2oil-venv/bin/python"),
    read_painter,
)
SECTIONS["speed"] = Section(
    "speed",
    "convert: 50 photos at 512 px (batch 1, 4), a 6000 x 4000 photo with --full-res",
    script("bench/convert.py", "--count", "50", "--huge"),
    read_speed,
)
SECTIONS["sample"] = Section(
    "sample",
    "sample --count 50 as it is, with --grid, --no-face-check and --every-latent --no-face-check; --size 512 on 12 "
    "portraits; the fastest of 3 runs",
    script("bench/sample.py", "--count", "50", "--painted", "12", "--size", "512", "--repeat", "3"),
    lambda raw: raw,
)
SECTIONS["phone-folder"] = Section(
    "phone-folder",
    "convert of a folder of four 12 MP phone photos, as it is and with --threads 1: time and peak memory",
    script("bench/phone_folder.py", "--copies", "2"),
    lambda raw: raw,
)
SECTIONS["face-check"] = Section(
    "face-check",
    "the face check, the latent check and both on 300 portrait-gan portraits labelled by eye (seed 1), and the by-eye "
    "counts of bench/labels",
    script("bench/face_check.py", "--seed", "1", "--count", "300"),
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
    script("bench/face_pass_rate.py", "shipped=exported/portrait-gan.onnx", *CONTINUATIONS),
    lambda raw: raw,
)
SECTIONS["face-pass-rate-long"] = Section(
    "face-pass-rate-long",
    "the same for the fifth continuation (fresh critics, 1,000 steps alone, then Adam 1e-4 to step 7,200)",
    script(
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
    script(
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
    script("bench/full_resolution.py"),
    read_full_resolution,
)
SECTIONS["files"] = Section(
    "files",
    "size and parameters of each shipped model, and the training time its metadata records",
    lambda out: [["python", "bench/report.py", "files", "--json", out]],
    lambda raw: raw,
)


def measure_files() -> dict:
    """Each exported model's file size, parameter count (an int8 file's without its quantization's scales and zero
    points) and recorded training minutes (summed over the runs its training summary lists)."""
    import numpy as np
    import onnx

    values = {}
    for path in sorted(EXPORTED.glob("*.onnx")):
        model = onnx.load(path)
        # An int8 file's scales and zero points are its quantization's, not the network's weights
        quantization = {
            name
            for node in model.graph.node
            if node.op_type in ("QuantizeLinear", "DequantizeLinear")
            for name in node.input[1:]
        }
        parameters = sum(
            int(np.prod(tensor.dims)) for tensor in model.graph.initializer if tensor.name not in quantization
        )
        summary = {prop.key: prop.value for prop in model.metadata_props}.get("training_summary", "")
        minutes = [float(value) for value in re.findall(r"(\d+(?:\.\d+)?) min\b", summary)]
        values[path.stem] = {
            "size_mb": path.stat().st_size / 1e6,
            "parameters_m": parameters / 1e6,
            **({"training_minutes": sum(minutes)} if minutes else {}),
        }
    return values


assert not SECTIONS.keys() & panel_sections.SECTIONS.keys(), "a panel's section is named as another section"
SECTIONS.update(panel_sections.SECTIONS)
