"""Small eyes finished from the picture once the strokes are laid (eyes.py)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from portraitize import eyes, fineness, painter
from portraitize.eyes import EYE_FINISH, FINISHED_BELOW, STROKED_ABOVE, finish_eyes
from portraitize.faces import Face
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


def _finished(face_size: float, scale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A smeared eye as the strokes left it (flat grey) and the picture's own (a dark pupil in a light iris), the
    painting `scale` times the grid's size; the painting finished, and as it was."""
    painted = np.full((SIZE, SIZE, 3), 150, np.uint8)
    picture = painted.copy()
    picture[20:30, 10:30] = 200
    picture[23:27, 18:22] = 20
    size = (SIZE * scale, SIZE * scale)
    image = Image.fromarray(painted).resize(size, Image.Resampling.NEAREST)
    before = np.asarray(image).copy()
    finish_eyes(image, Image.fromarray(picture).resize(size, Image.Resampling.NEAREST), _regions(face_size))
    return np.asarray(image, float), before


def test_a_small_faces_eye_takes_its_pupil_back_from_the_picture_and_nothing_else_changes():
    for scale in (1, 3):  # the eyes' box, cut from a painting as large as the grid and from one three times larger
        out, before = _finished(FINISHED_BELOW / 2, scale)
        pupil = out[24 * scale : 26 * scale, 19 * scale : 21 * scale]
        assert abs(pupil.mean() - (150 + EYE_FINISH * (20 - 150))) <= 2, "the pupil, EYE_FINISH of the way there"
        assert out[22 * scale, 12 * scale].mean() > 170, "and the light iris round it"
        assert np.array_equal(out[40 * scale :], before[40 * scale :]), "off the eyes not a level moves"


def test_a_large_faces_eye_keeps_its_strokes_and_the_finish_fades_between():
    out, before = _finished(STROKED_ABOVE)
    assert np.array_equal(out, before), "a 12 MP portrait's eyes are painted in strokes of their own"
    middle, _ = _finished((FINISHED_BELOW + STROKED_ABOVE) / 2)
    assert abs(middle[24:26, 19:21].mean() - (150 + EYE_FINISH / 2 * (20 - 150))) <= 2


def _face_with_dark_eyes() -> tuple[np.ndarray, painter.Face, np.ndarray]:
    """A plain face whose eyes (where a face box puts them, no landmarks) hold a dark pupil two px across."""
    photo = np.full((240, 240, 3), (190, 150, 125), np.uint8)
    face = painter.Face(70, 50, 170, 170, 0.99)
    found = painter.regions((240, 240), [face], 1.0)
    rows, columns = np.nonzero(found.eyes > 0.9)
    centres = [(int(rows[side].mean()), int(columns[side].mean())) for side in (columns < 120, columns >= 120)]
    for row, column in centres:
        photo[row - 1 : row + 1, column - 1 : column + 1] = 15
    return photo, face, np.array(centres)


def test_the_painter_finishes_a_small_faces_eyes_and_not_a_style_models(monkeypatch):
    photo, face, centres = _face_with_dark_eyes()

    def pupils(portrait: bool) -> float:
        painted, _ = painter.paint_strokes(photo, [face], PainterSettings(portrait=portrait), photo)
        return float(np.mean([painted[row - 1 : row + 1, column - 1 : column + 1].mean() for row, column in centres]))

    finished, style = pupils(True), pupils(False)
    monkeypatch.setattr(eyes, "EYE_FINISH", 0.0)
    assert pupils(False) == style, "a style model's eyes are its style's"
    smeared = pupils(True)
    assert finished < smeared - 20, (finished, smeared)


def test_a_small_faces_eyes_beside_a_much_larger_face_keep_their_whole_mask():
    # Softened by the main face's size, a small face's eyes were blurred thin: a fraction of their finish.
    small, large = Face(40, 40, 100, 100, 0.99), Face(200, 20, 500, 320, 0.99)
    alone = fineness.regions((520, 340), [small], 1.0).eyes
    beside = fineness.regions((520, 340), [small, large], 1.0).eyes
    in_small = (slice(40, 100), slice(40, 100))
    assert alone[in_small].max() > 0.9
    np.testing.assert_allclose(beside[in_small], alone[in_small], atol=1e-6)
