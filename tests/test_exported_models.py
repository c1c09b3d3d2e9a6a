"""Every model shipped in exported/ follows the contract and paints something real."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import EXAMPLES, REPO

from portraitize.contract import sample_latents, tensor_to_images
from portraitize.engine import load_engine
from portraitize.images import load_photo
from portraitize.translate import PaintSettings, model_input, paint_batch

MODELS = sorted((REPO / "exported").glob("*.onnx"))


@pytest.mark.parametrize("path", MODELS, ids=[path.stem for path in MODELS])
def test_shipped_model_is_valid_and_paints(path):
    engine = load_engine(path, "cpu")
    info = engine.info
    assert info.name == path.stem and info.description and info.training_summary and info.data_licence and info.quality
    assert path.stat().st_size < 80e6
    if info.kind == "translator":
        photo = load_photo(EXAMPLES / "astronaut.jpg")
        rgb = model_input(photo, PaintSettings(max_size=256))
        (painted,) = paint_batch(engine, [rgb])
        assert painted.shape == rgb.shape and painted.std() > 10
        assert np.abs(painted.astype(int) - rgb).mean() > 3, "a translator must change the photo"
    else:
        images = tensor_to_images(engine.run(sample_latents(4, info.latent_size, seed=0)), info)
        again = tensor_to_images(engine.run(sample_latents(4, info.latent_size, seed=0)), info)
        other = tensor_to_images(engine.run(sample_latents(4, info.latent_size, seed=1)), info)
        assert np.isfinite(images).all() and images.std() > 10
        assert np.array_equal(images, again) and not np.array_equal(images, other)


def test_model_cards_cover_every_shipped_model():
    cards = (REPO / "exported" / "MODELS.md").read_text()
    for path in MODELS:
        assert f"## {path.stem}" in cards
