"""bench/panel.py's scoring: a panel's means by set, and several panels pooled."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from panel import pool, score  # noqa: E402


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
    """bench/report.py's reading of a pool: for a set every panel showed, how far one panel's mean strays."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "report_for_panels", Path(__file__).resolve().parents[1] / "bench" / "report.py"
    )
    report = sys.modules["report_for_panels"] = importlib.util.module_from_spec(spec)  # its dataclasses look it up
    spec.loader.exec_module(report)
    first = _panel(tmp_path / "one", {"1": "before", "2": "trial"}, {"1": [2, 1], "2": [5, 4]})
    second = _panel(tmp_path / "two", {"1": "before", "2": "other"}, {"1": [4, 4], "2": [1, 1]})
    values = report.read_panel_pooled(pool([first, second], {}))
    assert (values["before_looks_like_oil_lowest"], values["before_looks_like_oil_highest"]) == (2.0, 4.0)
    assert "trial_looks_like_oil_lowest" not in values, "only a set shown in every panel"
