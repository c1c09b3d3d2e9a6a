"""One results file: the figures users read (README.md, exported/MODELS.md, docs/painter-history.md, each model's `quality` metadata)
are rendered from bench/results.json by bench/report.py, and none is typed by hand.

The rule for a "measured number" (test_no_figure_outside_a_rendered_span), checked in README.md and
exported/MODELS.md after leaving out fenced code blocks, `inline code`, rendered spans
(`<!--r:KEY-->...<!--/r-->`), other HTML comments and tags, and link targets:

- no decimal number (`0.60`, `1.5x`, `245.0 ± 10.8`), except version numbers: three or more dotted parts
  (`0.10.14`), a `v` in front (`v2.1`), glued to a name by a hyphen (`Apache-2.0`), or after `Python >=`;
- no percentage (`96%`, `0.2 %`);
- no fraction (`51/51`, `260 / 260`) and no count of a count (`3 in 10`, `189 of 193`);
- no quantity of time, rate, memory or signal (`15.8 s`, `23 ms`, `77 min`, `5 minutes`, `8 img/s`,
  `2.2 steps/s`, `804 MB`, `0.9 GB`, `30 dB`), and no `Nx faster` / `Nx slower`.

What stays allowed outside spans: a zoom level (`at 100%`, `100% crop`), whole numbers that are settings or sizes of data (`4032 x 3024`, `128 px`,
`51 NASA photos`, `1,549 paintings`, `24,000 steps`, `batch 4`), dates (`2026-12-04`), and anything in code
(`--count 50`, a setting such as `0.35` written as code). A setting with a decimal is written as code, so a
decimal in prose is always a measurement, and a measurement is always a rendered span.
"""

from __future__ import annotations

import json
import re
import sys

import onnx
import pytest
from conftest import REPO
from tiny_models import make_translator

sys.path.insert(0, str(REPO / "bench"))

import report  # noqa: E402

MARKDOWN = ("README.md", "exported/MODELS.md", "docs/painter-history.md")
MODELS = sorted(path.stem for path in (REPO / "exported").glob("*.onnx"))

_NUM = r"\d[\d,]*(?:\.\d+)?"
LEFT_OUT = [
    re.compile(r"```.*?```", re.S),  # fenced code
    report.SPAN,  # rendered figures
    re.compile(r"<!--.*?-->", re.S),  # other comments
    re.compile(r"`(?:[^`\n]|\n(?!\n))*`"),  # inline code (it may wrap onto the next line)
    re.compile(r"\]\([^)\s]*\)"),  # link targets
    re.compile(r"<[a-zA-Z/][^>]*>"),  # HTML tags (an <img> and its width)
]
VERSIONS = [
    re.compile(r"\b\d+(?:\.\d+){2,}\b"),
    re.compile(r"\bv\d+(?:\.\d+)+"),
    re.compile(r"[A-Za-z]-\d+(?:\.\d+)+"),
    re.compile(r"Python\s*(?:>=|<=|==)?\s*\d+(?:\.\d+)+"),
]
FIGURES = {
    "decimal": re.compile(r"\d+\.\d+"),
    "percentage": re.compile(_NUM + r"\s*%"),
    "fraction": re.compile(r"\b\d[\d,]*\s*/\s*\d[\d,]*\b"),
    "count of a count": re.compile(r"\b\d[\d,]*\s+(?:in|of)\s+\d[\d,]*\b"),
    "quantity": re.compile(
        r"\b" + _NUM + r"\s*(?:img/s|images/s|photos/s|steps/s|it/s|ms|s|sec|seconds?|min|minutes?|h|hours?|"
        r"[KMGT]i?B|kB|dB|fps)(?![\w/])"
    ),
    "speed-up": re.compile(r"\b" + _NUM + r"\s*x\s+(?:faster|slower)\b"),
}


ZOOM = re.compile(r"\bat\s+100%|\b100% crop")  # how a picture is shown, not a measurement


def figures_outside_spans(text: str) -> list[str]:
    """Each measured number (the module's rule) left outside code and rendered spans, with its line."""
    for pattern in (*LEFT_OUT, ZOOM):
        text = pattern.sub(lambda match: "\n" * match.group(0).count("\n") + " ", text)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern in VERSIONS:
            line = pattern.sub(" ", line)
        found += [
            f"line {number}: {kind} {match.group(0)!r}"
            for kind, pattern in FIGURES.items()
            for match in pattern.finditer(line)
        ]
    return found


def test_the_docs_and_the_models_agree_with_the_results_file():
    changed = report.render(report.load_results(), check=True)
    assert not changed, "run `python bench/report.py render`:\n" + "\n".join(changed)


@pytest.mark.parametrize("name", MARKDOWN)
def test_no_figure_outside_a_rendered_span(name):
    assert figures_outside_spans((REPO / name).read_text()) == []


