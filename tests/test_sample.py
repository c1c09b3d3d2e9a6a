"""`portraitize sample`: seeded, reproducible portraits, a contact sheet, and clear errors."""

from __future__ import annotations

import numpy as np
from PIL import Image

from portraitize.contract import sample_latents
from portraitize.sampling import MAX_DRAWS, paint_samples
from portraitize.session import load_model


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


def test_a_latent_stream_continues_where_it_stopped():
    assert np.array_equal(sample_latents(3, 8, seed=5, start=2), sample_latents(5, 8, seed=5)[2:])
    assert np.array_equal(sample_latents(2, 8, 5, 0.5, start=7), sample_latents(9, 8, 5, 0.5)[7:])


def test_face_check_keeps_the_first_portraits_that_pass_in_latent_order(sampler):
    model = load_model(sampler, "cpu")
    plain = paint_samples(model, 40, 0, None, 8).images
    middle = float(np.median([image.mean() for image in plain]))
    bright = lambda image: 1.0 if image.mean() > middle else 0.0  # noqa: E731  a stand-in for the detector
    passing = [image for image in plain if bright(image)]
    painted = []
    real_run = model.run
    model.run = lambda latents: painted.append(len(latents)) or real_run(latents)
    checked = paint_samples(model, 5, 0, None, 3, face_score=bright)
    model.run = real_run
    assert np.array_equal(checked.images, np.stack(passing[:5]))
    fifth = next(i for i, image in enumerate(plain) if np.array_equal(image, passing[4]))
    assert checked.turned_down == fifth + 1 - 5 and checked.kept_anyway == 0
    assert sum(painted) == fifth + 1, f"a top-up paints only the portraits still missing ({painted})"
    assert np.array_equal(paint_samples(model, 2, 0, None, 1, face_score=bright).images, checked.images[:2])


def test_face_check_fills_with_the_best_it_turned_down_when_too_few_pass(sampler):
    model = load_model(sampler, "cpu")
    plain = paint_samples(model, 3 * MAX_DRAWS, 0, None, 5).images
    dim = lambda image: float(image.mean()) / 1000  # noqa: E731  never passes
    checked = paint_samples(model, 3, 0, None, 5, face_score=dim)
    best = sorted(plain, key=lambda image: -image.mean())[:3]
    assert np.array_equal(checked.images, np.stack(best))
    assert (checked.turned_down, checked.kept_anyway) == (3 * MAX_DRAWS, 3)


def test_sample_face_check_with_the_bundled_detector_names_its_files_and_says_what_it_did(cli, sampler, tmp_path):
    result = cli("sample", "-n", 3, "-o", tmp_path, "-m", sampler, "--face-check", "--truncation", 1.5)
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [f"tiny-sampler-seed0-trunc1.5-faces-{index:04d}.png" for index in range(3)]
    # 16 px noise has no face: every portrait fails, and the user is told which were kept anyway
    output = " ".join(result.output.split())
    assert "face check: 12 portrait(s) without a clear face (probability < 0.99) turned down" in output
    assert "3 of them kept all the same" in output


def test_face_check_without_the_face_detector_is_a_clear_error(cli, sampler, tmp_path, monkeypatch):
    monkeypatch.setattr("portraitize.catalogue.bundled_dir", lambda: tmp_path / "nothing")
    monkeypatch.delenv("PORTRAITIZE_MODELS", raising=False)
    result = cli("sample", "-n", 2, "-o", tmp_path / "out", "-m", sampler, "--face-check")
    assert result.exit_code == 2 and "--face-check needs the face detector" in result.output
    assert not (tmp_path / "out").exists()
