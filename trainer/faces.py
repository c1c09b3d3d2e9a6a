"""Face detection with MTCNN, for face-aware crops (and, later, for checking that sitters stay recognisable).

The three-stage cascade of Zhang et al.: PNet proposes windows over an image pyramid, RNet and ONet refine
them. `detect-faces` runs it once over a folder and writes a CSV of boxes (path,w,h,x1,y1,x2,y2,prob, the
format of `paintings/faces.csv`), which training reads with `--faces`.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .data import FaceBox, find_images, read_rgb
from .models.mtcnn import load_mtcnn

THRESHOLDS = (0.6, 0.7, 0.8)
NMS_OVERLAP = (0.7, 0.7, 0.7)
PYRAMID_FACTOR = 0.707  # each pyramid level is half the area of the previous one


def _to_input(pixels: np.ndarray) -> torch.Tensor:
    """uint8 [..., H, W, 3] -> float [..., 3, H, W] scaled as MTCNN was trained: (x - 127.5) / 128."""
    return (torch.tensor(pixels, dtype=torch.float32).movedim(-1, -3) - 127.5) * 0.0078125


def _nms(boxes: np.ndarray, overlap: float, mode: str = "union") -> np.ndarray:
    """Indices of boxes [x1, y1, x2, y2, score] kept by greedy non-maximum suppression."""
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
        ratio = inter / np.minimum(area[best], area[rest]) if mode == "min" else inter / (area[best] + area[rest] - inter)
        order = rest[ratio <= overlap]
    return np.array(keep)


def _calibrate(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    size = np.stack([boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1] * 2, axis=1)
    boxes = boxes.copy()
    boxes[:, :4] += size * offsets
    return boxes


def _square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    width, height = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
    side = np.maximum(width, height)
    boxes[:, 0] += width / 2 - side / 2
    boxes[:, 1] += height / 2 - side / 2
    boxes[:, 2], boxes[:, 3] = boxes[:, 0] + side - 1, boxes[:, 1] + side - 1
    boxes[:, :4] = np.round(boxes[:, :4])
    return boxes


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> torch.Tensor:
    """Each box cut from the image (zeros outside it) and resized to size x size."""
    height, width = image.shape[:2]
    crops = []
    for x1, y1, x2, y2 in boxes[:, :4].astype(int):
        canvas = np.zeros((y2 - y1 + 1, x2 - x1 + 1, 3), np.uint8)
        sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, width - 1), min(y2, height - 1)
        if sx2 >= sx1 and sy2 >= sy1:
            canvas[sy1 - y1 : sy2 - y1 + 1, sx1 - x1 : sx2 - x1 + 1] = image[sy1 : sy2 + 1, sx1 : sx2 + 1]
        crops.append(np.asarray(Image.fromarray(canvas).resize((size, size), Image.Resampling.BILINEAR)))
    return _to_input(np.stack(crops))


class FaceDetector:
    def __init__(self, weights_folder: Path, min_face_size: float = 20.0):
        self.pnet, self.rnet, self.onet = load_mtcnn(weights_folder)
        self.min_face_size = min_face_size

    @torch.no_grad()
    def detect(self, image: np.ndarray) -> np.ndarray:
        """uint8 RGB [H, W, 3] -> boxes [N, 5] (x1, y1, x2, y2, probability), most probable first."""
        boxes = self._propose(image)
        for network, size, stage in ((self.rnet, 24, 1), (self.onet, 48, 2)):
            if len(boxes) == 0:
                return np.zeros((0, 5), np.float32)
            probability, offsets = network(_crops(image, boxes, size))
            keep = (probability > THRESHOLDS[stage]).numpy()
            boxes, offsets = boxes[keep], offsets.numpy()[keep]
            boxes[:, 4] = probability.numpy()[keep]
            if stage == 1:
                chosen = _nms(boxes, NMS_OVERLAP[stage])
                boxes = _square(_calibrate(boxes[chosen], offsets[chosen]))
            else:
                boxes = _calibrate(boxes, offsets)
                boxes = boxes[_nms(boxes, NMS_OVERLAP[stage], mode="min")]
        return boxes[np.argsort(-boxes[:, 4])].astype(np.float32) if len(boxes) else np.zeros((0, 5), np.float32)

    def _propose(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        scale = 12.0 / self.min_face_size
        scales, side = [], min(height, width) * scale
        while side > 12:
            scales.append(scale * PYRAMID_FACTOR ** len(scales))
            side *= PYRAMID_FACTOR
        tensor = _to_input(image)[None]
        proposals = []
        for level in scales:
            size = (math.ceil(height * level), math.ceil(width * level))
            probability, offsets = self.pnet(F.interpolate(tensor, size=size, mode="bilinear", align_corners=False))
            rows, cols = np.nonzero(probability[0].numpy() > THRESHOLDS[0])
            if len(rows) == 0:
                continue
            windows = np.stack([
                np.round((2 * cols + 1) / level), np.round((2 * rows + 1) / level),
                np.round((2 * cols + 13) / level), np.round((2 * rows + 13) / level),
                probability[0].numpy()[rows, cols],
            ], axis=1)  # fmt: skip
            windows = np.concatenate([windows, offsets[0].numpy()[:, rows, cols].T], axis=1)
            proposals.append(windows[_nms(windows, 0.5)])
        if not proposals:
            return np.zeros((0, 5), np.float32)
        boxes = np.concatenate(proposals)
        boxes = boxes[_nms(boxes, NMS_OVERLAP[0])]
        return _square(_calibrate(boxes[:, :5], boxes[:, 5:]))

    def largest_face(self, image: np.ndarray, min_probability: float = 0.9) -> tuple[FaceBox, float] | None:
        """The biggest face found with at least `min_probability`, and its probability."""
        boxes = self.detect(image)
        boxes = boxes[boxes[:, 4] >= min_probability]
        if len(boxes) == 0:
            return None
        x1, y1, x2, y2, probability = boxes[np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))]
        return FaceBox(float(x1), float(y1), float(x2), float(y2)), float(probability)


def write_face_csv(folder: Path, out: Path, detector: FaceDetector, on_image=lambda: None) -> tuple[int, int]:
    """Detect the largest face of every image below `folder`; returns (images, images with a face).

    Paths in the CSV are relative to its folder, as `read_face_boxes` expects.
    """
    paths = find_images(folder)
    found = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "w", "h", "x1", "y1", "x2", "y2", "prob"])
        for path in paths:
            on_image()
            try:
                pixels = np.asarray(read_rgb(path))
            except (OSError, ValueError, SyntaxError):
                continue
            face = detector.largest_face(pixels)
            if face is None:
                continue
            box, probability = face
            writer.writerow([os.path.relpath(path, out.parent), pixels.shape[1], pixels.shape[0],
                             *(round(value) for value in (box.x1, box.y1, box.x2, box.y2)), round(probability, 3)])  # fmt: skip
            found += 1
    return len(paths), found
