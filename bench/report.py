"""One results file: every figure users read is measured into bench/results.json and rendered from there.

    python bench/report.py list                              # the sections: command, when measured
    python bench/report.py measure [SECTION ...]             # run each section's command (all: hours on 2 cores)
    python bench/report.py measure SECTION --from PATH       # fill it from the JSON its own command wrote earlier
        [--command "..."] [--commit SHA] [--date YYYY-MM-DD]  #   (what that run was, if not this checkout today)
    python bench/report.py render [--check]                  # README.md, MODELS.md, docs/painter-history.md, quality

measure: a section (sections.py; the panels' in panel_sections.py) is one measuring command (`python -m trainer
evaluate ...`, a bench script) that writes JSON; its entry in results.json records the command, the date (UTC),
the git commit (and whether the checkout had uncommitted changes), the machine and its load, and the values read
from that JSON. A section that was never measured is absent: results.json holds measured values only. The
commands read ../shared/data (only read) and run from the repository's root; their JSON goes to
runs/results/SECTION.json (kept, so a section can be filled again with --from without running it).

render: the markdown files carry rendered spans, `<!--r:KEY-->text<!--/r-->` (one line each), whose text is
the value at KEY: `SECTION.a.b` is values["a"]["b"] of that section's entry, `SECTION.@date`, `@commit`,
`@command` the entry's own record; `KEY:SPEC` formats it with a Python format spec (ints default to `,`,
floats need a spec). Each model's `quality` metadata (shown by `portraitize models`) is rendered from
QUALITY below, or says when its figures were last measured where its section is absent. Rendering twice
changes nothing; --check changes nothing and exits 1 if anything would change (tests/test_results.py).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

from section import REPO, Section
from sections import SECTIONS, measure_files

RESULTS = REPO / "bench" / "results.json"
RUNS = REPO / "runs" / "results"
MARKDOWN = (REPO / "README.md", REPO / "exported" / "MODELS.md", REPO / "docs" / "painter-history.md")
SPAN = re.compile(r"<!--r:(?P<key>[^>\n]*?)-->(?P<text>[^\n]*?)<!--/r-->")
PLACEHOLDER = re.compile(r"\{(?P<key>[^{}]+)\}")


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
    "vs paintings/test, as convert runs it (face scale, resize, stroke painter): nasa: KID x1000 "
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
    texts = {path: path.read_text() for path in (repo / path.relative_to(REPO) for path in MARKDOWN)}
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