def test_the_rule_catches_typed_figures_and_lets_settings_pass():
    typed = (
        "gap 0.60",
        "51/51 kept",
        "260 / 260",
        "96% of faces",
        "3 in 10 distorted",
        "189 of 193",
        "15 s a photo",
        "804 MB",
        "8 img/s",
        "62x faster",
        "30 dB",
        "77 min",
        "5 minutes",
        "23 ms",
    )
    assert [piece for piece in typed if not figures_outside_spans(piece)] == []
    fine = (
        "A 4032 x 3024 photo at 128 px, 51 NASA photos, 1,549 paintings, 24,000 steps, batch 4, on 2026-12-04, "
        "mediapipe 0.10.14, People-Art v2.1, Apache-2.0, Python >= 3.10, `--strength 0.8`, `0.35`, at 100%, "
        "<!--r:x.y:.2f-->0.60<!--/r--> and\n```bash\nportraitize sample --count 50  # 0.77 s\n```\n"
    )
    assert figures_outside_spans(fine) == []


def test_every_entry_records_how_it_was_measured():
    results = json.loads((REPO / "bench" / "results.json").read_text())
    assert results["sections"], "nothing measured"
    for name, entry in results["sections"].items():
        assert name in report.SECTIONS, f"{name}: not a section of bench/report.py"
        assert entry["command"] and entry["values"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["date"])
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"])
        assert entry["machine"]["cpus"] and entry["machine"]["cpu"]


def test_a_section_pinned_to_an_earlier_commit_is_neither_measured_elsewhere_nor_recorded_as_another(
    monkeypatch, capsys
):
    """painter-6 times painter 6 beside painter 8: measured at HEAD it would time painter 8 under painter 6's name."""
    pinned = [section for section in report.SECTIONS.values() if section.at_commit]
    assert pinned, "no pinned section to check"
    results = json.loads((REPO / "bench" / "results.json").read_text())["sections"]
    for section in pinned:
        assert section.name not in results or results[section.name]["commit"] == section.at_commit
    monkeypatch.setattr(report, "run_section", lambda section: pytest.fail(f"{section.name} was run"))
    monkeypatch.setattr(report, "git", lambda *arguments: "f" * 40)  # a checkout of another commit
    assert report.main(["measure", pinned[0].name]) == 0
    assert f"measures commit {pinned[0].at_commit[:7]} only" in capsys.readouterr().out


@pytest.mark.parametrize("model", MODELS)
def test_each_model_has_a_card_a_script_and_says_where_its_figures_are(model):
    cards = (REPO / "exported" / "MODELS.md").read_text()
    card = cards.split(f"\n## {model}\n", 1)[1].split("\n## ", 1)[0]
    assert f"scripts/{model}.sh" in card and (REPO / "scripts" / f"{model}.sh").exists()
    measured = model in report.load_results()["sections"] or any(
        key.split(".")[0] in report.load_results()["sections"] for key in report.span_keys(card)
    )
    assert measured or "not re-measured since" in card, f"{model}: no rendered figure and no word on why"


def test_spans_render_and_render_again_to_the_same():
    results = {"sections": {"m": {"date": "2026-12-04", "values": {"gap": 0.6012, "kept": 1549, "set": {"a": 2}}}}}
    text = "gap <!--r:m.gap:.2f-->?<!--/r--> of <!--r:m.kept-->?<!--/r-->, <!--r:m.set.a-->?<!--/r--> (<!--r:m.@date-->?<!--/r-->)"
    once = report.render_markdown(text, results)
    assert once == (
        "gap <!--r:m.gap:.2f-->0.60<!--/r--> of <!--r:m.kept-->1,549<!--/r-->, <!--r:m.set.a-->2<!--/r--> "
        "(<!--r:m.@date-->2026-12-04<!--/r-->)"
    )
    assert report.render_markdown(once, results) == once
    with pytest.raises(report.MissingValue):
        report.render_markdown("<!--r:m.absent:.2f-->?<!--/r-->", results)
    with pytest.raises(report.MissingValue):
        report.render_markdown("<!--r:other.gap:.2f-->?<!--/r-->", results)


def test_a_model_without_measured_figures_says_so_in_its_quality_line():
    line = report.quality_line("starry-night", {"sections": {}})
    assert line.startswith("not re-measured since ") and not re.search(r"\d+\.\d+", line)


def test_writing_the_quality_line_keeps_everything_else(tmp_path):
    path = make_translator(tmp_path / "tiny.onnx")
    before = onnx.load(path)
    report.write_quality(path, "measured: 0.5")
    after = onnx.load(path)
    assert {p.key: p.value for p in after.metadata_props}["quality"] == "measured: 0.5"
    assert after.graph == before.graph and after.opset_import == before.opset_import
    others = lambda model: {p.key: p.value for p in model.metadata_props if p.key != "quality"}  # noqa: E731
    assert others(after) == others(before)
    assert report.read_quality(path) == "measured: 0.5"
