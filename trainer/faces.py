"""Face detection with MTCNN, for face-aware crops and for checking that translations keep the face.

The cascade itself is the converter's (`portraitize.faces`, torch-free); here it runs the trainer's torch
networks. `detect-faces` runs it once over a folder and writes a CSV of boxes (path,w,h,x1,y1,x2,y2,prob, the
format of `paintings/faces.csv`), which training reads with `--faces`.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from pathlib import Path

import numpy as np
import torch

from portraitize.faces import FaceCascade, Stage
from portraitize.files import write_atomically

from .data import find_images, read_rgb
from .models.mtcnn import load_mtcnn

log = logging.getLogger(__name__)


def torch_stage(network: torch.nn.Module) -> Stage:
    """A torch MTCNN network as a cascade stage (numpy in, numpy out)."""

    @torch.no_grad()
    def run(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probability, offsets = network(torch.from_numpy(batch))
        return probability.numpy(), offsets.numpy()

    return run


class FaceDetector(FaceCascade):
    """The converter's cascade with the trainer's torch networks (weights from `../shared/weights`)."""

    def __init__(self, weights_folder: Path, min_face_size: float = 20.0):
        super().__init__(*(torch_stage(network) for network in load_mtcnn(weights_folder)), min_face_size=min_face_size)


def write_face_csv(folder: Path, out: Path, detector: FaceDetector, on_image=lambda: None) -> tuple[int, int]:
    """Detect the main face (`faces.main_face`) of every image below `folder`; returns (images, images with a face).

    Paths in the CSV are relative to its folder, as `read_face_boxes` expects. The CSV is written whole at the end
    (write_atomically): an interrupted run leaves the file that was there, a hand-checked CSV, as it was.
    """
    paths = find_images(folder)
    rows = [["path", "w", "h", "x1", "y1", "x2", "y2", "prob"]]
    for path in paths:
        on_image()
        try:
            pixels = np.asarray(read_rgb(path))
        except OSError as error:  # it names the file
            log.warning("skipping %s", error)
            continue
        face = detector.main_face(pixels)
        if face is not None:
            corners = (round(value) for value in (face.x1, face.y1, face.x2, face.y2))
            relative = os.path.relpath(path, out.parent)
            rows.append([relative, pixels.shape[1], pixels.shape[0], *corners, round(face.probability, 3)])
    table = io.StringIO(newline="")
    csv.writer(table).writerows(rows)
    write_atomically(out, lambda handle: handle.write(table.getvalue().encode()))
    return len(paths), len(rows) - 1
