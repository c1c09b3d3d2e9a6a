"""The README's set-up commands are the ones CI runs and the ones that work."""

from __future__ import annotations

import re

from conftest import REPO


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", (REPO / "README.md").read_text(), flags=re.S)[:2]


def test_ci_runs_the_readme_test_command():
    _, test_command = readme_commands()
    ci_script = (REPO / ".ci" / "run").read_text()
    assert test_command.replace("pip install ", "pip install -q ") in ci_script


def test_quick_start_names_the_bundled_examples_and_models():
    install_and_convert, _ = readme_commands()
    assert install_and_convert.endswith("pip install . && portraitize convert examples out")
    assert list((REPO / "examples").glob("*.jpg")), "the quick start needs example photos"
    assert list((REPO / "exported").glob("*.onnx")), "the quick start needs a bundled translator"


def test_the_card_and_the_readme_name_the_painter_that_ships():
    """The painter's version is a code constant, not a figure in bench/results.json: written by hand in the oil
    portrait's card and the README, it went stale once (the card said 25 while 27 shipped)."""
    from portraitize.painter_settings import PAINTER_VERSION

    card = (REPO / "exported" / "MODELS.md").read_text()
    readme = (REPO / "README.md").read_text()
    assert re.findall(r"`converter/portraitize/painter\.py`, version (\d+)", card) == [PAINTER_VERSION]
    assert re.findall(r"\*\*Painter (\d+)\*\* is the default", readme) == [PAINTER_VERSION]
