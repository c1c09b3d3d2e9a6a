"""Where the painter cares: the brush radius each part of a portrait gets, and the sitter's silhouette.

A painter spends small strokes on the eyes, the brows and the nostrils, broader ones on the rest of
the face, broader still on the hair and the clothes, and the broadest on the ground behind. Every radius is a
share of a face's size, so a 12 MP and a 1 MP photo of the same framing get the same painting at their own
resolution, and every face of a group photo is painted finely at its own scale.

Without a face the whole picture is a scene, painted at the person level of a face a fifth of its long side.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image, ImageDraw

from .faces import Face, main_face
from .filters import blur
from .person import CHIN, FACE_OVAL, FOREHEAD

# Brush radius as a share of the face's size (its box's longer side), by what lies under the brush.
FEATURES = 0.01  # eyes, brows, nostrils
# The rest of the face: broad enough to lay its planes (painter 14). At 0.016 a 640 px portrait's face was laid in
# dabs at the finest size the grid shows, which read as "a smoothed photograph" under "uniform small dabs"; blind
# viewers chose 0.028's "broader, deliberate planes" (forced choices 102, tuning photos, and 103, 12 MP details) and
# preferred it to 0.04 ("noisy filter-like bits", 104). The features and the faces' refinement stay as fine as before.
FACE = 0.028
PERSON = 0.055  # hair, neck, hands, clothes
GROUND = 0.16  # fewer, broader strokes than painter 8's 0.12 (with FLAT_EDGE, stroke_paths.py)
DETAIL = 0.5  # the most that edges make the subject's strokes finer
BODY_DETAIL = 0.2  # ... on the body, this share of it
PERSON_FROM, PERSON_RAMP = 0.45, 0.3  # a person mask's values from which a point is the sitter's, and over how much
MISSED_BELOW = 0.3  # a person mask averaging less than this over a found face has missed that sitter
SCENE_FACE = 0.2  # without a face: the share of the picture's mean side a face is taken to have
MIN_RADIUS = 2.0  # px: a finer stroke is below what a pixel grid can show as a stroke
# The features by their face-mesh points (MediaPipe's FACEMESH contours), where landmarks were found.
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398)
BROWS = ((70, 63, 105, 66, 107, 55, 65, 52, 53, 46), (300, 293, 334, 296, 336, 285, 295, 282, 283, 276))
NOSTRILS = (1, 2, 4, 98, 327, 64, 294, 97, 326)
FEATURE_MARGIN = 0.03  # of the face's size, around each feature's points
EYE_SOFTEN = 0.01  # of a face's size: the blur its eyes' mask is softened by
# The face mesh's outline stops partway up a high forehead; above it, up to FOREHEAD_REACH of the face's size, the
# photo's points whose colour is the face's skin are the face too, each column up to its first point that is not
# (the hairline). Painted as hair, a receding hairline's bare forehead was laid in broad, value-trembling flats that
# cut a pale forehead into orange slabs. The skin: the median of the outline's upper third without the features
# (a beard or an open mouth below it must not set the colour); like it, a point within SKIN_CHROMA of it in CbCr and
# within SKIN_SPREADS of its light's spread (median absolute deviation), kept within SKIN_LIGHT (0..255): brown hair
# has skin's hue and is only a few tens of levels darker. A photo whose skin is nearly grey (within GREY_SKIN of
# grey in CbCr: black and white) tells hair from skin by light alone, and keeps the mesh's outline.
FOREHEAD_REACH = 0.35
SKIN_CHROMA, SKIN_SPREADS, SKIN_LIGHT, GREY_SKIN = 10.0, 2.5, (12.0, 40.0), 4.0
# Without landmarks: where the features lie in a face detector's box (x, y as shares of its width and height) and
# their half-size.
EYES = ((0.3, 0.38), (0.7, 0.38))
EYE_RADIUS = (0.16, 0.11)
NOSE, NOSE_RADIUS = (0.5, 0.62), (0.1, 0.1)


@dataclasses.dataclass(frozen=True)
class Regions:
    """Soft masks (float32 [H, W], 0..1) at a working size, and the main face's size in output pixels."""

    features: np.ndarray
    eyes: np.ndarray
    face: np.ndarray
    person: np.ndarray
    sizes: np.ndarray  # the size of the face each point belongs to (the main face's outside every face)
    face_size: float
    scene: bool = False  # no face: the whole picture is the subject, its edges refine it everywhere


