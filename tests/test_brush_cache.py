"""The ladder's brush planes kept on disk between runs (brush_cache.py): read back as the very bytes made, never
made twice, remade where a file is not whole, and left alone where the folder cannot be written."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from PIL import Image

from portraitize import brush_cache
from portraitize.brush import Brush


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(brush_cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _made_counted(monkeypatch) -> list:
    made = []
    original = Brush._make
    monkeypatch.setattr(Brush, "_make", lambda self, *args: made.append(args) or original(self, *args))
    return made


def _planes(stamp) -> list[np.ndarray]:
    out = []
    for core in stamp[:3]:
        image = Image.new("L", core.size)
        image.im.paste(core, (0, 0, *core.size))
        out.append(np.asarray(image))
    return [*out, np.array([stamp.left, stamp.top])]


def test_a_ladder_brush_reads_back_the_planes_it_made_and_does_not_make_them_again(cache, monkeypatch):
    made = _made_counted(monkeypatch)
    first = Brush(6.25, seed=31, flat=True)
    first.prepare(length=3, bend=0, variant=1, angles=range(32))
    assert len(made) == 1 and len(list(brush_cache.folder().iterdir())) == 1
    again = Brush(6.25, seed=31, flat=True)  # a later run's brush
    again.prepare(length=3, bend=0, variant=1, angles=range(32))
    assert len(made) == 1, "the planes came from the cache"
    for angle in range(32):
        for one, other in zip(_planes(first.stamp(3, angle, 1, 0)), _planes(again.stamp(3, angle, 1, 0))):
            assert np.array_equal(one, other), angle
    # Another seed, shape or brush is another file, never the kept one
    Brush(6.25, seed=32, flat=True).prepare(length=3, bend=0, variant=1, angles=[0])
    Brush(6.25, seed=31, flat=False).prepare(length=3, bend=0, variant=1, angles=[0])
    Brush(6.25, seed=31, flat=True).prepare(length=2, bend=0, variant=1, angles=[0])
    assert len(made) == 4 and len(list(brush_cache.folder().iterdir())) == 4


def test_a_broad_brush_is_never_kept(cache, monkeypatch):
    Brush(40.0, seed=3, ladder=False).prepare(length=1, bend=1, variant=0, angles=[0, 5])
    assert not cache.exists() or not any(cache.rglob("*-*-*"))


def test_a_file_that_is_not_whole_or_not_of_its_shape_is_made_again_and_written_anew(cache, monkeypatch):
    Brush(5.0, seed=8).prepare(length=2, bend=1, variant=0, angles=[0])
    (kept,) = brush_cache.folder().iterdir()
    whole = kept.read_bytes()
    made = _made_counted(monkeypatch)
    magic, half, count, side = brush_cache.HEADER.unpack_from(whole)
    empty = brush_cache.HEADER.pack(magic, half, 0, side) + zlib.compress(b"")  # whole, but no planes in it
    for broken in (whole[: len(whole) // 2], b"", whole[:4] + b"\0" * (len(whole) - 4), empty):
        kept.write_bytes(broken)
        brush = Brush(5.0, seed=8)
        brush.prepare(length=2, bend=1, variant=0, angles=[0])
        assert kept.read_bytes() == whole
    assert len(made) == 4
    assert np.array_equal(_planes(brush.stamp(2, 0, 0, 1))[0], _planes(Brush(5.0, seed=8).stamp(2, 0, 0, 1))[0])


def test_a_folder_made_meanwhile_by_another_thread_still_gets_the_file(cache, monkeypatch):
    """Threads making a painting's first brushes at once each find no folder and make it; all but one find it made.
    Each must still keep its planes (the loser had kept none: a whole run in CI then made one shape again)."""
    where = brush_cache.folder()
    where.mkdir(parents=True)
    original = Path.is_dir
    monkeypatch.setattr(Path, "is_dir", lambda self: False if self == where else original(self))
    Brush(5.0, seed=8).prepare(length=2, bend=1, variant=0, angles=[0])
    assert len(list(where.iterdir())) == 1


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(brush_cache.CACHE_ENV, str(blocked / "cache"))
    made = _made_counted(monkeypatch)
    for _ in range(2):
        Brush(5.0, seed=8).prepare(length=2, bend=1, variant=0, angles=[0])
    assert len(made) == 2 and blocked.read_text() == "not a folder"


def test_without_a_home_to_find_the_planes_are_made_as_before(monkeypatch):
    for name in (brush_cache.CACHE_ENV, "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")  # Python 3.11 with no HOME and no passwd entry

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert brush_cache.folder() is None
    made = _made_counted(monkeypatch)
    Brush(5.0, seed=8).prepare(length=2, bend=1, variant=0, angles=[0])
    assert len(made) == 1


def test_a_new_brush_folder_drops_the_old_ones_beside_it_and_nothing_else(cache):
    old, theirs = cache / "brushes-0123456789abcdef", cache / "brushes-of-the-user"
    for folder in (old, theirs):
        folder.mkdir(parents=True)
        (folder / "kept").write_text("planes")
    Brush(5.0, seed=8).prepare(length=2, bend=1, variant=0, angles=[0])
    assert not old.exists() and (theirs / "kept").read_text() == "planes"
    assert len(list(brush_cache.folder().iterdir())) == 1


def test_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(brush_cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert brush_cache.folder() is None
    Brush(5.0, seed=8).prepare(length=2, bend=1, variant=0, angles=[0])
    assert list(tmp_path.iterdir()) == []


def test_the_folder_follows_xdg_and_the_brushs_own_code(tmp_path, monkeypatch):
    monkeypatch.delenv(brush_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    where = brush_cache.folder()
    assert where.parent == tmp_path / "portraitize" and where.name.startswith("brushes-")


def test_convert_paints_the_same_with_the_cache_cold_warm_and_off(tmp_path):
    """Whole runs: the first fills the cache, the second reads it, the third has none; the same bytes each time."""
    photo = tmp_path / "in"
    photo.mkdir()
    Image.open(REPO / "examples" / "grace_hopper.jpg").resize((256, 300)).save(photo / "hopper.png")
    painted = []
    for run, setting in enumerate((str(tmp_path / "cache"), str(tmp_path / "cache"), "off")):
        out = tmp_path / f"out{run}"
        environment = {**os.environ, brush_cache.CACHE_ENV: setting}
        done = subprocess.run(
            [sys.executable, "-m", "portraitize", "convert", str(photo), str(out), "--format", "png"],
            env=environment,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        painted.append(np.asarray(Image.open(out / "hopper.png")))
        kept = {path: path.stat().st_mtime_ns for path in (tmp_path / "cache").rglob("*-*-*")}
        if run == 0:
            assert kept, "the first run keeps its ladder's planes"
            first_kept = kept
        elif run == 1:
            assert kept == first_kept, "the second run read them back rather than make and write them again"
    assert np.array_equal(painted[0], painted[1]) and np.array_equal(painted[0], painted[2])
