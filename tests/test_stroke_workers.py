"""The stroke painter in worker processes: the same paintings as in-process, and a dead worker costs one photo."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import gradient_image, output_files, write_image

import portraitize.pipeline
import portraitize.sample_painting
import portraitize.stroke_workers
from portraitize.painter import paint_strokes
from portraitize.painter_settings import PainterSettings
from portraitize.stroke_workers import StrokeWorkers
from portraitize.translate import PaintError


class DiesWhenUnpickled:
    """An argument that kills the worker process that receives it, as the system's out-of-memory killer would."""

    def __reduce__(self):
        return os._exit, (3,)


def counted(painted: list[int]) -> type[StrokeWorkers]:
    """StrokeWorkers that note, for each painting, how many workers its pool has."""

    class Counted(StrokeWorkers):
        def paint(self, *args):
            painted.append(self.workers)
            return super().paint(*args)

    return Counted


def test_convert_writes_the_same_files_with_stroke_workers_as_in_one_thread(cli, translator, tmp_path, monkeypatch):
    src = tmp_path / "src"
    for index in range(3):
        write_image(src / f"photo{index}.png", 96, 72 + 8 * index)
    alone = cli("convert", src, tmp_path / "alone", "-m", translator, "--threads", "1")
    monkeypatch.setattr(portraitize.stroke_workers, "usable_cpus", lambda: 2)  # on any machine
    monkeypatch.setattr(portraitize.pipeline, "StrokeWorkers", counted(painted := []))
    workers = cli("convert", src, tmp_path / "workers", "-m", translator)
    assert alone.exit_code == 0 and workers.exit_code == 0, workers.output
    assert painted == [2, 2, 2], "three photos, each painted by a pool of two workers"
    names = output_files(tmp_path / "alone")
    assert names == output_files(tmp_path / "workers") and len(names) == 3
    for name in names:
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "workers" / name).read_bytes(), name


def test_sample_paints_the_same_portraits_with_stroke_workers_as_in_one_thread(cli, sampler, tmp_path, monkeypatch):
    alone = cli("sample", "-n", 3, "-o", tmp_path / "alone", "-m", sampler, "--size", 48, "--threads", 1)
    monkeypatch.setattr(portraitize.stroke_workers, "usable_cpus", lambda: 2)  # on any machine
    monkeypatch.setattr(portraitize.sample_painting, "StrokeWorkers", counted(painted := []))
    workers = cli("sample", "-n", 3, "-o", tmp_path / "workers", "-m", sampler, "--size", 48)
    assert alone.exit_code == 0 and workers.exit_code == 0, workers.output
    assert painted == [2, 2, 2], "three portraits, each painted by a pool of two workers"
    names = sorted(path.name for path in (tmp_path / "alone").glob("*.png"))
    assert len(names) == 3 and names == sorted(path.name for path in (tmp_path / "workers").glob("*.png"))
    for name in names:
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "workers" / name).read_bytes(), name


def test_a_worker_that_dies_fails_its_photo_and_the_next_photo_gets_a_fresh_worker():
    scene = gradient_image(120, 90, seed=2)
    workers = StrokeWorkers(1)
    try:
        with pytest.raises(PaintError, match="worker process stopped"):
            workers.paint(scene, DiesWhenUnpickled())
        painted, layers = workers.paint(scene, [], PainterSettings())
    finally:
        workers.close()
    expected, expected_layers = paint_strokes(scene, [], PainterSettings())
    assert np.array_equal(painted, expected)
    assert [len(layer.x) for layer in layers] == [len(layer.x) for layer in expected_layers]
