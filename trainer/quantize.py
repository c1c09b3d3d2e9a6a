"""An int8 copy of an exported upscaler, for the CPU (onnxruntime static quantization).

The upscaler is the heaviest network of a full-resolution conversion: it runs on 16x the painting's pixels.
On a CPU with 8-bit dot-product instructions (VNNI) its convolutions run faster in int8 (the bundled one:
1.5x, its sub-pixel layer kept float, see `sub_pixel_convolutions`). Weights
are quantized per output channel; activations get one scale each, calibrated on inputs like the ones `convert`
gives the model: crops of paintings reduced by the model's factor. The copy is written (atomically) only when
its output's PSNR to the float model's is at least `min_psnr` dB on other crops than the calibration ones, so
quantization cannot silently cost the quality its card reports. The format is QDQ (quantize / dequantize pairs
around float operators), which every onnxruntime device runs; the CPU fuses the pairs into int8 kernels.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from PIL import Image

from portraitize.contract import ModelInfo, images_to_tensor, tensor_to_images
from portraitize.files import write_atomically
from portraitize.session import load_model

from .data import find_images, read_rgb
from .evaluate_upscaler import psnr
from .export import ExportError

CROP = 72  # input side of a calibration crop (the converter's tiles are 256 + margins: the scales are per tensor)
CHECKS = 16  # crops the copy is compared with the float model on, drawn apart from the calibration ones


def reduced_crops(folder: Path, factor: int, count: int, seed: int) -> list[np.ndarray]:
    """`count` random squares of CROP * factor px from the paintings, reduced by `factor`: uint8 RGB inputs."""
    paths = find_images(folder) if folder.is_dir() else []
    if not paths:
        raise FileNotFoundError(f"{folder}: no images to calibrate on")
    rng = np.random.default_rng(seed)
    side = CROP * factor
    crops = []
    for index in rng.choice(len(paths), size=count, replace=count > len(paths)):
        image = read_rgb(paths[index])
        if min(image.size) < side:
            image = image.resize((max(side, image.width), max(side, image.height)), Image.Resampling.LANCZOS)
        left, top = rng.integers(0, image.width - side + 1), rng.integers(0, image.height - side + 1)
        square = image.crop((left, top, left + side, top + side))
        crops.append(np.asarray(square.resize((CROP, CROP), Image.Resampling.BICUBIC, reducing_gap=None)))
    return crops


def sub_pixel_convolutions(graph: onnx.GraphProto) -> list[str]:
    """The convolutions that feed a pixel shuffle (DepthToSpace). They stay in float: their rounding error differs
    between the factor x factor output positions each channel paints, and shows as a fine grid at 100%. (An
    upscaler that enlarges otherwise, e.g. by a Resize, has none, and no such grid to fear.)"""
    shuffled = {node.input[0] for node in graph.node if node.op_type == "DepthToSpace"}
    return [node.name for node in graph.node if node.op_type == "Conv" and node.output[0] in shuffled]


def quantize_upscaler(
    model: Path, out: Path, paintings: Path, crops: int = 64, min_psnr: float = 38.0, quality: str | None = None
) -> float:
    """Write the int8 copy of `model` to `out` if its output's PSNR to the float model's is at least `min_psnr` dB
    on every check crop; returns the worst PSNR."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    float_model = load_model(model, "cpu", kind="upscaler")
    info = float_model.info
    if any(node.op_type == "DequantizeLinear" for node in onnx.load(str(model)).graph.node):
        raise ExportError(f"{model} is already quantized; give the float model")
    calibration = reduced_crops(paintings, info.factor, crops, seed=0)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(images_to_tensor([crop], info) for crop in calibration)

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {info.input_name: batch}

    with tempfile.TemporaryDirectory() as temp:
        prepared, quantized = Path(temp) / "prepared.onnx", Path(temp) / "int8.onnx"
        # The upscaler's spatial sizes are symbolic: onnx's own shape inference is enough for quantization.
        quant_pre_process(str(model), str(prepared), skip_symbolic_shape=True)
        graph = onnx.load(str(prepared)).graph
        quantize_static(
            str(prepared),
            str(quantized),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=sub_pixel_convolutions(graph),
        )
        proto = onnx.load(str(quantized))
    renamed = ModelInfo.from_metadata(
        {
            **info.to_metadata(),
            "name": out.stem,
            "description": f"{info.description} int8 for the CPU.",
            **({"quality": quality} if quality is not None else {}),
        }
    )
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, renamed.to_metadata())
    data = proto.SerializeToString()

    int8_model = load_model(data, "cpu", kind="upscaler")
    scores = []
    for crop in reduced_crops(paintings, info.factor, CHECKS, seed=1):
        expected = tensor_to_images(float_model.run(images_to_tensor([crop], info)), info)[0]
        actual = tensor_to_images(int8_model.run(images_to_tensor([crop], info)), info)[0]
        scores.append(psnr(actual, expected))
    worst = float(min(scores))
    if worst < min_psnr:
        raise ExportError(
            f"the int8 copy's PSNR to the float model is {worst:.1f} dB, under the required {min_psnr:g}; "
            f"{out} not written"
        )
    write_atomically(out, lambda file: file.write(data))
    return worst
