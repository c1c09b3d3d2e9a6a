"""The light on a face, modelled as a painter plans it: one light from the upper left, the face turning away from
it into a form shadow.

Photos of people are lit flat (a flash, a soft studio box): the face has no side in shadow, which is what gives a
painted head its volume. The face mesh's depth (MediaPipe's z for each of its 468 points) says how the face turns;
spread into a smooth depth map over the face and lit from LIGHT, the side facing away from the light darkens and
the side facing it keeps its value, its red darkening least and its blue most (a painter's shadows on flesh are
warm, lit by the light the skin bounces; a plain darkening reads as grey dirt). The photo's own light stays
underneath (the light is multiplied in, never replaced), so the sitter's likeness does not change, only the
volume does.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops

from .filters import blur, gradient

LIGHT = np.array([-0.8, -0.35, 0.5])  # towards the light: left, up (y points down), towards the viewer
SHADOW = 0.3  # how far a surface turned fully away from the light darkens, in green (0.45 greyed faces, moved dlib)
WARM_SHADOW = np.array([0.8, 1.0, 1.1])  # how much each channel darkens there, for green: shadows stay warm
SPREAD = 0.045  # of the face's size: how far each mesh point's depth spreads (the mesh is ~20 points across)
EDGE = 0.2  # the face's outline fades out over this share of the spread's weight


def light_map(shape: tuple[int, int], landmarks: list[np.ndarray | None], work: float) -> np.ndarray:
    """How much each point of a grid `work` times the picture's size is lit (float32, 1 = as photographed), from
    each face's mesh points (picture pixels, [468, 3]); 1 wherever there is no face, or no depth to model from
    (points None, or x and y only)."""
    light = np.ones(shape, np.float32)
    for points in landmarks:
        if points is None or points.ndim != 2 or points.shape[1] < 3 or len(points) < 3:
            continue
        grid = points * work
        sigma = max(SPREAD * float(np.ptp(grid[:, :2], axis=0).max()), 0.7)
        # Each face on a box of its own around its mesh, reaching past the picture's edges where the face does:
        # points outside the picture keep their place instead of piling up on its border.
        pad = int(np.ceil(3 * sigma)) + 2
        left, top = int(np.floor(grid[:, 0].min())) - pad, int(np.floor(grid[:, 1].min())) - pad
        right, bottom = int(np.ceil(grid[:, 0].max())) + pad + 1, int(np.ceil(grid[:, 1].max())) + pad + 1
        lit = _face_light(grid - np.array([left, top, 0], np.float32), (bottom - top, right - left), sigma)
        y0, y1, x0, x1 = max(top, 0), min(bottom, shape[0]), max(left, 0), min(right, shape[1])
        if y0 < y1 and x0 < x1:
            part = lit[y0 - top : y1 - top, x0 - left : x1 - left]
            light[y0:y1, x0:x1] = np.minimum(light[y0:y1, x0:x1], part)
    return light


def _face_light(grid: np.ndarray, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """The light on one face whose mesh points (`grid`, [P, 3], within `shape`) spread over `sigma` px."""
    rows, cols = np.rint(grid[:, 1]).astype(int), np.rint(grid[:, 0]).astype(int)
    weight, depth = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    np.add.at(weight, (rows, cols), 1.0)
    np.add.at(depth, (rows, cols), -grid[:, 2])  # height towards the viewer: the mesh's z grows away
    weight, depth = blur(weight, sigma), blur(depth, sigma)
    height = np.where(weight > 1e-6, depth / np.maximum(weight, 1e-6), 0.0)
    # Where the weight thins out (past the mesh's outline) the height's slope means nothing: fade the light out.
    reach = np.clip(weight / (EDGE * max(float(weight.max()), 1e-6)), 0, 1)
    slope_y, slope_x = gradient(height)
    normal = np.stack([-slope_x, -slope_y, np.ones(shape, np.float32)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    direction = LIGHT / np.linalg.norm(LIGHT)
    facing = np.clip(normal @ direction, 0, 1)
    front = direction[2]  # a surface facing the viewer: lit as photographed
    lit = 1 - SHADOW * np.clip((front - facing) / front, 0, 1)
    return (1 - reach * (1 - lit)).astype(np.float32)


def modelled(picture: Image.Image, landmarks: list[np.ndarray | None], work: float) -> Image.Image:
    """`picture` (RGB) with each face turned into its form shadow (light_map), planned on a grid `work` times its
    size."""
    grid = (max(1, round(picture.width * work)), max(1, round(picture.height * work)))
    light = light_map((grid[1], grid[0]), landmarks, work)
    if light.min() >= 0.999:
        return picture
    bands = [1 - share * (1 - light) for share in WARM_SHADOW]
    shade = [Image.fromarray(np.uint8(np.clip(band, 0, 1) * 255), "L") for band in bands]
    return ImageChops.multiply(picture, Image.merge("RGB", shade).resize(picture.size, Image.Resampling.BILINEAR))
