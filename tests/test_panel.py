"""bench/panel.py's scoring: a panel's means by set, several panels pooled, and a forced choice between two sets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from panel import make_pairs, pool, prefer, score  # noqa: E402
from panel_sections import read_panel_pooled  # noqa: E402


def _panel(folder: Path, key: dict, *viewers: dict) -> Path:
    folder.mkdir()
    (folder / "key.json").write_text(json.dumps({number: [name, "x.jpg"] for number, name in key.items()}))
    for index, ratings in enumerate(viewers):
        (folder / f"viewer{index}.json").write_text(json.dumps(ratings))
    return folder


def test_panels_that_showed_the_same_pictures_pool_by_set_with_renames(tmp_path):
    first = _panel(tmp_path / "one", {"1": "now", "2": "real"}, {"1": [2, 1], "2": [5, 4]}, {"1": [4, 3], "2": [5, 5]})
    second = _panel(tmp_path / "two", {"1": "real", "2": "shipped"}, {"1": [4, 4], "2": [1, 1]})
    assert score(first / "key.json", sorted(first.glob("viewer*.json")))["now"]["looks_like_oil"] == 3.0
    pooled = pool([first, second], {"now": "shipped"})
    assert (pooled["viewers"], pooled["panels"]) == (3, 2)
    assert pooled["sets"]["shipped"] == {"looks_like_oil": 7 / 3, "would_hang": 5 / 3, "ratings": 3}
    assert pooled["sets"]["real"]["ratings"] == 3 and pooled["sets"]["real"]["looks_like_oil"] == 14 / 3
    assert pooled["per_panel"]["two"]["shipped"]["looks_like_oil"] == 1.0


def test_the_results_keep_each_shared_sets_lowest_and_highest_panel(tmp_path):
    """The results file's reading of a pool (panel_sections.py): for a set every panel showed, how far one panel's mean
    strays."""
    first = _panel(tmp_path / "one", {"1": "before", "2": "trial"}, {"1": [2, 1], "2": [5, 4]})
    second = _panel(tmp_path / "two", {"1": "before", "2": "other"}, {"1": [4, 4], "2": [1, 1]})
    values = read_panel_pooled(pool([first, second], {}))
    assert (values["before_looks_like_oil_lowest"], values["before_looks_like_oil_highest"]) == (2.0, 4.0)
    assert "trial_looks_like_oil_lowest" not in values, "only a set shown in every panel"


def test_a_forced_choice_shows_each_picture_in_both_orders_and_counts_only_choices_that_hold_in_both(tmp_path):
    from PIL import Image

    for name, shade in (("trial", 90), ("shipped", 160)):
        (tmp_path / name).mkdir()
        for picture in ("a.png", "b.png", "c.png"):
            Image.new("RGB", (60, 80), (shade, shade, shade)).save(tmp_path / name / picture)
    Image.new("RGB", (60, 80)).save(tmp_path / "trial" / "only_here.png")  # no partner: not paired
    key_path = tmp_path / "key.json"
    make_pairs({"trial": tmp_path / "trial", "shipped": tmp_path / "shipped"}, tmp_path / "pairs", key_path, seed=3)
    key = json.loads(key_path.read_text())
    assert sorted(entry["picture"] for entry in key.values()) == ["a.png", "a.png", "b.png", "b.png", "c.png", "c.png"]
    for number, entry in key.items():
        sheet = Image.open(tmp_path / "pairs" / f"pair_{int(number):02d}.png").convert("L")
        top, bottom = sheet.getpixel((192, 216)), sheet.getpixel((192, sheet.height - 192))
        assert (top, bottom) == ((90, 160) if entry["A"] == "trial" else (160, 90)), "A is on top, B below"
    assert sorted(entry["A"] for entry in key.values()) == ["shipped"] * 3 + ["trial"] * 3, "each order once"

    def viewer(index: int, choose) -> Path:
        path = tmp_path / f"viewer{index}.json"
        path.write_text(json.dumps({number: {"choice": choose(entry)} for number, entry in key.items()}))
        return path

    trial_each_time = [viewer(i, lambda e: "A" if e["A"] == "trial" else "b") for i in range(3)]  # lower case too
    figures = prefer(key_path, trial_each_time)
    assert figures["preferred"] == {"trial": 9, "shipped": 0} and figures["undecided"] == 0
    assert figures["judgements"] == 9
    assert abs(figures["p_two_sided"] - 2 / 2**9) < 1e-12 and figures["top_chosen_share"] == 0.5
    always_top = prefer(key_path, [viewer(3, lambda e: "A")])
    assert always_top["preferred"] == {"trial": 0, "shipped": 0} and always_top["undecided"] == 3, "no preference"
    assert always_top["top_chosen_share"] == 1.0 and always_top["p_two_sided"] == 1.0
    import subprocess

    printed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[1] / "bench" / "panel.py"),
            "prefer",
            "--key",
            str(key_path),
            "--choices",
            *map(str, trial_each_time),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "preferred: shipped 0, trial 9; no preference 0 (3 viewers); sign test p = 0.004" in printed
    # A viewer who left a pair out, or answered neither A nor B, is refused, not half counted.
    skipped = json.loads(trial_each_time[0].read_text())
    skipped.pop(next(iter(skipped)))
    (tmp_path / "skipped.json").write_text(json.dumps(skipped))
    with pytest.raises(SystemExit, match="skipped.json: answers pairs"):
        prefer(key_path, [tmp_path / "skipped.json"])
    (tmp_path / "odd.json").write_text(json.dumps({number: {"choice": "top"} for number in key}))
    with pytest.raises(SystemExit, match="choice is 'top', not A or B"):
        prefer(key_path, [tmp_path / "odd.json"])


def test_a_forced_choice_counts_again_over_the_pictures_whose_versions_differ(tmp_path):
    """A trial that leaves some pictures as they were: choices between two copies of one picture are coin tosses,
    counted apart from those between versions that differ."""
    from PIL import Image

    for name in ("trial", "shipped"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (60, 80), (120, 120, 120)).save(tmp_path / name / "same.png")
        changed = Image.new("RGB", (60, 80), (120, 120, 120))
        if name == "trial":
            changed.paste((200, 120, 120), (0, 0, 30, 80))  # half the picture differs
        changed.save(tmp_path / name / "changed.png")
    key_path = tmp_path / "key.json"
    make_pairs({"trial": tmp_path / "trial", "shipped": tmp_path / "shipped"}, tmp_path / "pairs", key_path, seed=1)
    key = json.loads(key_path.read_text())
    assert {entry["picture"]: entry["differs"] for entry in key.values()} == {"same.png": 0.0, "changed.png": 0.5}
    # Each viewer prefers the trial where it differs, and the shipped copy of the picture left as it was.
    chosen = {
        number: {"choice": "A" if (entry["A"] == "trial") == (entry["picture"] == "changed.png") else "B"}
        for number, entry in key.items()
    }
    viewers = []
    for index in range(4):
        viewers.append(tmp_path / f"viewer{index}.json")
        viewers[-1].write_text(json.dumps(chosen))
    figures = prefer(key_path, viewers)
    assert figures["preferred"] == {"shipped": 4, "trial": 4} and figures["p_two_sided"] == 1.0
    differing = figures["differing"]
    assert differing["pictures"] == 1 and differing["preferred"] == {"shipped": 0, "trial": 4}
    assert differing["judgements"] == 4 and abs(differing["p_two_sided"] - 2 / 2**4) < 1e-12
