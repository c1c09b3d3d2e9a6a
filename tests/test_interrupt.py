"""Ctrl-C in the middle of a batch leaves only complete files, and a rerun finishes the job."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import output_files, write_image
from PIL import Image

PHOTOS = 16  # enough that a Ctrl-C after the first painting finds most of them unpainted


STOP_AT_CALL = 5


def test_interrupt_at_a_known_model_call_leaves_complete_files_and_rerun_resumes(
    cli, translator, tmp_path, monkeypatch
):
    """Deterministic: Ctrl-C arrives during the 5th model call (in-process, no timing involved)."""
    from portraitize.session import ModelSession

    src, dst = tmp_path / "src", tmp_path / "out"
    for index in range(12):
        write_image(src / f"p{index:02d}.png", 64, 48)
    calls = []
    original = ModelSession.run

    def run(self, batch):
        calls.append(len(batch))
        if len(calls) == STOP_AT_CALL:
            raise KeyboardInterrupt
        return original(self, batch)

    monkeypatch.setattr(ModelSession, "run", run)
    result = cli("convert", src, dst, "-m", translator, "--batch-size", "1")
    assert result.exit_code == 130 and "interrupted" in result.output
    assert len(calls) == STOP_AT_CALL, "nothing is painted after the interrupt"
    written = [path.name for path in output_files(dst)]
    assert all(name.endswith(".png") and not name.startswith(".") for name in written), written  # no temp files
    assert len(written) <= STOP_AT_CALL - 1  # queued writes may be dropped; finished ones are whole
    for name in written:
        with Image.open(dst / name) as image:
            image.load()
    monkeypatch.setattr(ModelSession, "run", original)
    rerun = cli("convert", src, dst, "-m", translator)
    assert rerun.exit_code == 0 and f"{12 - len(written)} converted, {len(written)} skipped" in rerun.output


@pytest.mark.parametrize("presses, apart", [(1, 0.0), (3, 0.3), (5, 0.05)])
def test_ctrl_c_leaves_no_partial_files_nor_processes_and_rerun_resumes(presses, apart, translator, tmp_path):
    """Ctrl-C as a terminal sends it, to the whole process group (the stroke workers too), once or impatiently
    several times (which once left the process hanging on its workers, or ended it by the signal)."""
    src, dst = tmp_path / "src", tmp_path / "out"
    for index in range(PHOTOS):
        write_image(src / f"p{index:02d}.png", 640, 640)
    command = [
        sys.executable,
        "-m",
        "portraitize",
        "convert",
        str(src),
        str(dst),
        "-m",
        str(translator),
        "--max-size",
        "640",
        "--batch-size",
        "1",
    ]
    # A shell that starts jobs in the background makes them ignore SIGINT; give the child the usual Ctrl-C.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not (dst.exists() and any(dst.glob("*.png"))) and time.monotonic() < deadline:
        time.sleep(0.005)
    for _ in range(presses):
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(apart)
    try:
        output, _ = process.communicate(timeout=60)
        left = _session_left(process.pid)
    finally:
        _kill_session(process.pid)

    assert process.returncode == 130, output
    assert "interrupted" in output and "Traceback" not in output
    assert left == [], "no worker outlives the command"
    leftovers = [path.name for path in output_files(dst) if not path.name.endswith(".png") or path.name.startswith(".")]
    assert leftovers == []
    done = sorted(dst.glob("*.png"))
    assert 0 < len(done) < PHOTOS
    said = re.search(r"(\d+) photos? of (\d+) painted before the interrupt", output)
    assert said and (int(said[1]), int(said[2])) == (len(done), PHOTOS), output
    assert re.search(rf"^painting.* {len(done)}/{PHOTOS} ", output, re.M), "the bar's last frame agrees"
    for path in done:
        with Image.open(path) as image:
            image.load()  # a partial file would fail to decode

    if presses > 1:  # what a rerun finds is the same however often Ctrl-C was pressed: resumed once, below
        return
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{PHOTOS - len(done)} converted, {len(done)} skipped" in rerun.stderr
    assert len(list(dst.glob("*.png"))) == PHOTOS


def _session_left(session: int, wait: float = 5.0) -> list[int]:
    """The processes still in `session` (Linux /proc) once they have had `wait` seconds to leave."""
    deadline = time.monotonic() + wait
    while True:
        left = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                left.append(int(stat.parent.name))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _kill_session(session: int) -> None:
    for pid in _session_left(session, wait=0):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_ctrl_c_before_a_verbs_own_handling_is_one_line_and_130(monkeypatch, capsys):
    """Ctrl-C while a verb still loads (before its own handling of interrupts begins): typer ends such a run with
    130 and no word; the command says it was interrupted, once."""
    import portraitize.cli

    def interrupted(threads):
        raise KeyboardInterrupt

    monkeypatch.setattr(portraitize.cli, "_capped_threads", interrupted)  # the first thing `convert` does
    monkeypatch.setattr(sys, "argv", ["portraitize", "convert", "photos", "out"])
    with pytest.raises(SystemExit) as done:
        portraitize.cli.main()
    assert done.value.code == 130
    assert capsys.readouterr().err.count("interrupted") == 1


def test_ctrl_c_while_the_command_itself_loads_is_one_line_and_130(monkeypatch, capsys):
    """Ctrl-C as `portraitize` imports its libraries, before cli.py exists to handle it: still no traceback."""
    import portraitize.cli
    from portraitize.entry import run

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(portraitize.cli, "main", interrupted)
    with pytest.raises(SystemExit) as done:
        run()
    assert done.value.code == 130 and capsys.readouterr().err == "interrupted\n"


def test_the_fork_server_keeps_a_failing_workers_traceback_off_the_terminal_unless_debugging():
    """Imported only in the stroke workers' fork server: a worker that fails as it starts (its run interrupted and
    gone) prints nothing; PORTRAITIZE_DEBUG=1 keeps the traceback."""
    code = "import sys, portraitize.fork_server; print(sys.excepthook is sys.__excepthook__)"
    for env, default_hook in (({}, "False"), ({"PORTRAITIZE_DEBUG": "1"}, "True")):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, timeout=60
        )
        assert result.stdout.strip() == default_hook, result.stderr
