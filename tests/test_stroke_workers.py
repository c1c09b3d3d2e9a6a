"""The stroke painter in worker processes: the same paintings as in-process, and a dead worker costs one photo."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, process
from pathlib import Path

import numpy as np
import pytest
from conftest import gradient_image, output_files, write_image

import portraitize.bands
import portraitize.session
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
    monkeypatch.setattr(portraitize.stroke_workers, "StrokeWorkers", counted(painted := []))
    threads, open_session = [], portraitize.session.open_session
    monkeypatch.setattr(
        portraitize.session, "open_session", lambda *args: threads.append(args[2]) or open_session(*args)
    )
    workers = cli("convert", src, tmp_path / "workers", "-m", translator)
    assert alone.exit_code == 0 and workers.exit_code == 0, workers.output
    assert painted == [2, 2, 2], "three photos, each painted by a pool of two workers"
    assert threads and set(threads) == {1}, "the models run on one thread each beside a worker on every core"
    names = output_files(tmp_path / "alone")
    assert names == output_files(tmp_path / "workers") and len(names) == 3
    for name in names:
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "workers" / name).read_bytes(), name


def test_sample_paints_the_same_portraits_with_stroke_workers_as_in_one_thread(cli, sampler, tmp_path, monkeypatch):
    alone = cli("sample", "-n", 3, "-o", tmp_path / "alone", "-m", sampler, "--size", 48, "--threads", 1)
    monkeypatch.setattr(portraitize.stroke_workers, "usable_cpus", lambda: 2)  # on any machine
    monkeypatch.setattr(portraitize.stroke_workers, "StrokeWorkers", counted(painted := []))
    workers = cli("sample", "-n", 3, "-o", tmp_path / "workers", "-m", sampler, "--size", 48)
    assert alone.exit_code == 0 and workers.exit_code == 0, workers.output
    assert painted == [2, 2, 2], "three portraits, each painted by a pool of two workers"
    names = sorted(path.name for path in (tmp_path / "alone").glob("*.png"))
    assert len(names) == 3 and names == sorted(path.name for path in (tmp_path / "workers").glob("*.png"))
    for name in names:
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "workers" / name).read_bytes(), name


def test_a_worker_that_dies_fails_its_own_photo_only_and_the_next_photo_gets_fresh_workers(monkeypatch, tmp_path):
    """A death breaks the whole pool: the painting queued beside it is tried again apart and painted, the killer
    fails. One worker, held by a job that waits for a gate the test opens once the killer and then the scene are
    queued behind it: no timing decides what the death hits."""
    scene, small = gradient_image(240, 180, seed=2), gradient_image(120, 90, seed=3)
    gate = tmp_path / "open"
    apart, tried_apart = [], StrokeWorkers._apart
    killer_sent, submit = threading.Event(), ProcessPoolExecutor.submit

    def spied(self, painted, *rest):
        apart.append(painted.shape)
        return tried_apart(self, painted, *rest)

    def noted(pool, fn, *args):
        future = submit(pool, fn, *args)
        if any(isinstance(arg, DiesWhenUnpickled) for arg in args):
            killer_sent.set()
        elif args and args[0] is scene:
            gate.touch()  # the scene is queued behind the killer: let the worker go on
        return future

    monkeypatch.setattr(StrokeWorkers, "_apart", spied)
    monkeypatch.setattr(ProcessPoolExecutor, "submit", noted)
    workers = StrokeWorkers(1)
    try:
        # A standard-library call, so the worker needs nothing from the tests to run it; it gives up after 60 s.
        held = workers.pool.submit(
            subprocess.call,
            ["sh", "-c", f"for i in $(seq 6000); do [ -e '{gate}' ] && exit 0; sleep 0.01; done; exit 1"],
        )
        with ThreadPoolExecutor(1) as beside:
            killing = beside.submit(workers.paint, small, DiesWhenUnpickled())
            assert killer_sent.wait(30)
            painted, _ = workers.paint(scene, [], PainterSettings())
            with pytest.raises(PaintError, match="worker process stopped while painting it"):
                killing.result()
        assert held.result() == 0, "the gate opened once the scene was queued"
        after, _ = workers.paint(small, [], PainterSettings())
    finally:
        gate.touch()
        workers.close()
    assert sorted(apart) == [small.shape, scene.shape], "both paintings of the broken pool were tried again apart"
    assert np.array_equal(painted, paint_strokes(scene, [], PainterSettings())[0])
    assert np.array_equal(after, paint_strokes(small, [], PainterSettings())[0])


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="reads processes' states from /proc")
def test_workers_leave_when_the_main_process_is_killed():
    """Else they live on (holding the terminal's output open, so `convert ... | tee log` never ends)."""
    main = (
        "import os, sys, time\n"
        "from portraitize.stroke_workers import StrokeWorkers\n"
        "workers = StrokeWorkers(2)\n"
        "workers.pool.submit(int).result()\n"
        "print(*workers.pool._processes, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    run = subprocess.run([sys.executable, "-c", main], capture_output=True, text=True, timeout=60)
    pids = [int(pid) for pid in run.stdout.split()]
    assert pids, run.stderr
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)


def test_convert_paints_in_one_process_where_workers_cannot_start(cli, translator, tmp_path, monkeypatch):
    def cannot(self, workers):
        raise OSError("AF_UNIX path too long")

    src = tmp_path / "src"
    for index in range(2):
        write_image(src / f"photo{index}.png", 96, 72)
    monkeypatch.setattr(portraitize.stroke_workers, "usable_cpus", lambda: 2)
    monkeypatch.setattr(StrokeWorkers, "_start", cannot)
    monkeypatch.setattr(portraitize.bands, "usable_cpus", lambda: 2)
    monkeypatch.setattr(portraitize.bands, "_threads", 1)
    result = cli("convert", src, tmp_path / "out", "-m", translator)
    assert result.exit_code == 0 and "2 converted" in result.output
    assert "worker processes cannot start (AF_UNIX path too long): painting in this process" in result.output
    assert portraitize.bands.threads() == 2, "painting here, each photo's pixel work runs on both cores"


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_as_many_stroke_workers_as_the_typical_painting_fits_side_by_side():
    from portraitize.stroke_workers import PAINTING_PIXELS, worker_count

    assert worker_count(2) == 2 and worker_count(2, [512 * 512] * 20) == 2
    assert worker_count(0, [12_000_000] * 4) == 1  # phone photos paint one at a time: in this process
    assert worker_count(8, [PAINTING_PIXELS // 3] * 5 + [40_000_000]) == 3  # the median decides, not one giant
    assert worker_count(2, [0, 0]) == 2  # unreadable headers say nothing


def test_the_workers_are_chosen_by_readable_headers_not_broken_files_first(tmp_path):
    """Second hostile run: 17 empty files sorted first made a folder of 12 MP photos start two stroke workers."""
    from PIL import Image

    from portraitize.commands.convert import _header_sizes
    from portraitize.plan import Job

    for index in range(17):
        (tmp_path / f"a{index:02d}.jpg").write_bytes(b"")
    Image.new("RGB", (300, 200)).save(tmp_path / "b.jpg")
    jobs = [Job(path, tmp_path / "out" / path.name) for path in sorted(tmp_path.glob("*.jpg"))]
    assert _header_sizes(jobs) == [(300, 200)]


def test_waking_a_pool_whose_manager_closed_its_pipe_meanwhile_raises_nothing():
    """The race concurrent.futures' exit hook runs after Ctrl-C: the manager thread closes its wake-up pipe between
    the hook's check that it is open and its write. Importing the stroke workers makes that write harmless (without
    it: OSError, EBADF, printed as a traceback as Python exits)."""
    wakeup = process._ThreadWakeup()
    wakeup._writer.close()  # closed by the other thread, `_closed` not yet set: the window of the race
    wakeup.wakeup()
    wakeup._reader.close()
