"""`--engine ray` on a local Ray with 2 CPUs: the same files as the local engine, the same summary and exit code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import EXAMPLES, gradient_image, need_shared, output_files, write_heic, write_image
from PIL import Image

pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.slow]


def convert(src, dst, translator, *extra):
    command = [sys.executable, "-m", "portraitize", "convert", str(src), str(dst), "-m", str(translator), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_ray_engine_matches_the_local_engine(translator, tmp_path):
    src = tmp_path / "photos"
    nasa = sorted(need_shared("data", "photos", "test", "nasa").glob("*.jpg"))[:6]
    humans = sorted(need_shared("data", "photos", "test", "humans").iterdir())[:5]
    for folder, files in (("nasa", nasa), ("humans/set", humans)):
        (src / folder).mkdir(parents=True)
        for path in files:
            shutil.copy(path, src / folder / path.name)
    shutil.copy(EXAMPLES / "astronaut.jpg", src / "astronaut.jpg")
    (src / "bad.jpg").write_text("not a photo")
    (src / "humans" / "empty.png").write_bytes(b"")

    local = convert(src, tmp_path / "local", translator)
    on_ray = convert(src, tmp_path / "ray", translator, "--engine", "ray", "--workers", "2", "--batch-size", "4")
    assert local.returncode == on_ray.returncode == 1, on_ray.stderr[-2000:]
    for output in (local.stderr, on_ray.stderr):
        assert "12 converted, 0 skipped (already there), 2 failed" in output
        assert "bad.jpg: not an image" in output and "empty.png: empty file" in output

    local_files = output_files(tmp_path / "local")
    ray_files = output_files(tmp_path / "ray")
    assert local_files == ray_files and len(ray_files) == 12
    for relative in ray_files:
        expected = np.asarray(Image.open(tmp_path / "local" / relative), dtype=int)
        actual = np.asarray(Image.open(tmp_path / "ray" / relative), dtype=int)
        assert np.abs(expected - actual).max() <= 1, relative

    def marks(destination):  # each output's photo, as the record has it (print and stamp)
        lines = map(json.loads, (destination / ".portraitize-outputs.jsonl").read_text().splitlines())
        return {line["output"]: (line["source"], line["source_stamp"]) for line in lines if "output" in line}

    assert marks(tmp_path / "ray") == marks(tmp_path / "local") and len(marks(tmp_path / "ray")) == 12
    again = convert(src, tmp_path / "ray", translator, "--engine", "ray")
    assert "0 converted, 12 skipped (already there), 2 failed" in again.stderr


def test_on_ray_too_a_photo_painted_into_its_own_folder_never_replaces_the_photo_beside_it(translator, tmp_path):
    folder = tmp_path / "camera"
    heic = write_heic(folder / "IMG_1.HEIC", Image.fromarray(gradient_image(40, 30)))
    mine = write_image(folder / "IMG_1.JPG", 30, 20)
    before = mine.read_bytes()
    result = convert(heic, folder, translator, "--engine", "ray", "--workers", "1", "--overwrite")
    assert result.returncode == 1 and "would land on IMG_1.JPG beside it" in result.stderr, result.stderr[-2000:]
    assert mine.read_bytes() == before


def test_ray_workers_remove_a_stale_stroke_list_and_a_missing_one_is_no_error(tmp_path):
    pytest.importorskip("pyarrow")
    from portraitize.ray_engine import ArrowFiles

    (tmp_path / "src").mkdir()
    files = ArrowFiles(f"file://{tmp_path / 'src'}", f"file://{tmp_path / 'dst'}")
    stale = tmp_path / "dst" / "a.jpg.strokes.json"
    files.write(stale, b"{}")
    files.remove(stale)
    assert not stale.exists()
    files.remove(tmp_path / "dst" / "never-there.strokes.json")  # nothing to remove: no error


def test_a_ray_runs_stroke_lists_are_its_own_on_the_next_run(translator, tmp_path):
    src = tmp_path / "src"
    write_image(src / "a.png", 64, 48)
    first = convert(src, tmp_path / "dst", translator, "--engine", "ray", "--workers", "1", "--stroke-list")
    assert first.returncode == 0 and (tmp_path / "dst" / "a.png.strokes.json").is_file(), first.stderr[-2000:]
    (tmp_path / "dst" / "a.png").unlink()  # a painting deleted to be painted again: its list is the run's own
    again = convert(src, tmp_path / "dst", translator, "--engine", "ray", "--workers", "1", "--stroke-list")
    assert again.returncode == 0 and "1 converted" in again.stderr, again.stderr[-2000:]
