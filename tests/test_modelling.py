"""The light on a face, from the face mesh's depth: one light from the upper left, a form shadow on the far side."""

from __future__ import annotations

import numpy as np
from PIL import Image

from portraitize.modelling import SHADOW, light_map, modelled


def dome(centre=(100.0, 100.0), radius=40.0, count=468, seed=0) -> np.ndarray:
    """Points [count, 3] on the half of a sphere facing the viewer: x, y in pixels, z smaller towards the camera,
    as the face mesh gives them."""
    rng = np.random.default_rng(seed)
    r = radius * np.sqrt(rng.uniform(0, 1, count))
    theta = rng.uniform(0, 2 * np.pi, count)
    x, y = r * np.cos(theta), r * np.sin(theta)
    z = -np.sqrt(np.maximum(radius**2 - x**2 - y**2, 0))
    return np.stack([x + centre[0], y + centre[1], z], axis=1).astype(np.float32)


def test_the_side_turned_away_from_the_light_darkens_and_the_front_keeps_its_value():
    light = light_map((200, 200), [dome()], work=1.0)
    assert light.shape == (200, 200) and light.max() <= 1.0
    assert light[100, 100] > 0.97, "a surface facing the viewer is lit as photographed"
    far, near = light[100, 125:135].mean(), light[100, 65:75].mean()  # right of centre, away from the light
    assert far < near - 0.08 and near > 0.95
    assert light[100, 128:133].mean() > 1 - SHADOW - 0.01, "never darker than the deepest shadow"
    assert np.all(light[:, :40] == 1) and np.all(light[:40] == 1), "away from the face nothing changes"


def test_without_a_face_mesh_or_its_depth_the_picture_is_left_as_it_is():
    picture = Image.fromarray(np.full((60, 80, 3), 180, np.uint8))
    assert modelled(picture, [], 0.5) is picture
    assert modelled(picture, [None], 0.5) is picture
    assert modelled(picture, [dome(centre=(40.0, 30.0), radius=20.0)[:, :2]], 0.5) is picture, "x and y only"


def test_a_face_running_off_the_picture_is_lit_as_its_part_inside_would_be():
    """Mesh points beyond the edge keep their place: the visible part's light is the whole face's."""
    whole = light_map((300, 300), [dome(centre=(150.0, 150.0), radius=60.0)], 1.0)
    shifted = dome(centre=(150.0, 150.0), radius=60.0) - np.array([114, 0, 0], np.float32)  # 40% off the left edge
    cut = light_map((300, 300), [shifted], 1.0)
    assert cut.min() < 0.95 and np.abs(cut[:, :186] - whole[:, 114:]).max() < 1e-6


def test_the_shadow_darkens_the_faces_far_side_warmly_at_the_pictures_size():
    picture = Image.fromarray(np.full((400, 400, 3), 200, np.uint8))
    points = dome(centre=(200.0, 200.0), radius=80.0)
    shaded = np.asarray(modelled(picture, [points], work=0.5), float)
    assert shaded.shape == (400, 400, 3)
    assert shaded[200, 250:270].mean() < shaded[200, 130:150].mean() - 10
    red, blue = shaded[200, 255:265, 0].mean(), shaded[200, 255:265, 2].mean()
    assert blue < red - 3, "the shadow stays warm: red darkens least, blue most"
    assert np.abs(shaded[:, :60] - 200).max() == 0


def test_the_painter_models_a_portrait_face_from_its_mesh_and_leaves_a_style_models_alone():
    from portraitize.faces import Face
    from portraitize.painter import paint_strokes
    from portraitize.painter_settings import PainterSettings

    flat = np.full((300, 300, 3), 190, np.uint8)
    face = Face(110, 110, 190, 190, 0.99)
    points = [dome(centre=(150.0, 150.0), radius=40.0)]

    def sides(**settings) -> float:
        painted, _ = paint_strokes(flat, [face], PainterSettings(**settings), photo=flat, landmarks=points)
        value = painted.astype(float).mean(axis=2)
        return value[140:160, 120:135].mean() - value[140:160, 165:180].mean()  # lit side minus far side

    assert sides() > 10, "the far side of the face is in shadow"
    assert abs(sides(portrait=False)) < 5, "a style model's colours and light are its own"