def regions(
    size: tuple[int, int],
    faces: list[Face],
    work: float,
    person: np.ndarray | None = None,
    landmarks: list[np.ndarray | None] | None = None,
    photo: Image.Image | None = None,
) -> Regions:
    """The regions of an output of (width, height) `size`, drawn at `work` times its size. `person`: a person
    mask at that working size (a segmentation model's), else the silhouette the faces imply; `landmarks`: each
    face's face-mesh points (output px) or None, which place its features and outline; without them the
    features sit where they usually do in a face box. `photo`: the photo at the working size (RGB), whose skin
    carries a face's outline up a high forehead (FOREHEAD_REACH)."""
    width, height = max(1, round(size[0] * work)), max(1, round(size[1] * work))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) / work
    features, eyes, face_mask, silhouette = (np.zeros((height, width), np.float32) for _ in range(4))
    missed = np.zeros((height, width), np.float32)  # the silhouettes of the sitters a person mask missed
    main = _face_size(size, faces)
    sizes = np.full((height, width), main, np.float32)
    landmarks = landmarks or [None] * len(faces)
    ycc = None  # the photo in YCbCr, made once where a face needs it
    # A smaller face in front of a larger one keeps its own size.
    for face, points in sorted(zip(faces, landmarks), key=lambda pair: -pair[0].size):
        w, h = face.x2 - face.x1, face.y2 - face.y1
        centre_x, centre_y = face.centre
        own_eyes = np.zeros((height, width), np.float32)
        if points is None:
            for (cx, cy), (rx, ry) in [
                *((eye, EYE_RADIUS) for eye in EYES),
                (NOSE, NOSE_RADIUS),
            ]:
                feature = _ellipse(xs, ys, face.x1 + cx * w, face.y1 + cy * h, rx * w, ry * h)
                features = np.maximum(features, feature)
            for cx, cy in EYES:
                own_eyes = np.maximum(
                    own_eyes,
                    _ellipse(
                        xs, ys, face.x1 + cx * w, face.y1 + cy * h, 0.6 * EYE_RADIUS[0] * w, 0.4 * EYE_RADIUS[1] * h
                    ),
                )
            outline = _ellipse(xs, ys, centre_x, centre_y, 0.55 * w, 0.62 * h)
        else:
            margin = FEATURE_MARGIN * face.size
            for group in (RIGHT_EYE, LEFT_EYE, *BROWS, NOSTRILS):
                features = np.maximum(features, _around(xs, ys, points[list(group)], margin))
            for group in (RIGHT_EYE, LEFT_EYE):
                own_eyes = np.maximum(own_eyes, _around(xs, ys, points[list(group)], 0.0))
            outline = _polygon(points[list(FACE_OVAL)], (width, height), work)
            if photo is not None and _upright(points):
                ycc = _ycc(photo) if ycc is None else ycc
                outline = np.maximum(outline, _forehead(outline, features, ycc, face.size * work, person))
        # Softened by the face's own size: softened by the main face's, a small face's eyes beside a much larger
        # one were blurred thin, to as little as 0.2 of a share of the finish where 0.5 was meant (eyes.py).
        eyes = np.maximum(eyes, blur(own_eyes, EYE_SOFTEN * face.size * work))
        sizes[_ellipse(xs, ys, centre_x, centre_y, 0.75 * w, 0.85 * h) > 0] = face.size
        sizes[outline >= 0.5] = face.size  # a forehead carried up past the ellipse
        face_mask = np.maximum(face_mask, outline)
        # Head with hair, then the shoulders and the body below it, down to the picture's edge.
        head = _ellipse(xs, ys, centre_x, centre_y - 0.1 * h, 0.72 * w, 0.9 * h)
        shoulders = _ellipse(xs, ys, centre_x, centre_y + 2.3 * h, 2.2 * w, 1.7 * h)
        body = (ys > centre_y + 2.3 * h) * (np.abs(xs - centre_x) < 2.2 * w)
        own = np.maximum(head, np.maximum(shoulders, body))
        silhouette = np.maximum(silhouette, own)
        if person is not None and (not outline.any() or float(person[outline > 0].mean()) < MISSED_BELOW):
            missed = np.maximum(missed, own)  # the mask (made for one person) missed this sitter
    if not faces:
        person = np.ones((height, width), np.float32)  # a scene: all of it is subject, whatever a mask says
    elif person is None:
        person = silhouette
    else:
        # A segmentation's soft rim (hair against a bright wall) holds the wall's colour: it goes to the ground.
        # A face found with confidence is never painted over: where the mask missed a sitter (a group, a small
        # figure in a busy scene), the silhouette the face implies stands in.
        person = np.maximum(np.clip((person - PERSON_FROM) / PERSON_RAMP, 0, 1), np.maximum(missed, face_mask))
    soften = 0.02 * main * work
    person = blur(person.astype(np.float32), soften)
    features, face_mask = blur(features, soften), blur(face_mask, soften)
    return Regions(features, eyes, face_mask, person, sizes, main, scene=not faces)


