"""A sampler's latent check: fitted to verdicts on its own portraits (trainer/latent_check.py), carried in its
metadata (contract.py), and used by `sample` to step over latents before painting them (latents.py)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from tiny_models import make_sampler

from portraitize.contract import ContractError, ModelInfo, sample_latents
from portraitize.latents import Latents
from portraitize.sampling import StreamCount, paint_samples, stream_samples
from portraitize.session import ModelError, load_model
from trainer.latent_check import SURE_PASSED, LatentCheck, fit, verdicts_of, without_latent_check, write_latent_check


def checked_copy(sampler, folder, weights, bias: float, sure: float = 1e9):
    """A copy of the tiny sampler carrying a latent check, as `trainer latent-check` writes it (by default never
    sure enough to spare the face check)."""
    path = folder / sampler.name
    folder.mkdir(exist_ok=True)
    shutil.copy(sampler, path)
    write_latent_check(path, LatentCheck(np.asarray(weights, float), bias, sure, passed=0.5, held_out_auc=1.0))
    return path


def first_axis_check(sampler, tmp_path):
    """Keeps the latents whose first value is positive: about half."""
    return checked_copy(sampler, tmp_path / "checked", np.eye(8)[0], 0.0)


def test_the_contract_reads_a_latent_check_and_refuses_a_malformed_one():
    base = dict(kind="sampler", name="s", description="", family="test", native_size=16, latent_size=2)
    info = ModelInfo(**base, latent_check="1,-2,0.5,2")
    latents = np.array([[1, 1], [3, 0]], np.float32)
    assert np.allclose(info.latent_scores(latents), [-0.5, 3.5]) and info.latent_sure == 2
    assert ModelInfo(**base).latent_scores(latents) is None
    for wrong, said in (
        ("1,2,3", r"needs latent_size \+ 2 = 4"),
        ("1,x,2,3", "comma-separated"),
        ("1,nan,2,3", "finite"),
    ):
        with pytest.raises(ContractError, match=said):
            ModelInfo(**base, latent_check=wrong)
    with pytest.raises(ContractError, match="only a sampler"):
        ModelInfo(**{**base, "kind": "translator"}, latent_check="1,2,3,4")


def test_checked_portraits_are_the_plain_ones_of_the_latents_the_check_keeps(sampler, tmp_path):
    checked = load_model(first_axis_check(sampler, tmp_path), "cpu")
    plain = paint_samples(load_model(sampler, "cpu"), 30, 0, None, 8).images
    kept = [number for number, latent in enumerate(sample_latents(30, 8, 0)) if latent[0] >= 0]
    assert 6 <= len(kept) <= 24
    six = paint_samples(checked, 6, 0, None, 4).images
    assert np.array_equal(six, plain[kept[:6]])
    assert np.array_equal(paint_samples(checked, 3, 0, None, 16).images, six[:3]), "count and batch change nothing"
    assert np.array_equal(paint_samples(checked, 6, 0, None, 4, every_latent=True).images, plain[:6])
    latents = Latents(checked.info, 0, None)
    assert [latents[place] for place in range(4)] == kept[:4]
    assert latents.position(kept[3], below=100) == 3 and latents.position(kept[3], below=3) is None
    assert latents.position(next(n for n in range(30) if n not in kept), below=100) is None


def test_a_face_check_on_top_turns_down_among_the_kept_latents_and_resumes(sampler, tmp_path):
    checked = load_model(first_axis_check(sampler, tmp_path), "cpu")
    plain = paint_samples(load_model(sampler, "cpu"), 60, 0, None, 8).images
    kept = [number for number, latent in enumerate(sample_latents(60, 8, 0)) if latent[0] >= 0]
    middle = float(np.median([plain[number].mean() for number in kept]))
    bright = lambda images, exact=True: [17.0 if image.mean() > middle else 0.0 for image in images]  # noqa: E731
    whole = list(stream_samples(checked, 4, Latents(checked.info, 0, None), 3, bright))
    wanted = [number for number in kept if plain[number].mean() > middle][:4]
    assert [portrait.latent for portrait in whole] == wanted
    there = {0: wanted[0], 2: wanted[2]}
    counts = StreamCount()
    resumed = list(stream_samples(checked, 4, Latents(checked.info, 0, None), 3, bright, done=there, counts=counts))
    assert [(portrait.index, portrait.latent) for portrait in resumed] == [(1, wanted[1]), (3, wanted[3])]


def test_the_face_check_does_not_look_at_portraits_the_latent_check_is_sure_of(sampler, tmp_path):
    sure_of_some = load_model(checked_copy(sampler, tmp_path / "some", np.eye(8)[0], 0.0, sure=1.0), "cpu")
    looked_at = []

    def passes(images, exact=True):
        looked_at.extend(images)
        return [17.0] * len(images)

    portraits = list(stream_samples(sure_of_some, 12, Latents(sure_of_some.info, 0, None), 4, passes))
    latents = sample_latents(200, 8, 0)
    kept = [number for number, latent in enumerate(latents) if latent[0] >= 0][:12]
    assert [portrait.latent for portrait in portraits] == kept  # all pass: the same portraits either way
    unsure = [number for number in kept if latents[number, 0] < 1.0]
    assert 0 < len(looked_at) == len(unsure) < 12
    assert all((portrait.score is None) == (latents[portrait.latent, 0] >= 1.0) for portrait in portraits)


def test_sample_names_records_and_resumes_the_checked_portraits(cli, sampler, tmp_path):
    model = first_axis_check(sampler, tmp_path)
    out = tmp_path / "out"
    result = cli("sample", "-n", 4, "-o", out, "-m", model, "--no-face-check")
    assert result.exit_code == 0, result.output
    kept = [number for number, latent in enumerate(sample_latents(40, 8, 0)) if latent[0] >= 0]
    for index in range(4):
        with Image.open(out / f"tiny-sampler-seed0-nofacecheck-{index:04d}.png") as image:
            record = json.loads(image.info["portraitize"])
        assert record["latent"] == kept[index] and record["latent_check"] is True and record["face_check"] is None
    assert "4 already there kept" in cli("sample", "-n", 4, "-o", out, "-m", model, "--no-face-check").output
    result = cli("sample", "-n", 2, "-o", out, "-m", model, "--every-latent", "--no-face-check")
    assert result.exit_code == 0, result.output
    with Image.open(out / "tiny-sampler-seed0-everylatent-nofacecheck-0001.png") as image:
        assert json.loads(image.info["portraitize"])["latent"] == 1
    # a sampler without a check: --every-latent changes nothing, so the names do not say it
    assert cli("sample", "-n", 1, "-o", tmp_path / "plain", "-m", sampler, "--every-latent").exit_code == 0
    assert (tmp_path / "plain" / "tiny-sampler-seed0-0000.png").exists()


def test_a_sampler_with_a_latent_check_is_face_checked_by_default_and_others_are_not(cli, sampler, tmp_path):
    model = first_axis_check(sampler, tmp_path)
    result = cli("sample", "-n", 2, "-o", tmp_path / "checked", "-m", model)
    assert result.exit_code == 0, result.output
    assert "face check:" in result.output  # 16 px noise has no face: all turned down, the best kept, and said
    with Image.open(tmp_path / "checked" / "tiny-sampler-seed0-0000.png") as image:
        assert json.loads(image.info["portraitize"])["face_check"].startswith("face-landmarks (")
    result = cli("sample", "-n", 2, "-o", tmp_path / "plain", "-m", sampler)
    assert result.exit_code == 0 and "face check:" not in result.output
    assert cli("sample", "-n", 1, "-o", tmp_path / "plain", "-m", sampler, "--face-check").exit_code == 0
    assert (tmp_path / "plain" / "tiny-sampler-seed0-faces-0000.png").exists()


def test_a_check_that_keeps_almost_nothing_is_a_clear_error(cli, sampler, tmp_path):
    model = checked_copy(sampler, tmp_path / "strict", np.eye(8)[0], -10.0)
    result = cli("sample", "-n", 2, "-o", tmp_path / "out", "-m", model)
    assert result.exit_code != 0
    assert "latent check keeps 0 of its first 1024 latents: re-fit it" in " ".join(result.output.split())


def test_fitting_finds_the_direction_that_foretells_the_verdict():
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((3000, 8)).astype(np.float32)
    good = latents[:, 2] - 0.5 * latents[:, 5] + 0.3 * rng.standard_normal(3000) > 0.4
    check = fit(latents, good, keep=0.3)
    assert check.held_out_auc > 0.95
    assert np.argmax(np.abs(check.weights)) == 2 and check.weights[5] < 0
    scores = latents @ check.weights + check.bias
    kept = scores >= 0
    assert abs(kept.mean() - 0.3) < 0.01 and good[kept].mean() > 0.9
    sure = scores >= check.sure
    assert 0 < check.sure and 100 <= sure.sum() < kept.sum() and good[sure].mean() >= SURE_PASSED
    with pytest.raises(ValueError, match="nothing to tell apart"):
        fit(latents, np.ones(3000, bool), keep=0.3)


def test_a_check_fitted_on_a_sampler_keeps_the_portraits_its_verdict_likes(tmp_path):
    """End to end on a tiny sampler: the verdict is "bright"; the fitted check's portraits are brighter."""
    path = make_sampler(tmp_path / "tiny.onnx")
    model = load_model(path, "cpu")
    brightness = lambda images: [image.mean() > 127 for image in images]  # noqa: E731
    latents, good = verdicts_of(model, 600, brightness)
    assert 0.2 < good.mean() < 0.8
    write_latent_check(path, fit(latents, good, keep=0.3))
    checked = load_model(path, "cpu")
    assert len(checked.info.latent_check.split(",")) == 8 + 2
    bright_share = np.mean(brightness(paint_samples(checked, 40, 0, None, 16).images))
    plain_share = np.mean(brightness(paint_samples(checked, 40, 0, None, 16, every_latent=True).images))
    assert bright_share > 0.85 and bright_share > plain_share + 0.2, (bright_share, plain_share)


