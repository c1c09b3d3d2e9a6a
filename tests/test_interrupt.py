"""Ctrl-C in the middle of a batch leaves only complete files, and a rerun finishes the job."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from conftest import write_image
from PIL import Image

PHOTOS = 40


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_no_partial_files_and_rerun_resumes(stop_signal, translator, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "out"
    for index in range(PHOTOS):
        write_image(src / f"p{index:02d}.png", 640, 640)
    command = [sys.executable, "-m", "portraitize", "convert", str(src), str(dst), "-m", str(translator),
               "--max-size", "640", "--batch-size", "1"]  # fmt: skip
    # A shell that starts jobs in the background makes them ignore SIGINT; give the child the usual Ctrl-C.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    deadline = time.monotonic() + 60
    while not (dst.exists() and any(dst.glob("*.png"))) and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(stop_signal)
    output, _ = process.communicate(timeout=60)

    assert process.returncode == 130, output
    assert "interrupted" in output
    leftovers = [path.name for path in dst.iterdir() if not path.name.endswith(".png") or path.name.startswith(".")]
    assert leftovers == []
    done = sorted(dst.glob("*.png"))
    assert 0 < len(done) < PHOTOS
    for path in done:
        with Image.open(path) as image:
            image.load()  # a partial file would fail to decode

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{PHOTOS - len(done)} converted, {len(done)} skipped" in rerun.stderr
    assert len(list(dst.glob("*.png"))) == PHOTOS
