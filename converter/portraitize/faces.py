"""MTCNN face detection (Zhang et al. 2016), torch-free: the cascade's logic in numpy, its three networks behind
plain callables.

PNet proposes windows over an image pyramid, RNet and ONet refine them. The converter runs the networks from
the bundled `face-detector.onnx`; the trainer runs the very same cascade with its torch networks, so the two
find the same boxes (the export's parity test checks it on real photos).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from PIL import Image

THRESHOLDS = (0.6, 0.7, 0.8)
NMS_OVERLAP = (0.7, 0.7, 0.7)
PYRAMID_FACTOR = 0.707  # each pyramid level is half the area of the previous one
# A face the photo is about scores at least this: the largest face does on 509 of the 515 `paintings/train`
# portraits sampled where one was found, and the rule picks another face than the largest on one of them, a
# torso box. The false boxes seen, a torso below the face in that painting and in a photo, scored 0.92-0.96 and
# were larger than the face. Higher (0.99) would also let a small confident face in the background win over a
# main face scored 0.98.
CONFIDENT = 0.97
PNET_INPUT, RNET_INPUT, ONET_INPUT = "pnet_image", "rnet_crops", "onet_crops"

# A stage: float32 [N, 3, H, W] scaled as MTCNN was trained -> (face probability, box offsets [.., 4, ...]).
Stage = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class Face:
    x1: float
    y1: float
    x2: float
    y2: float
    probability: float

    @property
    def size(self) -> float:
        return max(self.x2 - self.x1, self.y2 - self.y1)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2

    def scaled(self, factor: float) -> Face:
        """The same face in the picture resized by `factor`."""
        return Face(self.x1 * factor, self.y1 * factor, self.x2 * factor, self.y2 * factor, self.probability)

    def moved(self, left: float, top: float) -> Face:
        """The same face in a crop whose corner is at (left, top)."""
        return Face(self.x1 - left, self.y1 - top, self.x2 - left, self.y2 - top, self.probability)


def to_input(pixels: np.ndarray) -> np.ndarray:
    """uint8 [..., H, W, 3] -> float32 [..., 3, H, W] scaled as MTCNN was trained: (x - 127.5) / 128."""
    return np.ascontiguousarray((np.moveaxis(pixels, -1, -3).astype(np.float32) - 127.5) * 0.0078125)


def nms(boxes: np.ndarray, overlap: float, mode: str = "union") -> np.ndarray:
    """Indices of boxes [x1, y1, x2, y2, score, ...] kept by greedy non-maximum suppression."""
    if len(boxes) == 0:
        return np.zeros(0, int)
    x1, y1, x2, y2, score = boxes[:, :5].T
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order, keep = np.argsort(score)[::-1], []
    while len(order):
        best, rest = order[0], order[1:]
        keep.append(best)
        width = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        height = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        inter = width * height
        ratio = (
            inter / np.minimum(area[best], area[rest]) if mode == "min" else inter / (area[best] + area[rest] - inter)
        )
        order = rest[ratio <= overlap]
    return np.array(keep)


def calibrate(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    size = np.stack([boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1] * 2, axis=1)
    boxes = boxes.copy()
    boxes[:, :4] += size * offsets
    return boxes


def square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    width, height = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
    side = np.maximum(width, height)
    boxes[:, 0] += width / 2 - side / 2
    boxes[:, 1] += height / 2 - side / 2
    boxes[:, 2], boxes[:, 3] = boxes[:, 0] + side - 1, boxes[:, 1] + side - 1
    boxes[:, :4] = np.round(boxes[:, :4])
    return boxes


def crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box cut from the image (zeros outside it), resized to size x size, as network input."""
    height, width = image.shape[:2]
    cut = []
    for x1, y1, x2, y2 in boxes[:, :4].astype(int):
        canvas = np.zeros((y2 - y1 + 1, x2 - x1 + 1, 3), np.uint8)
        sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, width - 1), min(y2, height - 1)
        if sx2 >= sx1 and sy2 >= sy1:
            canvas[sy1 - y1 : sy2 - y1 + 1, sx1 - x1 : sx2 - x1 + 1] = image[sy1 : sy2 + 1, sx1 : sx2 + 1]
        cut.append(np.asarray(Image.fromarray(canvas).resize((size, size), Image.Resampling.BILINEAR)))
    return to_input(np.stack(cut))


