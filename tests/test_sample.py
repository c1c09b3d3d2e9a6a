"""`portraitize sample`: seeded, reproducible portraits, a contact sheet, and clear errors."""

from __future__ import annotations

import numpy as np
from PIL import Image

from portraitize.contract import sample_latents


def read(path):
    return np.asarray(Image.open(path).convert("RGB"))


def test_same_seed_same_images_other_seed_other_images(cli, sampler, tmp_path):
    assert cli("sample", "-n", 5, "-o", tmp_path / "a", "-m", sampler, "--seed", 7).exit_code == 0
    assert cli("sample", "-n", 3, "-o", tmp_path / "b", "-m", sampler, "--seed", 7, "--batch-size", 2).exit_code == 0
    assert cli("sample", "-n", 3, "-o", tmp_path / "c", "-m", sampler, "--seed", 8).exit_code == 0
    names = sorted(path.name for path in (tmp_path / "a").iterdir())
    assert names == [f"tiny-sampler-seed7-{index:04d}.png" for index in range(5)]
    for index in range(3):
        name = f"tiny-sampler-seed7-{index:04d}.png"
        assert np.array_equal(read(tmp_path / "a" / name), read(tmp_path / "b" / name))
        other = read(tmp_path / "c" / name.replace("seed7", "seed8"))
        assert np.abs(other.astype(int) - read(tmp_path / "a" / name)).mean() > 10
    first = read(tmp_path / "a" / names[0])
    assert first.shape == (16, 16, 3) and first.std() > 10


def test_grid_and_existing_files_kept(cli, sampler, tmp_path):
    result = cli("sample", "-n", 5, "-o", tmp_path, "-m", sampler, "--grid")
    assert result.exit_code == 0, result.output
    sheet = read(tmp_path / "tiny-sampler-seed0-grid5.png")
    assert sheet.shape == (2 * 18 + 2, 3 * 18 + 2, 3)  # 3 columns x 2 rows of 16 px with 2 px gaps
    assert np.array_equal(sheet[2:18, 2:18], read(tmp_path / "tiny-sampler-seed0-0000.png"))
    result = cli("sample", "-n", 6, "-o", tmp_path, "-m", sampler)
    assert "1 written" in result.output and "5 already there kept" in result.output


def test_truncation_bounds_latents_and_is_reproducible():
    latents = sample_latents(20, 64, seed=3, truncation=0.5)
    assert np.abs(latents).max() <= 0.5
    assert np.array_equal(latents, sample_latents(20, 64, seed=3, truncation=0.5))
    assert np.array_equal(sample_latents(4, 8, seed=1), sample_latents(9, 8, seed=1)[:4])


def test_wrong_kind_and_missing_default(cli, translator, tmp_path, monkeypatch):
    result = cli("sample", "-n", 2, "-o", tmp_path, "-m", translator)
    assert result.exit_code == 2 and "is a translator, but `sample` needs a sampler" in result.output
    monkeypatch.setattr("portraitize.catalogue.bundled_dir", lambda: tmp_path / "nothing")
    monkeypatch.delenv("PORTRAITIZE_MODELS", raising=False)
    result = cli("sample", "-n", 2, "-o", tmp_path)
    assert result.exit_code == 2 and "no sampler model is installed" in result.output
