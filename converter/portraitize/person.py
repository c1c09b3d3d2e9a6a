"""Where the person is and where the features of the face are: MediaPipe's selfie segmentation and Face Mesh
models (converted to ONNX, `person-mask.onnx` and `face-landmarks.onnx`), with the pre- and post-processing of
MediaPipe's own graphs, torch-free.

- `person_mask(rgb, model)`: the probability that each pixel shows a person, at the photo's size. As MediaPipe's
  `SelfieSegmentationCpu` graph: the whole photo resized to the model's square input (no letterbox), values 0..1,
  and the mask resized back.
- `face_landmarks(rgb, face, model)`: 468 points of the face mesh in the photo's pixels, and the probability that
  the crop held a face. As MediaPipe's face-landmark graph: a square crop 1.5 times the face box's long side
  around its centre, sampled bilinearly (edges replicated) to the model's input; with `refine` (the default) a
  second crop as MediaPipe's tracking cuts it, from the first pass's points, turned so that the eyes are level,
  which finds the points of a tilted head better.

Points are in continuous pixel coordinates: pixel (i, j) of the photo covers x in [j, j + 1), y in [i, i + 1).
Their z is at the scale of x and y (the crop's pixels mapped to the photo's), smaller towards the camera,
relative to the face's centre.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from .contract import images_to_tensor
from .faces import Face
from .session import ModelSession, usable_cpus

# The crop around a face box or the points' box, as MediaPipe's RectTransformationCalculator makes it.
CROP_SCALE = 1.5
# Points of the face mesh (MediaPipe's canonical face model; "right" is the sitter's right, on the image's left).
NOSE_TIP, FOREHEAD, CHIN = 1, 10, 152
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263
MOUTH_RIGHT, MOUTH_LEFT, UPPER_LIP, LOWER_LIP = 61, 291, 13, 14
# The outline of the face, in order around it (MediaPipe's FACEMESH_FACE_OVAL), forehead first, clockwise on the
# image.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
PRESENT = 0.5  # MediaPipe's threshold: below it, the crop holds no face (and the points mean nothing)


def person_mask(rgb: np.ndarray, model: ModelSession) -> np.ndarray:
    """uint8 RGB [H, W, 3] -> float32 [H, W] in 0..1: how likely each pixel shows a person."""
    return person_masks([rgb], model)[0]


def person_masks(images: list[np.ndarray], model: ModelSession) -> list[np.ndarray]:
    """`person_mask` of several photos of any sizes, in one model call."""
    if not images:
        return []
    size = model.info.native_size
    inputs = [np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR)) for rgb in images]
    masks = model.run_outputs(images_to_tensor(inputs, model.info))[0][:, 0]
    out = []
    for rgb, mask in zip(images, masks):
        height, width = rgb.shape[:2]
        resized = Image.fromarray(mask.astype(np.float32), mode="F").resize((width, height), Image.Resampling.BILINEAR)
        out.append(np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0))
    return out


@dataclasses.dataclass(frozen=True)
class Crop:
    """A square region of a photo: centre (x, y) and side in pixels, and the angle (radians) by which its axes are
    turned from the photo's (positive: clockwise on the image, as y points down)."""

    x: float
    y: float
    side: float
    angle: float = 0.0

    @classmethod
    def around_face(cls, face: Face) -> Crop:
        """MediaPipe's crop of a face-detector box: its centre, 1.5 times its long side."""
        centre_x, centre_y = face.centre
        return cls(centre_x, centre_y, CROP_SCALE * max(face.x2 - face.x1, face.y2 - face.y1))

    @classmethod
    def around_points(cls, points: np.ndarray) -> Crop:
        """MediaPipe's crop of the previous points: their box's centre, 1.5 times its long side, turned so that the
        outer eye corners are level."""
        low, high = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
        (right_x, right_y), (left_x, left_y) = points[RIGHT_EYE_OUTER, :2], points[LEFT_EYE_OUTER, :2]
        angle = math.atan2(left_y - right_y, left_x - right_x)
        return cls(*((low + high) / 2), CROP_SCALE * float((high - low).max()), angle)

    def axes(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The photo-pixel steps of one crop pixel along the crop's x and y (at `size` crop pixels a side)."""
        step = self.side / size
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        return np.array([cos, sin]) * step, np.array([-sin, cos]) * step

    def to_photo(self, points: np.ndarray, size: int) -> np.ndarray:
        """Crop-pixel points [P, 2 or 3] (continuous, 0..size) -> photo pixels; z scaled like x and y."""
        along_x, along_y = self.axes(size)
        offset = points[:, :2] - size / 2
        out = points.astype(np.float32).copy()
        out[:, :2] = np.array([self.x, self.y]) + offset[:, :1] * along_x + offset[:, 1:2] * along_y
        if points.shape[1] > 2:
            out[:, 2] = points[:, 2] * (self.side / size)
        return out

    def cut(self, rgb: np.ndarray, size: int) -> np.ndarray:
        """The crop as uint8 RGB [size, size, 3], sampled bilinearly, the photo's edge pixels repeated beyond it."""
        height, width = rgb.shape[:2]
        corners, (fx, fy), (gx, gy) = _bilinear_plan(self, height, width, size)
        # A view of the photo's bytes (a copy only of one not laid out row by row, as a sampler's portraits are).
        pixels = np.ascontiguousarray(rgb).reshape(-1, 3)

        def at(flat: np.ndarray) -> np.ndarray:  # only the pixels sampled, never the whole photo in floats
            return np.take(pixels, flat, axis=0).astype(np.float32)

        top_left, top_right, bottom_left, bottom_right = corners
        # The top row's pair mixed by fx, the bottom row's, then the two by fy: in place, as the face check cuts two
        # crops of every sampled portrait (the same numbers as the plain expression, in half the time).
        upper = np.multiply(at(top_left), gx)
        term = np.multiply(at(top_right), fx)
        upper += term
        lower = np.multiply(at(bottom_left), gx)
        lower += np.multiply(at(bottom_right), fx, out=term)
        upper *= gy
        lower *= fy
        upper += lower
        np.clip(np.rint(upper, out=upper), 0, 255, out=upper)
        return upper.astype(np.uint8)


@functools.lru_cache(maxsize=2)  # the face check's first pass cuts the same crop of every sampled portrait
def _bilinear_plan(crop: Crop, height: int, width: int, size: int):
    """Where `crop.cut` samples a height x width photo: the flat pixel indices of each crop pixel's four neighbours
    (top left, top right, bottom left, bottom right), the weights (fx, fy) [size, size, 1] of the right and bottom
    ones, and (1 - fx, 1 - fy) of the left and top ones."""
    along_x, along_y = crop.axes(size)
    grid = np.arange(size, dtype=np.float64) + 0.5 - size / 2
    # Continuous photo coordinates of each crop pixel's centre, then array coordinates (centre of pixel 0 = 0).
    xs = crop.x + grid[None, :] * along_x[0] + grid[:, None] * along_y[0] - 0.5
    ys = crop.y + grid[None, :] * along_x[1] + grid[:, None] * along_y[1] - 0.5
    xs, ys = np.clip(xs, 0, width - 1), np.clip(ys, 0, height - 1)
    left, top = np.floor(xs).astype(int), np.floor(ys).astype(int)
    right, bottom = np.minimum(left + 1, width - 1), np.minimum(top + 1, height - 1)
    corners = (top * width + left, top * width + right, bottom * width + left, bottom * width + right)
    fx, fy = (xs - left)[..., None], (ys - top)[..., None]
    return corners, (fx, fy), (1 - fx, 1 - fy)


@functools.cache
def _cutters(threads: int) -> ThreadPoolExecutor:
    """Threads that cut crops side by side (numpy lets go of the GIL while it gathers and blends): the face check
    cuts two crops of every sampled portrait, a fifth of the face check's time on one core."""
    return ThreadPoolExecutor(threads, thread_name_prefix="crop")


def landmarks_in_crop(rgb: np.ndarray, crop: Crop, model: ModelSession) -> tuple[np.ndarray, float]:
    """One pass of the landmark model on `crop`: points [468, 3] in the photo's pixels, and the face presence."""
    points, presence = landmarks_in_crops([rgb], [crop], model)
    return points[0], float(presence[0])


def landmarks_in_crops(
    images: list[np.ndarray], crops: list[Crop], model: ModelSession
) -> tuple[list[np.ndarray], np.ndarray]:
    """`landmarks_in_crop` of one crop of each image, in one model call: each crop's points in its image's pixels,
    and float32 [N] presences."""
    size = model.info.native_size
    threads = model.session.get_session_options().intra_op_num_threads or usable_cpus()  # --threads, if given
    if len(images) > 1 and threads > 1:
        cut = list(_cutters(threads).map(lambda rgb, crop: crop.cut(rgb, size), images, crops))
    else:
        cut = [crop.cut(rgb, size) for rgb, crop in zip(images, crops)]
    points, presence = model.run_outputs(images_to_tensor(cut, model.info))
    return [crop.to_photo(found, size) for crop, found in zip(crops, points)], presence


def face_landmarks(rgb: np.ndarray, face: Face, model: ModelSession, refine: bool = True) -> tuple[np.ndarray, float]:
    """uint8 RGB [H, W, 3] and a face box (`faces.Face`) -> the face mesh's points float32 [468, 3] in the photo's
    pixels (x, y, z) and the probability (0..1) that there is a face; below `PRESENT` the points mean nothing.

    `refine`: a second pass on the crop MediaPipe's tracking would cut from the first pass's points (level eyes),
    kept where the face is present in both."""
    points, presence = landmarks_in_crop(rgb, Crop.around_face(face), model)
    if refine and presence >= PRESENT:
        better, again = landmarks_in_crop(rgb, Crop.around_points(points), model)
        if again >= PRESENT:
            return better, again
    return points, presence