class FaceCascade:
    """The three stages and the rules that join them; `min_face_size` in pixels of the image given."""

    def __init__(self, pnet: Stage, rnet: Stage, onet: Stage, min_face_size: float = 20.0):
        self.pnet, self.rnet, self.onet = pnet, rnet, onet
        self.min_face_size = min_face_size

    def detect(self, image: np.ndarray) -> np.ndarray:
        """uint8 RGB [H, W, 3] -> boxes [N, 5] (x1, y1, x2, y2, probability), most probable first."""
        boxes = self._propose(image)
        for network, size, stage in ((self.rnet, 24, 1), (self.onet, 48, 2)):
            if len(boxes) == 0:
                return np.zeros((0, 5), np.float32)
            probability, offsets = network(crops(image, boxes, size))
            keep = probability > THRESHOLDS[stage]
            boxes, offsets = boxes[keep], offsets[keep]
            boxes[:, 4] = probability[keep]
            if stage == 1:
                chosen = nms(boxes, NMS_OVERLAP[stage])
                boxes = square(calibrate(boxes[chosen], offsets[chosen]))
            else:
                boxes = calibrate(boxes, offsets)
                boxes = boxes[nms(boxes, NMS_OVERLAP[stage], mode="min")]
        return boxes[np.argsort(-boxes[:, 4])].astype(np.float32) if len(boxes) else np.zeros((0, 5), np.float32)

    def _propose(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        scale = 12.0 / self.min_face_size
        scales, side = [], min(height, width) * scale
        while side > 12:
            scales.append(scale * PYRAMID_FACTOR ** len(scales))
            side *= PYRAMID_FACTOR
        proposals = []
        picture = Image.fromarray(image)
        for level in scales:
            size = (math.ceil(width * level), math.ceil(height * level))
            probability, offsets = self.pnet(
                to_input(np.asarray(picture.resize(size, Image.Resampling.BILINEAR)))[None]
            )
            rows, cols = np.nonzero(probability[0] > THRESHOLDS[0])
            if len(rows) == 0:
                continue
            windows = np.stack(
                [
                    np.round((2 * cols + 1) / level),
                    np.round((2 * rows + 1) / level),
                    np.round((2 * cols + 13) / level),
                    np.round((2 * rows + 13) / level),
                    probability[0][rows, cols],
                ],
                axis=1,
            )
            windows = np.concatenate([windows, offsets[0][:, rows, cols].T], axis=1)
            proposals.append(windows[nms(windows, 0.5)])
        if not proposals:
            return np.zeros((0, 5), np.float32)
        boxes = np.concatenate(proposals)
        boxes = boxes[nms(boxes, NMS_OVERLAP[0])]
        return square(calibrate(boxes[:, :5], boxes[:, 5:]))

    def faces(self, image: np.ndarray, min_probability: float = 0.9) -> list[Face]:
        """Faces found with at least `min_probability`, largest first."""
        found = [Face(*(float(value) for value in box)) for box in self.detect(image) if box[4] >= min_probability]
        return sorted(found, key=lambda face: -face.size)

    def main_face(self, image: np.ndarray, min_probability: float = 0.9) -> Face | None:
        return main_face(self.faces(image, min_probability))

    def face_probability(self, image: np.ndarray) -> float:
        """The probability of the likeliest face in the image; 0 where the cascade finds none."""
        boxes = self.detect(image)
        return float(boxes[0, 4]) if len(boxes) else 0.0


def main_face(faces: list[Face]) -> Face | None:
    """The face a photo is about: the largest confident face; only where none is confident, the largest."""
    confident = [face for face in faces if face.probability >= CONFIDENT]
    return max(confident or faces, key=lambda face: face.size, default=None)


def onnx_cascade(session, min_face_size: float = 20.0) -> FaceCascade:
    """The cascade on the bundled `face-detector.onnx` (an onnxruntime session): one graph holds the three
    networks, so each stage feeds its own input and empty batches to the other two (onnxruntime requires every
    graph input)."""
    empty = {
        PNET_INPUT: np.zeros((1, 3, 12, 12), np.float32),
        RNET_INPUT: np.zeros((0, 3, 24, 24), np.float32),
        ONET_INPUT: np.zeros((0, 3, 48, 48), np.float32),
    }

    def stage(name: str) -> Stage:
        outputs = [f"{name}_probability", f"{name}_offsets"]
        input_name = {"pnet": PNET_INPUT, "rnet": RNET_INPUT, "onet": ONET_INPUT}[name]
        return lambda batch: tuple(session.run(outputs, {**empty, input_name: batch}))

    return FaceCascade(stage("pnet"), stage("rnet"), stage("onet"), min_face_size)
