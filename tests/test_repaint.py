"""bench/repaint.py: the painter alone over pictures that are already paintings, each written at its own size."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from conftest import write_image
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import repaint  # noqa: E402


def test_each_painting_is_repainted_in_strokes_at_its_own_size(tmp_path, monkeypatch):
    paintings, out = tmp_path / "paintings", tmp_path / "out"
    write_image(paintings / "one.jpg", 120, 96)
    write_image(paintings / "two.png", 80, 100)
    monkeypatch.setattr(sys, "argv", ["repaint.py", str(paintings), str(out)])
    repaint.main()
    assert sorted(path.name for path in out.iterdir()) == ["one.png", "two.png"]
    for name, source in (("one", "one.jpg"), ("two", "two.png")):
        with Image.open(paintings / source) as before, Image.open(out / f"{name}.png") as after:
            assert after.size == before.size
            change = np.abs(np.asarray(after.convert("RGB"), np.int16) - np.asarray(before.convert("RGB"), np.int16))
            assert change.mean() > 2, f"{name}: the strokes changed it"
