"""bench/repaint.py: the painter alone over pictures that are already paintings, each written at its own size."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from conftest import write_image
from PIL import Image

from portraitize.chain import PaintChain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import repaint  # noqa: E402


def test_each_painting_is_painted_in_strokes_at_its_own_size_without_the_translator(tmp_path, monkeypatch):
    paintings, out = tmp_path / "paintings", tmp_path / "out"
    write_image(paintings / "one.jpg", 120, 96)
    write_image(paintings / "two.png", 80, 100)
    (paintings / "a folder").mkdir()
    laid, finish = [], PaintChain.finish

    def translate(self, sittings):
        raise AssertionError("the translator ran")

    def finished(self, sitting, painted):
        result = finish(self, sitting, painted)
        laid.append(sum(len(layer.x) for layer in result.strokes))
        return result

    monkeypatch.setattr(PaintChain, "translate", translate)
    monkeypatch.setattr(PaintChain, "finish", finished)
    monkeypatch.setattr(sys, "argv", ["repaint.py", str(paintings), str(out)])
    repaint.main()
    assert sorted(path.name for path in out.iterdir()) == ["one.png", "two.png"]
    assert len(laid) == 2 and min(laid) > 100, "each painting is painted in strokes"
    for name, source in (("one", "one.jpg"), ("two", "two.png")):
        with Image.open(paintings / source) as before, Image.open(out / f"{name}.png") as after:
            assert after.size == before.size
            change = np.abs(np.asarray(after.convert("RGB"), np.int16) - np.asarray(before.convert("RGB"), np.int16))
            assert change.mean() > 2, f"{name}: written as it was, not painted over"
