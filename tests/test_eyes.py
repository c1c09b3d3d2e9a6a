"""Small eyes finished from the picture once the strokes are laid (eyes.py)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from portraitize import painter
from portraitize.eyes import EYE_FINISH, FINISHED_BELOW, STROKED_ABOVE, finished_eyes
from portraitize.fineness import Regions
from portraitize.painter_settings import PainterSettings

SIZE = 60


def _regions(face_size: float) -> Regions:
    zeros = np.zeros((SIZE, SIZE), np.float32)
    eye = zeros.copy()
    eye[20:30, 10:30] = 1
    return Regions(
        features=eye,
        eyes=eye,
        face=eye,
        person=eye,
        sizes=np.full((SIZE, SIZE), face_size, np.float32),
        face_size=face_size,
    )


def _pictures() -> tuple[Image.Image, Image.Image]:
    """A smeared eye as the strokes left it (flat grey) and the picture's own (a dark pupil in a light iris)."""
    painted = np.full((SIZE, SIZE, 3), 150, np.uint8)
    picture = painted.copy()
    picture[20:30, 10:30] = 200
    picture[23:27, 18:22] = 20
    return Image.fromarray(painted), Image.fromarray(picture)


def test_a_small_faces_eye_takes_its_pupil_back_from_the_picture_and_nothing_else_changes():
    painted, picture = _pictures()
    out = np.asarray(finished_eyes(painted, picture, _regions(FINISHED_BELOW / 2)), float)
    expected = 150 + EYE_FINISH * (20 - 150)
    assert abs(out[24:26, 19:21].mean() - expected) <= 2, "the pupil, EYE_FINISH of the way to the picture's"
    assert out[22, 12].mean() > 170, "and the light iris round it"
    assert np.array_equal(out[40:, :], np.asarray(painted)[40:, :]), "off the eyes not a level moves"


def test_a_large_faces_eye_keeps_its_strokes_and_the_finish_fades_between():
    painted, picture = _pictures()
    large = np.asarray(finished_eyes(painted, picture, _regions(STROKED_ABOVE)))
    assert np.array_equal(large, np.asarray(painted)), "a 12 MP portrait's eyes are painted in strokes of their own"
    middle = np.asarray(finished_eyes(painted, picture, _regions((FINISHED_BELOW + STROKED_ABOVE) / 2)), float)
    assert abs(middle[24:26, 19:21].mean() - (150 + EYE_FINISH / 2 * (20 - 150))) <= 2


def test_the_painter_finishes_a_portraits_eyes_but_not_a_style_models(monkeypatch):
    calls = []

    def finishing(painted, picture, found):
        calls.append(found.eyes.max())
        return painted

    monkeypatch.setattr(painter, "finished_eyes", finishing)
    photo = np.full((160, 160, 3), 120, np.uint8)
    face = painter.Face(50, 40, 110, 110, 0.99)
    for portrait in (True, False):
        painter.paint_strokes(photo, [face], PainterSettings(portrait=portrait), photo)
    assert len(calls) == 1 and calls[0] > 0.5, "once, for the portrait, with its eyes found"
