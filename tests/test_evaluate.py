"""evaluate: FID/KID over MobileNetV2 features, SSIM and the gap a translator closes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import REPO, gradient_image, need_shared, random_mobilenet_weights
from PIL import Image
from typer.testing import CliRunner

from trainer.cli import app as trainer_app
from trainer.data import FaceBox
from trainer.evaluate import (
    FaceCrops,
    distance,
    embed,
    evaluate,
    face_retention,
    folder_images,
    has_dark_blotch,
    load_feature_network,
    mean_ssim,
    sample_with_converter,
)
from trainer.faces import FaceDetector
from trainer.memorisation import grey_pixels, memorisation


class ColourLayout(torch.nn.Module):
    """uint8 [N, 3, 224, 224] -> [N, 192], the pictures' 8x8 colour layout: a stand-in feature network for
    the statistics' tests (a random-weight MobileNetV2 maps every picture to about the same point)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.adaptive_avg_pool2d(images.float() / 255, 8).flatten(1)


@pytest.fixture(scope="module")
def features_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("features") / "colour_layout.pt"
    torch.jit.script(ColourLayout()).save(str(path))
    return path


@pytest.fixture(scope="module")
def network(features_script):
    return load_feature_network(None, script=features_script)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Smooth colourful pictures (a stand-in for paintings), another draw of them, and noise."""
    root = tmp_path_factory.mktemp("eval")
    rng = np.random.default_rng(0)
    for name, count in (("real", 24), ("similar", 24), ("noise", 24)):
        (root / name).mkdir()
        for index in range(count):
            if name == "noise":
                pixels = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
            else:
                pixels = gradient_image(48, 48, seed=index + (0 if name == "real" else 100))
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    return root


def test_a_folder_is_closer_to_itself_than_to_noise(folders, network):
    rows = evaluate(folders / "real", network, images=[folders / "real", folders / "similar", folders / "noise"])
    itself, similar, noise = (row.distance for row in rows)
    assert itself.fid < 1e-3 < similar.fid < noise.fid
    # Unbiased KID of a set against itself is slightly negative (the diagonal is left out of one term only).
    assert itself.kid < similar.kid < noise.kid and noise.kid > 10


def test_translator_rows_have_ssim_and_gap_closed(folders, network, translator, tmp_path):
    (tmp_path / "bright").mkdir()
    for index in range(3):  # light grey photos: a colour-mixing translator keeps them light, so no dark blotch
        Image.fromarray(np.full((32, 32, 3), 200 + 10 * index, np.uint8)).save(tmp_path / "bright" / f"{index}.png")
    rows = evaluate(
        folders / "real",
        network,
        model=translator,
        photos=[folders / "noise", tmp_path / "bright"],
        floor=folders / "similar",
    )
    floor, photos, translated, _, bright = rows
    assert translated.images == photos.images == 24 and bright.images == 3
    assert 0 < translated.ssim < 1 and translated.gap_closed is not None and bright.blotched == 0
    expected = (photos.distance.kid - translated.distance.kid) / (photos.distance.kid - floor.distance.kid)
    assert translated.gap_closed == pytest.approx(expected)


def test_dark_blotch_is_black_paint_on_a_bright_photo_not_the_photos_own_shadow():
    bright = np.full((64, 64, 3), 220, np.uint8)
    shadowed = bright.copy()
    shadowed[:8, :8] = 10
    droplet = bright.copy()
    droplet[30:34, 30:34] = 5  # 16 px: 0.4% of the picture
    speck = bright.copy()
    speck[30, 30] = 5  # 1 px: below the 0.2% that counts
    assert has_dark_blotch(bright, droplet)
    assert not has_dark_blotch(bright, speck)
    assert not has_dark_blotch(shadowed, shadowed)  # dark in the photo already
    assert has_dark_blotch(bright, np.repeat(np.repeat(droplet, 2, 0), 2, 1))  # compared at the result's size


def test_ssim_is_one_for_identical_images_and_lower_for_others(folders):
    _, images = folder_images(folders / "real", limit=4)
    assert mean_ssim(images, images) == pytest.approx(1.0)
    assert mean_ssim(images, [255 - image for image in images]) < 0.2


def test_mobilenet_embedding_is_1280_d_and_needs_weights_or_a_script(folders):
    network = load_feature_network(random_mobilenet_weights())
    assert embed(folder_images(folders / "real", limit=3)[1], network).shape == (3, 1280)
    with pytest.raises(ValueError, match="weights"):
        load_feature_network(None)


def test_cli_prints_a_table_and_writes_json(folders, sampler, features_script, tmp_path):
    result = CliRunner().invoke(
        trainer_app,
        [
            "evaluate",
            "--real",
            str(folders / "real"),
            "--model",
            str(sampler),
            "--samples",
            "30",
            "--train",
            str(folders / "similar"),
            "--features-script",
            str(features_script),
            "--truncation",
            "2.5",
            "--face-check",
            "--closest",
            str(tmp_path / "closest.png"),
            "--json",
            str(tmp_path / "scores.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "KID x1000" in result.output
    assert "memorisation (features): " in result.output and "memorisation (grey 32 px): " in result.output
    rows = json.loads((tmp_path / "scores.json").read_text())["rows"]
    assert rows[0]["images"] == 30 and rows[0]["kid_x1000"] > 0
    assert "truncation 2.5, face check" in rows[0]["name"]
    assert {space: found["samples"] for space, found in rows[0]["memorisation"].items()} == {
        "features": 30,
        "grey 32 px": 30,
    }
    with Image.open(tmp_path / "closest.png") as sheet:  # 8 pairs wide, two rows per space, 128 px tiles
        assert sheet.size == (8 * 130 + 2, 4 * 130 + 2)


def test_face_check_without_the_face_landmarks_fails_before_any_work(folders, sampler, tmp_path, monkeypatch):
    monkeypatch.setattr("portraitize.catalogue.bundled_dir", lambda: tmp_path / "nothing")
    monkeypatch.delenv("PORTRAITIZE_MODELS", raising=False)
    arguments = ["evaluate", "--real", str(folders / "real"), "--model", str(sampler), "--face-check"]
    result = CliRunner().invoke(trainer_app, arguments)
    assert result.exit_code == 2 and "the face check needs the face landmark model" in result.output


def test_cli_names_a_folder_without_images_and_fails(folders, features_script, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a picture")
    result = CliRunner().invoke(
        trainer_app,
        [
            "evaluate",
            "--real",
            str(tmp_path / "empty"),
            "--images",
            str(folders / "real"),
            "--features-script",
            str(features_script),
        ],
    )
    assert result.exit_code == 2 and f"{tmp_path / 'empty'}: no readable images" in result.output


def test_memorisation_flags_copies_of_training_images_and_not_new_ones():
    generator = torch.Generator().manual_seed(0)
    train = torch.randn(200, 16, generator=generator)
    held_out = torch.randn(50, 16, generator=generator)  # unseen draws of the same distribution
    copies = train[:10] + 0.01 * torch.randn(10, 16, generator=generator)
    found = memorisation(train, held_out, copies, "features")
    assert found.too_close == 10 and found.closest(3) == [(i, i) for i in np.argsort(found.nearest)[:3]]
    assert memorisation(train, held_out, torch.randn(10, 16, generator=generator), "features").too_close <= 2


def test_a_sampler_passes_with_no_more_samples_near_training_images_than_unseen_paintings_have():
    generator = torch.Generator().manual_seed(1)
    train, held_out = torch.randn(400, 16, generator=generator), torch.randn(200, 16, generator=generator)
    new = 1.5 * torch.randn(100, 16, generator=generator)  # new images, a little further afield than real ones
    copies = train[:10] + 0.01 * torch.randn(10, 16, generator=generator)
    honest = memorisation(train, held_out, new, "features")
    assert honest.passes and honest.too_close <= 5 and "passes" in honest.summary()
    copying = memorisation(train, held_out, torch.cat([new[:94], copies[:6]]), "features")  # 6% copies
    assert copying.too_close >= 6 and not copying.passes and "FAILS" in copying.summary()
    assert copying.as_dict()["passes"] is False


def test_grey_pixel_check_finds_a_toned_copy_and_passes_new_images():
    rng = np.random.default_rng(0)
    blobs = lambda n: [  # noqa: E731  smooth random colour layouts: distinct "paintings"
        np.asarray(
            Image.fromarray(rng.integers(0, 255, (6, 6, 3), np.uint8)).resize((64, 64), Image.Resampling.BICUBIC)
        )
        for _ in range(n)
    ]
    train, held_out, new = blobs(60), blobs(30), blobs(10)
    toned = [(image * 0.9 + 12).astype(np.uint8) for image in train[:4]]  # a copy, a little lighter and flatter
    pixels = grey_pixels(train)
    assert pixels.shape == (60, 32 * 32) and 0 <= float(pixels.min()) and float(pixels.max()) <= 1
    found = memorisation(pixels, grey_pixels(held_out), grey_pixels(toned + new), "grey 32 px")
    assert sorted(found.closest(4)) == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert sum(distance < found.threshold for distance in found.nearest[:4]) == 4
    assert sum(distance < found.threshold for distance in found.nearest[4:]) <= 1


def test_face_crops_frame_the_known_face_and_centre_the_rest(tmp_path):
    image = np.zeros((300, 200, 3), np.uint8)
    crops = FaceCrops({(tmp_path / "a.png").resolve(): FaceBox(80, 40, 120, 80)}, framing=2.0)
    framed = crops(tmp_path / "a.png", image)
    assert framed.shape == (80, 80, 3)
    assert crops(tmp_path / "b.png", image).shape == (200, 200, 3)


def test_face_retention_counts_faces_the_translation_keeps():
    detector = FaceDetector(need_shared("weights"))
    with Image.open(REPO / "examples" / "astronaut.jpg") as photo:
        face = np.asarray(photo.convert("RGB").resize((256, 256)))
    blank = np.full_like(face, 128)
    assert face_retention(detector, [face, blank], [face, face]) == (1, 1)
    assert face_retention(detector, [face, face], [face, blank]) == (2, 1)


def test_upscaler_scores_compare_with_bicubic(folders, tmp_path):
    from tiny_models import make_upscaler

    from trainer.evaluate_upscaler import evaluate_upscaler
    from trainer.models.mobilenet_v2 import FeatureNetwork

    model = make_upscaler(tmp_path / "tiny-upscaler.onnx", factor=2)  # a blur then nearest: worse than bicubic
    scores = evaluate_upscaler(model, folders / "real", FeatureNetwork(random_mobilenet_weights()), size=32, limit=5)
    assert scores.images == 5 and scores.factor == 2
    assert 10 < scores.psnr_model < scores.psnr_bicubic
    empty = tmp_path / "no-paintings"
    empty.mkdir()
    with pytest.raises(ValueError, match="no paintings to score"):  # not NaN scores, written as JSON
        evaluate_upscaler(model, empty, FeatureNetwork(random_mobilenet_weights()), size=32)


def test_samplers_are_scored_with_the_truncation_sample_uses(sampler):
    from portraitize.sampling import paint_samples
    from portraitize.session import load_model

    truncated = sample_with_converter(sampler, 6, seed=0, device="cpu", truncation=0.5)
    assert not np.array_equal(truncated, sample_with_converter(sampler, 6, seed=0, device="cpu"))
    # the pictures `sample` paints with the same truncation, whatever the batch size
    painted = list(paint_samples(load_model(sampler, "cpu"), 6, 0, 0.5, batch_size=4).images)
    assert np.array_equal(truncated, painted)


def test_evaluate_measures_exactly_what_convert_writes(cli, translator, tmp_path):
    # One paint chain: the same photo and options give the same pixels through `evaluate` and `convert`.
    from conftest import EXAMPLES

    from portraitize.images import load_photo
    from trainer.evaluate import translate_with_converter

    photo = Image.open(EXAMPLES / "astronaut.jpg").convert("RGB").resize((160, 160))
    photo.save(tmp_path / "sitter.png")
    result = cli("convert", tmp_path / "sitter.png", tmp_path / "out", "-m", translator)
    assert result.exit_code == 0, result.output
    converted = load_photo(tmp_path / "out" / "sitter.png").rgb
    measured = translate_with_converter(translator, [np.asarray(photo)], device="cpu")[0]
    assert measured.shape == converted.shape and np.array_equal(measured, converted)


def test_a_set_of_one_picture_over_and_over_has_no_spread_and_a_varied_set_its_mean_distance():
    """The spread is the scored set's own variety: a sampler painting one face over and over shows it even where
    its KID to the real set is low."""
    real = torch.randn(40, 8, generator=torch.Generator().manual_seed(0))
    same = real[:1].repeat(30, 1)
    assert distance(real, same).spread == 0.0
    two = torch.tensor([[0.0] * 8, [3.0] + [0.0] * 7, [0.0, 4.0] + [0.0] * 6])
    assert distance(real, two).spread == pytest.approx((3 + 4 + 5) / 3)
