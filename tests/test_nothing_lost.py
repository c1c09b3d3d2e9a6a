"""Nothing the user had, or another run is making, is lost (issue 31): two runs into one destination, kill -9,
reruns with other settings, and what counts as an output that is already there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import write_image
from PIL import Image

# A writer that stops half-way through an atomic write until told to go on (or is killed there).
HALF_WRITTEN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from portraitize.files import write_atomically

    target, ready, go = map(Path, sys.argv[1:4])

    def write(handle):
        handle.write(b"first half ")
        handle.flush()
        ready.touch()
        while not go.exists():
            time.sleep(0.01)
        handle.write(b"second half")

    write_atomically(target, write)
    """
)


def _start_half_written_write(target: Path, tmp_path: Path):
    ready, go = tmp_path / "ready", tmp_path / "go"
    writer = subprocess.Popen([sys.executable, "-c", HALF_WRITTEN, str(target), str(ready), str(go)])
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.01)
    (part,) = list(target.parent.glob(".portraitize-*.part"))
    return writer, part, go


def test_a_second_run_leaves_a_live_runs_partial_files_alone(cli, translator, tmp_path):
    dst = tmp_path / "out"
    writer, part, go = _start_half_written_write(dst / "other-run" / "a.png", tmp_path)
    try:
        write_image(tmp_path / "src" / "b.png")
        result = cli("convert", tmp_path / "src", dst, "-m", translator)
        assert result.exit_code == 0, result.output
        assert part.exists(), "the live run's partial file was deleted under it"
        assert "removed" not in result.output
    finally:
        go.touch()
        assert writer.wait(timeout=30) == 0, "the live run's write failed"
    assert (dst / "other-run" / "a.png").read_bytes() == b"first half second half"


def test_partial_files_of_a_killed_run_are_cleaned_by_the_next(cli, translator, tmp_path):
    dst = tmp_path / "out"
    writer, part, _ = _start_half_written_write(dst / "sub" / "a.png", tmp_path)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert part.exists() and not (dst / "sub" / "a.png").exists()
    write_image(tmp_path / "src" / "b.png")
    result = cli("convert", tmp_path / "src", dst, "-m", translator)
    assert result.exit_code == 0 and "removed 1 partial file" in result.output, result.output
    assert not part.exists()
    with Image.open(dst / "b.png") as image:
        image.load()
