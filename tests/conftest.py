from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

try:
    import torch

    # The tests' networks are tiny: one thread beats two, and never fights a training run for the cores.
    torch.set_num_threads(1)
except ImportError:  # the converter's tests also run where torch is absent
    pass

# Brushes made afresh in every test, as in a run with no cache: tests that count how often a brush's planes are made
# must not find them already kept by an earlier test or by the developer's own runs (tests/test_brush_cache.py
# turns the cache on in a folder of its own).
from portraitize.brush_cache import CACHE_ENV, OFF  # noqa: E402

os.environ[CACHE_ENV] = OFF

from tiny_models import make_sampler, make_translator  # noqa: E402

from portraitize.cli import app  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples"


def need_shared(*parts: str) -> Path:
    """A path under ../shared for the few tests whose point is the real data or weights; a clone of the
    repository alone has no ../shared, and there those tests skip with this reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the team's shared data or weights")
    return path


@functools.cache
def random_mobilenet_weights() -> Path:
    """A MobileNetV2 state_dict with random weights: behaviour tests need the network's shapes, not ImageNet's
    knowledge, so they run in a clone without ../shared."""
    import torch

    from trainer.models.mobilenet_v2 import load_mobilenet_v2

    folder = Path(tempfile.mkdtemp(prefix="portraitize-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    torch.manual_seed(0)
    torch.save(load_mobilenet_v2(None).state_dict(), folder / "mobilenet_v2_random.pth")
    return folder / "mobilenet_v2_random.pth"


@pytest.fixture(scope="session")
def translator(tmp_path_factory) -> Path:
    return make_translator(tmp_path_factory.mktemp("models") / "tiny-painter.onnx")


@pytest.fixture(scope="session")
def sampler(tmp_path_factory) -> Path:
    return make_sampler(tmp_path_factory.mktemp("models") / "tiny-sampler.onnx")


@pytest.fixture
def cli():
    """Run `portraitize ARGS...` in-process; returns click's Result (exit_code, output)."""
    runner = CliRunner()

    def run(*args: object):
        return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)

    return run


def output_files(folder: Path) -> list[Path]:
    """The files a conversion wrote under `folder`, relative to it, without its record of what made them."""
    from portraitize.records import RECORD_NAME

    return sorted(path.relative_to(folder) for path in folder.rglob("*") if path.is_file() and path.name != RECORD_NAME)


def gradient_image(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth colourful uint8 RGB picture with some noise: varied enough that any model changes it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / max(width - 1, 1), y / max(height - 1, 1), 0.5 + 0.5 * np.sin((x + y) / 7)], axis=2)
    rgb = rgb * 200 + rng.uniform(0, 55, (height, width, 3))
    return rgb.astype(np.uint8)


def write_image(path: Path, width: int = 40, height: int = 30, mode: str = "RGB", **save_options) -> Path:
    image = Image.fromarray(gradient_image(width, height)).convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **save_options)
    return path


def write_heic(path: Path, image: Image.Image, exif: Image.Exif | None = None, **nclx: int) -> Path:
    """`image` saved as an iPhone saves a photo, HEIC, by pillow-heif's encoder (a test tool: portraitize itself
    only decodes HEIC, through pi-heif, and never registers pillow-heif's plugin); `nclx`: its colours described
    by numbers (color_primaries, transfer_characteristics: ITU-T H.273) instead of sRGB's."""
    import pillow_heif

    image = image.copy()
    if exif is not None:
        image.info["exif"] = exif.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    pillow_heif.from_pillow(image).save(path, quality=95, **nclx)
    return path


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    for index in range(10):
        Image.fromarray(gradient_image(40, 36, seed=index)).save(folder / f"img{index}.png")
    (folder / "broken.jpg").write_text("not an image")
    return folder


@pytest.fixture(scope="session")
def style_image(tmp_path_factory):
    return write_image(tmp_path_factory.mktemp("style") / "painting.png", 48, 40)
