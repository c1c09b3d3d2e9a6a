"""Brush texture at the photo's resolution: the exported stage, its tiles, and where `convert` applies it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import EXAMPLES, gradient_image
from PIL import Image

from portraitize.session import load_model
from portraitize.texture import MARGIN, apply_texture, texture_enlarged, texture_strength
from trainer.export import ExportError
from trainer.export_texture import TextureSettings, export_texture
from trainer.models.brush_texture import LookupBrushwork
from trainer.models.brushwork import Brushwork


@pytest.fixture(scope="module")
def texture_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("texture") / "tiny-texture.onnx"
    assert export_texture(path, TextureSettings(stroke=4, relief=0.6, flow_sigma=2.0)) < 1e-4
    return path


@pytest.fixture(scope="module")
def texture(texture_file):
    return load_model(texture_file, "cpu", kind="texture")


def astronaut(width: int, height: int) -> np.ndarray:
    return np.array(Image.open(EXAMPLES / "astronaut.jpg").convert("RGB").resize((width, height)))


@pytest.mark.parametrize("stage", [Brushwork(radius=0, stroke=5, relief=0.6), LookupBrushwork(5, 0.6, flow_sigma=3.0)])
def test_a_tile_told_its_origin_paints_what_the_whole_image_has_there(stage):
    image = torch.from_numpy(astronaut(96, 80)).permute(2, 0, 1)[None].float() / 127.5 - 1
    whole = stage(image)
    top, left, reach = 17, 30, 20  # reach: past the flow's smoothing and the streaks' length
    tile = stage(image[..., top:, left:], torch.tensor([top, left]))
    assert torch.allclose(tile[..., reach:, reach:], whole[..., top + reach :, left + reach :], atol=1e-5)
    assert not torch.allclose(stage(image[..., top:, left:])[..., reach:, reach:], tile[..., reach:, reach:])


def test_looked_up_streaks_run_along_the_contours():
    # Vertical stripes: the streaks' light changes far less down a column than across a row.
    columns = torch.linspace(0, 6 * torch.pi, 64)
    rgb = (0.5 + 0.4 * torch.sin(columns)).view(1, 1, 1, 64).expand(1, 3, 64, 64).contiguous()
    light = LookupBrushwork(6, 0.6, flow_sigma=3.0).stroke_light(rgb)[..., 8:56, 8:56]
    down = (light[..., 1:, :] - light[..., :-1, :]).abs().mean()
    across = (light[..., :, 1:] - light[..., :, :-1]).abs().mean()
    assert light.std() > 0.01 and down < 0.5 * across, (down, across)


def test_the_lit_floor_gives_dark_paint_strokes_and_leaves_other_paint_as_it_was():
    # Near-black paint on the left; on the right, light grey above and saturated red below (its green and blue
    # are under the floor, its red is not); faint rows for the streaks to follow.
    rgb = torch.full((1, 3, 64, 64), 0.05)
    rgb[..., :32, 32:] = 0.8
    rgb[..., 32:, 32:] = torch.tensor([0.8, 0.2, 0.1]).view(3, 1, 1)
    rgb[..., ::8, :] += 0.02
    images = rgb * 2 - 1
    plain, floored = (LookupBrushwork(5, 0.6, flow_sigma=2.0, lit_floor=floor)(images) for floor in (0, 0.4))
    dark = (..., slice(4, 60), slice(4, 28))
    change, plain_change = (floored - images)[dark], (plain - images)[dark]
    assert change.abs().mean() > 4 * plain_change.abs().mean(), "strokes show on dark paint"
    assert change.mean().abs() < 0.2 * change.abs().mean(), "as streaks, not as a lighter coat"
    assert torch.allclose(floored[..., 4:60, 36:60], plain[..., 4:60, 36:60], atol=1e-6), "grey, red: as before"
    with pytest.raises(ValueError, match="lit_floor"):
        LookupBrushwork(5, 0.6, lit_floor=1.5)


def test_export_texture_command_names_a_bad_setting_by_its_flag(tmp_path):
    from typer.testing import CliRunner

    from trainer.cli import app

    out = tmp_path / "t.onnx"
    result = CliRunner().invoke(app, ["export-texture", str(out), "--lit-floor", "2"])
    assert result.exit_code == 2 and "--lit-floor must be 0 to 1 (got 2)" in result.output and not out.exists()
    assert "--lit-floor" in CliRunner().invoke(app, ["export-texture", "--help"]).output


def test_texture_tiles_join_and_it_paints_fine_detail(texture):
    rgb = astronaut(300, 260)
    whole = apply_texture(rgb, texture, tile=10_000)
    tiled = apply_texture(rgb, texture, tile=70)
    assert whole.shape == rgb.shape and whole.dtype == np.uint8
    assert np.abs(tiled.astype(int) - whole).max() <= 1, "tiles join as one image"

    def detail(image: np.ndarray) -> float:
        grey = image.astype(np.float32).mean(axis=2)
        return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())

    soft = np.asarray(Image.fromarray(rgb).resize((75, 65)).resize((300, 260), Image.Resampling.BICUBIC))
    assert detail(apply_texture(soft, texture)) > 1.3 * detail(soft), "strokes, where the enlargement has none"
    assert np.abs(whole.astype(int) - rgb).mean() < 8, "a texture over the painting, not another picture"


def test_texture_grows_with_the_enlargement_and_is_whole_from_2x(texture, monkeypatch):
    assert texture_strength(1.0) == 0 and texture_strength(0.5) == 0
    assert texture_strength(2**0.5) == pytest.approx(0.5) and texture_strength(2.0) == texture_strength(6.0) == 1
    rgb = gradient_image(120, 96, seed=2)
    full = apply_texture(rgb, texture).astype(float)
    half = apply_texture(rgb, texture, strength=0.5).astype(float)
    assert np.abs(half - (rgb + full) / 2).max() <= 1, "half strength is half way to the full texture"
    assert np.abs(full - rgb).mean() > 2, "and the full texture changes the painting"

    calls = []
    real_run = texture.run
    monkeypatch.setattr(texture, "run", lambda batch, extra: calls.append(batch.shape) or real_run(batch, extra))
    small = gradient_image(50, 40)
    assert texture_enlarged(small, texture, 2.6).shape == (40, 50, 3) and calls
    calls.clear()
    assert np.array_equal(texture_enlarged(small, texture, 1.4), apply_texture(small, texture, texture_strength(1.4)))
    assert calls
    calls.clear()
    assert np.array_equal(texture_enlarged(small, texture, 51 / 50), small)
    assert np.array_equal(texture_enlarged(small, texture, 1.0), small)
    assert not calls, "an enlargement of 2% or none gets no texture"


def test_export_refuses_a_flow_wider_than_the_converters_tile_margin(tmp_path):
    with pytest.raises(ExportError, match="margin"):
        export_texture(tmp_path / "wide.onnx", TextureSettings(stroke=4, relief=0.3, flow_sigma=MARGIN / 2))
    assert not (tmp_path / "wide.onnx").exists()


def test_convert_names_the_texture_and_a_wrong_one_is_one_clear_line(cli, translator, texture_file, tmp_path):
    from conftest import write_image

    photo = write_image(tmp_path / "src" / "big.png", 200, 150)
    result = cli("convert", photo, tmp_path / "out", "-m", translator, "--texture", texture_file)
    assert result.exit_code == 0 and "with tiny-texture brush texture" in result.output, result.output
    for texture, message in {
        str(tmp_path / "missing.onnx"): "model file not found",
        str(translator): "is a translator, but --texture needs a texture",
    }.items():
        result = cli("convert", photo, tmp_path / "bad", "-m", translator, "--texture", texture)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "bad").exists()
    result = cli("convert", photo, tmp_path / "plain", "-m", translator, "--texture", "none")
    assert result.exit_code == 0 and "brush texture" not in result.output
    textured, plain = (np.asarray(Image.open(tmp_path / folder / "big.png"), int) for folder in ("out", "plain"))
    assert np.abs(textured - plain).mean() > 0.5, "the texture was laid over the enlarged painting"
