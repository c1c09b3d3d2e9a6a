"""Painting at the photo's own resolution: the face-scale rule, the upscaler chain and portrait framing."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from conftest import gradient_image
from tiny_models import make_upscaler

from portraitize.engine import load_engine
from portraitize.face_scale import painting_size
from portraitize.faces import Face
from portraitize.framing import portrait_box
from portraitize.upscale import enlarge, upscale


def face(x: float, y: float, size: float) -> Face:
    return Face(x - size / 2, y - size / 2, x + size / 2, y + size / 2, 0.99)


def test_the_main_face_is_painted_at_the_translators_face_size():
    # a 4032 x 3024 phone photo whose face is 800 px: painted where that face is 100 px
    assert painting_size((4032, 3024), face(2000, 1200, 800), face_size=100, max_size=256) == (504, 378)
    # no face found, or a translator that does not know its face size: today's long-side rule
    assert painting_size((4032, 3024), None, face_size=100, max_size=256) == (256, 192)
    assert painting_size((4032, 3024), face(2000, 1200, 800), face_size=0, max_size=256) == (256, 192)
    # never enlarged: a small photo whose face is smaller than the training faces stays as it is
    assert painting_size((300, 200), face(150, 100, 50), face_size=100, max_size=256) == (300, 200)
    # a tiny face in a big scene: painted as a scene, at most 4x the long-side size
    assert painting_size((8000, 6000), face(100, 100, 20), face_size=100, max_size=256) == (1024, 768)


@pytest.fixture(scope="module")
def upscaler(tmp_path_factory):
    return load_engine(make_upscaler(tmp_path_factory.mktemp("up") / "tiny-upscaler.onnx", factor=2), "cpu")


def test_upscaler_tiles_join_exactly(upscaler):
    rgb = gradient_image(150, 97, seed=3)
    whole = upscale(rgb, upscaler, tile=10_000)
    assert whole.shape == (194, 300, 3)
    assert np.array_equal(upscale(rgb, upscaler, tile=40), whole)


def test_chain_upscales_while_more_than_2x_is_left_then_resizes(upscaler, monkeypatch):
    calls = []
    real_run = upscaler.run
    monkeypatch.setattr(upscaler, "run", lambda batch: calls.append(batch.shape) or real_run(batch))
    rgb = gradient_image(50, 40)
    out = enlarge(rgb, (430, 344), upscaler)  # 8.6x: three x2 passes (to 400 x 320), then a resize
    assert out.shape == (344, 430, 3) and out.dtype == np.uint8
    assert [shape[2:] for shape in calls] == [(40, 50), (80, 100), (160, 200)]
    calls.clear()
    assert enlarge(rgb, (90, 72), upscaler).shape == (72, 90, 3) and not calls  # under 2x: resized only
    assert enlarge(rgb, (90, 72), None).shape == (72, 90, 3)
    assert enlarge(gradient_image(400, 3), (4000, 30), upscaler).shape == (30, 4000, 3)  # a thin strip: resized


def test_portrait_frame_is_4_to_5_around_the_face_and_stays_inside():
    left, top, right, bottom = portrait_box((2000, 1500), face(1000, 600, 200))
    assert (right - left) / (bottom - top) == pytest.approx(0.8, abs=0.01)
    assert right - left == pytest.approx(520, abs=1) and left < 900 and right > 1100
    # a face at the left edge: the frame slides inside the image instead of leaving it
    left, top, right, bottom = portrait_box((2000, 1500), face(40, 300, 200))
    assert left == 0 and top >= 0 and bottom <= 1500
    # a face too large for a 4:5 frame inside the image: the frame shrinks, still 4:5, still inside
    left, top, right, bottom = portrait_box((600, 500), face(300, 250, 400))
    assert 0 <= left and right <= 600 and 0 <= top and bottom <= 500
    assert (right - left) / (bottom - top) == pytest.approx(0.8, abs=0.01)
    assert portrait_box((600, 500), None) is None


def test_face_finder_maps_boxes_back_to_the_photos_pixels():
    from conftest import EXAMPLES, REPO
    from PIL import Image

    from portraitize.face_scale import FaceFinder
    from portraitize.faces import onnx_cascade

    cascade = onnx_cascade(ort.InferenceSession(str(REPO / "exported" / "face-detector.onnx"), providers=["CPUExecutionProvider"]))
    photo = Image.open(EXAMPLES / "astronaut.jpg").convert("RGB")
    small = FaceFinder(cascade).faces(np.asarray(photo))[0]
    big = FaceFinder(cascade).faces(np.asarray(photo.resize((2048, 2048))))[0]  # detected on a 640 px copy
    assert big.size == pytest.approx(4 * small.size, rel=0.1)
    assert big.centre[0] == pytest.approx(4 * small.centre[0], rel=0.05)
