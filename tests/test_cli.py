"""The command itself: help, version, module entry point, model listing and start-up cost."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import write_image

from portraitize import __version__


def test_version_and_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "portraitize", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"portraitize {__version__}"


def test_help_names_every_environment_variable_the_converter_reads(cli):
    from portraitize.brush_cache import CACHE_ENV
    from portraitize.catalogue import MODELS_ENV
    from portraitize.text import DEBUG_ENV

    result = cli("--help")
    assert result.exit_code == 0
    for name in (MODELS_ENV, CACHE_ENV, DEBUG_ENV):
        assert name in result.output


def test_help_explains_every_convert_option(cli):
    result = cli("convert", "--help")
    assert result.exit_code == 0
    for option in (
        "--model",
        "--device",
        "--batch-size",
        "--threads",
        "--max-size",
        "--full-res",
        "--keep-model-size",
        "--format",
        "--quality",
        "--overwrite",
        "--strength",
    ):
        assert option in result.output


def test_help_shows_no_value_after_a_flag(cli):
    """A flag takes no value: typer would print <bool> after --help, --overwrite and the like, as if it did. Every
    verb there is, so that a new one without its command class is caught."""
    from portraitize.cli import app

    verbs = [(command.name or command.callback.__name__,) for command in app.registered_commands]
    assert {"convert", "sample", "models"} <= {verb for (verb,) in verbs}
    for verb in [(), *verbs]:
        result = cli(*verb, "--help")
        assert result.exit_code == 0 and "--help" in result.output
        assert "bool" not in result.output, verb


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from portraitize.cli import app\n"
        "heavy = [m for m in ('numpy', 'onnxruntime', 'PIL', 'torch') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_models_lists_installed_models_and_invalid_files(cli, translator, sampler, tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    for model in (translator, sampler):
        (folder / model.name).write_bytes(model.read_bytes())
    (folder / "broken.onnx").write_bytes(b"nope")
    monkeypatch.setenv("PORTRAITIZE_MODELS", str(folder))
    result = subprocess.run(
        [sys.executable, "-m", "portraitize", "models"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    for text in (
        "tiny-painter",
        "translator (test)",
        "tiny-sampler",
        "latent 8 -> 16x16",
        "broken",
        "invalid",
        "SSIM 0.99 in a test",
    ):
        assert text in result.stdout


def test_user_model_folder_resolves_names(cli, translator, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTRAITIZE_MODELS", str(translator.parent))
    photo = write_image(tmp_path / "src" / "p.png")
    result = cli("convert", photo, tmp_path / "out", "-m", "tiny-painter")
    assert result.exit_code == 0, result.output


def test_ray_engine_without_ray_says_how_to_install_it(cli, translator, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    photo = write_image(tmp_path / "src" / "p.png")
    result = cli("convert", photo, tmp_path / "out", "-m", translator, "--engine", "ray")
    assert result.exit_code == 2 and "pip install 'portraitize[ray]'" in result.output


def test_rate_column_shows_the_average_since_the_start_not_the_last_burst():
    from rich.console import Console

    from portraitize.progress import RateColumn, image_progress

    clock = [0.0]
    progress = image_progress(Console(file=None, quiet=True))
    progress.get_time = lambda: clock[0]
    task_id = progress.add_task("painting", total=8)
    progress.start_task(task_id)
    assert RateColumn().render(progress.tasks[0]).plain == "--- img/s"
    clock[0] = 2.0
    progress.advance(task_id, 4)  # a batch of four, finished together
    clock[0] = 2.001
    progress.advance(task_id, 4)
    assert RateColumn().render(progress.tasks[0]).plain == "4.00 img/s"  # 8 images in 2.001 s, not 4,000 img/s


def test_an_unforeseen_error_is_one_line_unless_debugging(cli, monkeypatch):
    import portraitize.commands.models as models_command

    def broken(*_):
        raise RuntimeError("boom\n  at some internal frame")

    monkeypatch.setattr(models_command, "show_models", broken)
    monkeypatch.delenv("PORTRAITIZE_DEBUG", raising=False)
    result = cli("models")
    assert result.exit_code == 2, result.output
    assert "unexpected RuntimeError: boom (please report it; PORTRAITIZE_DEBUG=1 shows where)" in result.output
    assert "internal frame" not in result.output and "Traceback" not in result.output
    monkeypatch.setenv("PORTRAITIZE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli("models")
