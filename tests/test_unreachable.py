"""An unreachable store or cluster is one line and exit 2, in bounded time, before any work (issue 31, cases 2
and 7): a URI is never read as a local path, and Ray's own endless retries never reach the user."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import write_image

# An S3 endpoint where nothing listens: every request fails at once (after the client's own retries).
NOWHERE = "endpoint_override=127.0.0.1:1&scheme=http"


def convert(cwd, *args, timeout=90):
    command = [sys.executable, "-m", "portraitize", "convert", *map(str, args)]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return result, time.monotonic() - started


def error_line(output: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith("error:")]
    assert "please report" not in line and "Traceback" not in output, output
    return line


def test_a_uri_with_the_local_engine_is_refused(cli, translator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_image(tmp_path / "src" / "a.png")
    result = cli("convert", tmp_path / "src", "s3://bucket/painted", "-m", translator)
    assert result.exit_code == 2 and "s3://bucket/painted is a URI: only --engine ray" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["src"]


@pytest.mark.ray
def test_an_unreachable_store_is_one_line_and_exit_2_never_a_local_path(translator, tmp_path):
    pytest.importorskip("ray")
    write_image(tmp_path / "src" / "a.png")
    result, seconds = convert(tmp_path, "src", f"s3://bucket/painted?{NOWHERE}", "-m", translator, "--engine", "ray")
    assert result.returncode == 2, result.stderr
    assert "cannot reach s3://bucket/painted" in error_line(result.stderr)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["src"], "a URI was written as a local folder"
    assert seconds < 60

    result, seconds = convert(tmp_path, f"s3://bucket/photos?{NOWHERE}", "out", "-m", translator, "--engine", "ray")
    assert result.returncode == 2, result.stderr
    line = error_line(result.stderr)
    assert "cannot reach s3://bucket/photos" in line and "no such file" not in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["src"] and seconds < 60


@pytest.mark.ray
def test_a_ray_address_where_nothing_answers_is_one_line_and_exit_2(translator, tmp_path):
    pytest.importorskip("ray")
    write_image(tmp_path / "src" / "a.png")
    try:
        result, seconds = convert(
            tmp_path, "src", "out", "-m", translator, "--engine", "ray", "--address", "127.0.0.1:1", timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("--address 127.0.0.1:1 was still retrying after 60 s")
    assert result.returncode == 2, result.stderr
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in error_line(result.stderr)
    assert not (tmp_path / "out").exists()


@pytest.mark.ray
def test_address_auto_without_a_cluster_is_one_line_and_exit_2(cli, translator, tmp_path, monkeypatch):
    ray_services = pytest.importorskip("ray._private.services")
    # No cluster on this machine, whatever else runs on it (a shared machine may run other people's Ray).
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray_services, "find_gcs_addresses", lambda: [])
    monkeypatch.setattr(ray_services, "find_bootstrap_address", lambda temp_dir=None: None)
    write_image(tmp_path / "src" / "a.png")
    result = cli(
        "convert", tmp_path / "src", tmp_path / "out", "-m", translator, "--engine", "ray", "--address", "auto"
    )
    assert result.exit_code == 2, result.output
    assert "--address auto: no Ray cluster is running" in error_line(result.output)


def test_threads_beyond_the_cpus_are_capped_and_said(cli, translator, tmp_path):
    from portraitize.session import load_model, usable_cpus

    model = load_model(translator, "cpu", threads=1024)
    assert model.session.get_session_options().intra_op_num_threads == usable_cpus()
    write_image(tmp_path / "src" / "a.png")
    started = time.monotonic()
    result = cli("convert", tmp_path / "src", tmp_path / "out", "-m", translator, "--threads", "1024")
    assert result.exit_code == 0, result.output
    assert f"--threads 1024 capped at {usable_cpus()}" in result.output
    assert time.monotonic() - started < 30