def test_a_damaged_check_does_not_stop_its_refit(tmp_path):
    """`trainer latent-check` on a sampler whose check the contract refuses (here too short for its latent): the
    sampler opens without it, is refitted, and the file gets the new check, its other metadata kept."""
    import onnx

    path = make_sampler(tmp_path / "tiny.onnx")
    model = onnx.load(path)
    onnx.helper.set_model_props(model, {**{p.key: p.value for p in model.metadata_props}, "latent_check": "1,2,3"})
    onnx.save(model, path)
    with pytest.raises(ModelError, match="latent_check needs"):
        load_model(path, "cpu")
    opened = load_model(without_latent_check(path), "cpu")
    assert opened.info.latent_check == "" and opened.info.name == "tiny-sampler"
    latents, good = verdicts_of(opened, 200, lambda images: [image.mean() > 127 for image in images])
    write_latent_check(path, fit(latents, good, keep=0.3))
    assert len(load_model(path, "cpu").info.latent_check.split(",")) == 8 + 2


def test_a_check_keeping_too_few_is_refused_before_anything_is_painted(cli, sampler, tmp_path):
    """Hostile run: a check keeping ~0.5% of latents failed after 48 of 60 portraits, and only for some counts."""
    strict = checked_copy(sampler, tmp_path / "strict", np.eye(8)[0], -2.6)  # keeps ~0.5%
    for count in (2, 60):
        result = cli("sample", "-n", count, "-o", tmp_path / f"out{count}", "-m", strict, "--no-face-check")
        assert result.exit_code == 2 and "latent check keeps" in result.output
        assert not list((tmp_path / f"out{count}").glob("*.png"))
    small = cli(
        "sample", "-n", 2, "-o", tmp_path / "t", "-m", first_axis_check(sampler, tmp_path), "--truncation", 0.01
    )
    assert small.exit_code == 0  # the first value within +-0.01 still lands either side of 0
    shifted = checked_copy(sampler, tmp_path / "shifted", np.eye(8)[0], -0.5)
    result = cli("sample", "-n", 2, "-o", tmp_path / "t2", "-m", shifted, "--truncation", 0.1)
    assert result.exit_code == 2 and "with --truncation 0.1" in " ".join(result.output.split())