def radius_map(found: Regions, detail: np.ndarray) -> np.ndarray:
    """The brush radius (output px) each point of the working grid asks for. `detail` (0..1, the grid's size):
    where the picture has edges, the subject's strokes get up to DETAIL finer, so edges are drawn where they
    matter and plain areas stay broad; the ground stays broad whatever it holds."""
    radius = found.face_size * (GROUND + (PERSON - GROUND) * found.person)
    radius += (FACE * found.sizes - radius) * found.face
    radius += (FEATURES * found.sizes - radius) * found.features
    # Edges refine the faces fully (glasses, a hairline, the jaw's edge) and the body a little: a painter
    # simplifies insignia and folds rather than copying every edge of the clothes.
    refined = 1.0 if found.scene else BODY_DETAIL + (1 - BODY_DETAIL) * found.face
    radius *= 1 - DETAIL * detail * found.person * refined
    return np.maximum(radius, MIN_RADIUS).astype(np.float32)


def _forehead(
    outline: np.ndarray, features: np.ndarray, ycc: np.ndarray, face_size: float, person: np.ndarray | None
) -> np.ndarray:
    """The bare forehead above a face's `outline` (all on the working grid; `face_size` in its pixels): in each
    column where the outline's top edge lies in its upper fifth (the forehead's, not a temple's or a cheek's), the
    points above that edge whose photo colour (`ycc`, YCbCr) is like the face's skin and which the `person` mask
    holds, up to the first point that is not or FOREHEAD_REACH of the face's size above the outline's top."""
    forehead = np.zeros_like(outline)
    inside = outline >= 0.5
    rows = np.flatnonzero(inside.any(axis=1))
    if not len(rows):
        return forehead
    skin = inside & (features < 0.5)
    skin[int(rows[0] + (rows[-1] - rows[0]) / 3) + 1 :] = False
    if not skin.any():
        return forehead
    values = ycc[skin]
    median = np.median(values, axis=0)
    if np.hypot(*(median[1:] - 128)) < GREY_SKIN:
        return forehead
    spread = float(np.median(np.abs(values[:, 0] - median[0])))
    light = min(max(SKIN_SPREADS * spread, SKIN_LIGHT[0]), SKIN_LIGHT[1])
    highest = max(0, int(rows[0] - FOREHEAD_REACH * face_size))
    window = ycc[highest : rows[-1] + 1]  # the skin test only where a column can climb
    like = (np.hypot(*(window[..., 1:] - median[1:]).transpose(2, 0, 1)) <= SKIN_CHROMA) & (
        np.abs(window[..., 0] - median[0]) <= light
    )
    if person is not None:
        like &= person[highest : rows[-1] + 1] >= PERSON_FROM + PERSON_RAMP / 2
    upper = rows[0] + 0.2 * (rows[-1] - rows[0])
    for column in np.flatnonzero(inside.any(axis=0)):
        top = int(np.argmax(inside[:, column]))
        if top > upper:
            continue
        above = like[: top - highest, column][::-1]  # upwards from the outline's edge
        run = int(np.argmin(above)) if not above.all() else len(above)
        forehead[top - run : top, column] = 1
    return forehead


def _upright(points: np.ndarray) -> bool:
    """Whether the face's forehead lies above its chin, within 45 degrees of straight up: only then is the image's
    up the forehead's (a face turned on its side has an ear above its outline)."""
    (x, y) = points[FOREHEAD, :2] - points[CHIN, :2]
    return bool(y < 0 and abs(x) < -y)


def _ycc(photo: Image.Image) -> np.ndarray:
    """RGB -> float32 YCbCr, a little smoothed: a freckle or a pore must not stop a column at the skin."""
    return blur(np.asarray(photo.convert("YCbCr"), np.float32), 1.0)


def _face_size(size: tuple[int, int], faces: list[Face]) -> float:
    """The main face's size; without one, SCENE_FACE of the picture's geometric mean side (a strip's strokes
    must fit its short side)."""
    main = main_face(faces)
    return main.size if main is not None else SCENE_FACE * (size[0] * size[1]) ** 0.5


def _around(xs: np.ndarray, ys: np.ndarray, points: np.ndarray, margin: float) -> np.ndarray:
    """The ellipse around a feature's points (their extent, plus `margin` px)."""
    low, high = points.min(axis=0), points.max(axis=0)
    (cx, cy), (rx, ry) = (low + high) / 2, (high - low) / 2 + margin
    return _ellipse(xs, ys, cx, cy, rx * 1.15, ry * 1.3)


def _polygon(points: np.ndarray, grid: tuple[int, int], work: float) -> np.ndarray:
    """1 inside the outline through `points` (output px), on the working grid."""
    image = Image.new("L", grid, 0)
    ImageDraw.Draw(image).polygon([(float(x) * work, float(y) * work) for x, y in points], fill=255)
    return np.asarray(image, np.float32) / 255


def _ellipse(xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    """1 inside the ellipse, 0 outside (softened by the caller)."""
    return ((((xs - cx) / max(rx, 1e-3)) ** 2 + ((ys - cy) / max(ry, 1e-3)) ** 2) <= 1).astype(np.float32)
