"""Every model shipped in exported/ follows the contract and paints something real."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import EXAMPLES, REPO
from PIL import Image

from portraitize.contract import sample_latents, tensor_to_images
from portraitize.face_scale import FaceFinder
from portraitize.faces import main_face, onnx_cascade
from portraitize.images import load_photo
from portraitize.person import face_landmarks, person_mask
from portraitize.session import load_model, open_session, read_info
from portraitize.texture import apply_texture
from portraitize.translate import PaintSettings, model_input, paint_batch
from portraitize.upscale import upscale

MODELS = sorted((REPO / "exported").glob("*.onnx"))
FACE_DETECTOR = REPO / "exported" / "face-detector.onnx"


@pytest.mark.parametrize("path", MODELS, ids=[path.stem for path in MODELS])
def test_shipped_model_is_valid_and_paints(path):
    info = read_info(open_session(path), path)
    assert info.name == path.stem and info.description and info.training_summary and info.data_licence
    assert path.stat().st_size < 80e6
    if info.kind == "face_detector":  # the converter's own tool, run by the face-scale rule (test_face_detector.py)
        cascade = onnx_cascade(open_session(path))
        assert cascade.main_face(np.asarray(load_photo(EXAMPLES / "astronaut.jpg").rgb)) is not None
        return
    assert info.quality
    engine = load_model(path, "cpu")
    if info.kind == "upscaler":
        photo = load_photo(EXAMPLES / "astronaut.jpg").rgb[::4, ::4]
        enlarged = upscale(photo, engine)
        assert enlarged.shape == (photo.shape[0] * info.factor, photo.shape[1] * info.factor, 3)
        plain = np.asarray(Image.fromarray(photo).resize(enlarged.shape[1::-1], Image.Resampling.BICUBIC), dtype=int)
        assert 1 < np.abs(enlarged.astype(int) - plain).mean() < 20, "close to the picture, not a copy of bicubic"
    elif info.kind == "texture":
        photo = load_photo(EXAMPLES / "astronaut.jpg").rgb
        textured = apply_texture(photo, engine)
        assert textured.shape == photo.shape
        assert np.abs(apply_texture(photo, engine, tile=200).astype(int) - textured).max() <= 1, "tiles join"
        assert 0.5 < np.abs(textured.astype(int) - photo).mean() < 10, "a texture over the picture, not another one"
    elif info.kind == "person_mask":  # the sitter's mask; more in test_person_models.py
        photo = load_photo(EXAMPLES / "astronaut.jpg").rgb
        mask = person_mask(photo, engine)
        assert mask.shape == photo.shape[:2] and 0.2 < mask.mean() < 0.8
    elif info.kind == "face_landmarks":
        photo = load_photo(EXAMPLES / "astronaut.jpg").rgb
        points, presence = face_landmarks(
            photo, main_face(FaceFinder(onnx_cascade(open_session(FACE_DETECTOR))).faces(photo)), engine
        )
        assert points.shape[0] == 468 and presence > 0.9
    elif info.kind == "translator":
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