def test_fitting_refuses_too_few_latents_or_a_tiny_share_and_is_sure_only_of_kept_latents():
    rng = np.random.default_rng(1)
    latents = rng.standard_normal((2000, 8)).astype(np.float32)
    good = latents[:, 0] + rng.standard_normal(2000) > 1.5  # rare: the face check passes few
    with pytest.raises(ValueError, match="poorly"):
        fit(latents[:80], good[:80], keep=0.3)
    with pytest.raises(ValueError, match="keep must lie"):
        fit(latents, good, keep=0.01)
    assert fit(latents, good, keep=0.05).sure >= 0


def test_a_recorded_latent_far_ahead_or_not_a_number_is_not_trusted(cli, sampler, tmp_path):
    """Hostile run: a hand-edited record's latent "abc" crashed the run, and 10**12 made it hang."""
    from portraitize.sampling import save_png

    model = first_axis_check(sampler, tmp_path)
    out = tmp_path / "out"
    assert cli("sample", "-n", 3, "-o", out, "-m", model, "--no-face-check").exit_code == 0
    for index, latent in ((0, "abc"), (1, 10**12)):
        path = out / f"tiny-sampler-seed0-nofacecheck-{index:04d}.png"
        with Image.open(path) as image:
            record = json.loads(image.info["portraitize"])
            rgb = np.asarray(image.convert("RGB"))
        save_png(path, rgb, {"portraitize": json.dumps({**record, "latent": latent})})
    result = cli("sample", "-n", 3, "-o", out, "-m", model, "--no-face-check")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "no record of the model that painted them" in " ".join(result.output.split())


def test_a_recorded_latent_far_ahead_costs_no_more_than_the_draws(sampler, tmp_path):
    """With the face check, a portrait there whose record names a latent far beyond any this count could reach is
    painted again, not searched for (the search stops at MAX_DRAWS * count places)."""
    checked = load_model(first_axis_check(sampler, tmp_path), "cpu")
    latents = Latents(checked.info, 0, None)
    passes = lambda images, exact=True: [17.0] * len(images)  # noqa: E731
    portraits = list(stream_samples(checked, 2, latents, 2, passes, done={0: 2**31 - 1}))
    assert [portrait.index for portrait in portraits] == [1]
    assert latents._drawn < 10_000  # drew no further than the places it could use


def test_a_model_named_like_a_path_is_refused():
    with pytest.raises(ContractError, match="plain file name"):
        ModelInfo(kind="sampler", name="../escaped", description="", family="test", native_size=16, latent_size=2)


@pytest.mark.parametrize("name", ["a" * 101, "foo\nbar", " ", ".hidden", "-rf"])
def test_a_model_name_that_makes_an_awkward_file_name_is_refused(name):
    with pytest.raises(ContractError, match="plain file name"):
        ModelInfo(kind="sampler", name=name, description="", family="test", native_size=16, latent_size=2)
