"""The wheel users install: built from this tree, installed in a fresh venv without torch, run on real photos."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, SHARED, output_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)], check=True, capture_output=True
    )
    (wheel,) = out.glob("portraitize-*.whl")
    return wheel


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.startswith("portraitize-")}
    assert top_level == {"portraitize"}, "the wheel must not install generic modules like converter/trainer"
    shipped = sorted(name for name in names if name.startswith("portraitize/models/") and name.endswith(".onnx"))
    assert shipped == sorted(f"portraitize/models/{path.name}" for path in (REPO / "exported").glob("*.onnx"))


def test_fresh_venv_without_torch_converts_and_samples(wheel, translator, sampler, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    assert subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0
    assert subprocess.run([python, "-c", "import trainer"], capture_output=True, cwd=tmp_path).returncode != 0

    photos = tmp_path / "photos"
    shutil.copytree(EXAMPLES, photos)
    nasa = SHARED / "data" / "photos" / "test" / "nasa"
    for path in sorted(nasa.glob("*.jpg"))[:2]:
        shutil.copy(path, photos / path.name)
    command = env_dir / "bin" / "portraitize"
    clean_env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    clean_env.pop("PORTRAITIZE_MODELS", None)

    result = subprocess.run(
        [command, "convert", photos, tmp_path / "out", "-m", translator],
        capture_output=True,
        text=True,
        env=clean_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    painted = [path.name for path in output_files(tmp_path / "out")]
    assert painted == sorted(path.name for path in photos.iterdir() if path.suffix == ".jpg")

    # The bundled default: no --model at all.
    result = subprocess.run(
        [command, "convert", photos, tmp_path / "default"], capture_output=True, text=True, env=clean_env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert len(output_files(tmp_path / "default")) == len(painted)

    result = subprocess.run(
        [command, "sample", "-n", "4", "-o", tmp_path / "samples", "-m", sampler, "--grid"],
        capture_output=True,
        text=True,
        env=clean_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "samples").glob("*.png"))) == 5

    modules = subprocess.run(
        [
            python,
            "-c",
            "import sys, portraitize.commands.convert, portraitize.commands.sample;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'trainer')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env,
        cwd=tmp_path,
    )
    assert modules.stdout.strip() == "[]"
