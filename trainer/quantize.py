"""An int8 copy of an exported upscaler or translator, for the CPU (onnxruntime static quantization).

On a CPU with 8-bit dot-product instructions (VNNI) convolutions run faster in int8: the bundled upscaler's
network 1.5x (its sub-pixel layer kept float, see `sub_pixel_convolutions`), the default translator's 1.5x (its
image head kept float, see `narrow_convolutions`). Weights are quantized per output channel; activations get one
scale each, calibrated on inputs like the ones `convert` gives the model (`INPUTS`: an upscaler's crops of
paintings reduced by its factor, a translator's photos at their painting size). The copy
is written (atomically) only when its output's PSNR to the float model's is at least `min_psnr` dB on every one
of CHECKS inputs apart from the calibration ones, so quantization cannot silently cost the quality its card
reports. The format is QDQ (quantize / dequantize pairs around float operators), which every onnxruntime device
runs; the CPU fuses the pairs into int8 kernels.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from PIL import Image

from portraitize.contract import ModelInfo, images_to_tensor, tensor_to_images
from portraitize.files import write_atomically
from portraitize.session import ModelSession, load_model

from .data import find_images, read_rgb
from .evaluate_upscaler import psnr
from .export import ExportError

CROP = 72  # input side of a calibration crop (the converter's tiles are 256 + margins: the scales are per tensor)
CHECKS = 16  # inputs the copy is compared with the float model on, drawn apart from the calibration ones
NARROW = 4  # output channels of a convolution kept float (narrow_convolutions)


def _images(folder: Path) -> list[Path]:
    paths = find_images(folder) if folder.is_dir() else []
    if not paths:
        raise FileNotFoundError(f"{folder}: no images to calibrate on")
    return paths


def reduced_crops(folder: Path, factor: int, count: int, seed: int) -> list[np.ndarray]:
    """`count` random squares of CROP * factor px from the paintings, reduced by `factor`: uint8 RGB inputs."""
    paths = _images(folder)
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


def upscaler_inputs(model: ModelSession, folder: Path, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(calibration, check) inputs of an upscaler: reduced crops of paintings, the two drawn apart."""
    factor = model.info.factor
    return reduced_crops(folder, factor, count, seed=0), reduced_crops(folder, factor, CHECKS, seed=1)


def translator_inputs(model: ModelSession, folder: Path, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(calibration, check) inputs of a translator: photos as `convert` gives them to it (the paint chain's
    locate and plan: the main face at the model's face size), the check photos other photos than the
    calibration ones."""
    from portraitize.catalogue import resolve_optional
    from portraitize.chain import PaintChain
    from portraitize.images import Photo
    from portraitize.model_set import ModelSet, load_face_finder
    from portraitize.translate import PaintSettings

    paths = _images(folder)
    order = np.random.default_rng(0).permutation(len(paths))
    if len(paths) < count + CHECKS:
        raise ValueError(f"{folder}: {len(paths)} photos, {count} to calibrate on and {CHECKS} to check need more")
    info = model.info
    settings = PaintSettings(max_size=info.native_size, face_size=info.face_size)
    detector = resolve_optional(None, "face_detector") if settings.wants_faces else None
    chain = PaintChain(ModelSet(model, faces=load_face_finder(detector) if detector else None), settings)

    def prepared(index: int) -> np.ndarray:
        rgb = np.asarray(read_rgb(paths[index]))
        return chain.prepare(Photo(rgb=rgb, alpha=None, icc_profile=None, exif=None)).model_rgb

    return [prepared(index) for index in order[:count]], [prepared(index) for index in order[count : count + CHECKS]]


INPUTS = {"upscaler": upscaler_inputs, "translator": translator_inputs}


def sub_pixel_convolutions(graph: onnx.GraphProto) -> list[str]:
    """The convolutions that feed a pixel shuffle (DepthToSpace). They stay in float: their rounding error differs
    between the factor x factor output positions each channel paints, and shows as a fine grid at 100%. (A
    model that enlarges otherwise, e.g. by a Resize, has none, and no such grid to fear.)"""
    shuffled = {node.input[0] for node in graph.node if node.op_type == "DepthToSpace"}
    return [node.name for node in graph.node if node.op_type == "Conv" and node.output[0] in shuffled]


def is_quantized(graph: onnx.GraphProto) -> bool:
    """Whether the graph holds int8 weights (a QDQ copy, as `quantize` writes them)."""
    return any(node.op_type == "DequantizeLinear" for node in graph.node)


def narrow_convolutions(graph: onnx.GraphProto) -> list[str]:
    """The convolutions with at most NARROW output channels (a translator's image head: 32 channels to RGB by a 7x7
    kernel). They stay in float: onnxruntime's int8 convolution unfolds its input into one column a kernel tap and
    input channel, for a product only as wide as its output channels, so for three channels it handles a 448 px
    picture's 7 x 7 x 32 unfolded copy (about 300 MB) to little purpose. Quantized, the head alone took 260 ms of a
    process's first 390 ms translator call (touching that memory for the first time) and 63 ms of each later one."""
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "Conv" and node.input[1] in initializers and initializers[node.input[1]].dims[0] <= NARROW
    ]


def _output(model: ModelSession, rgb: np.ndarray) -> np.ndarray:
    return tensor_to_images(model.run(images_to_tensor([rgb], model.info, model.min_side)), model.info)[0]


def quantize(
    model: Path, out: Path, images: Path, count: int = 64, min_psnr: float = 38.0, quality: str | None = None
) -> float:
    """Write the int8 copy of `model` (an upscaler or a translator) to `out`, calibrated on `count` inputs made
    from the images in `images` (paintings for an upscaler, photos for a translator), if its output's PSNR to the
    float model's is at least `min_psnr` dB on every check input; returns the worst PSNR."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    float_model = load_model(model, "cpu")
    info = float_model.info
    if info.kind not in INPUTS:
        raise ExportError(f"{model} is a {info.kind}; int8 copies are made of: {', '.join(INPUTS)}")
    if is_quantized(onnx.load(str(model)).graph):
        raise ExportError(f"{model} is already quantized; give the float model")
    calibration, checks = INPUTS[info.kind](float_model, images, count)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(images_to_tensor([rgb], info, float_model.min_side) for rgb in calibration)

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {info.input_name: batch}

    with tempfile.TemporaryDirectory() as temp:
        prepared, quantized = Path(temp) / "prepared.onnx", Path(temp) / "int8.onnx"
        # The spatial sizes are symbolic: onnx's own shape inference is enough for quantization.
        quant_pre_process(str(model), str(prepared), skip_symbolic_shape=True)
        prepared_model = onnx.load(str(prepared))
        graph = prepared_model.graph
        # Nodes are left out of quantization by name, and an unnamed one left out would leave out every unnamed node
        for index, node in enumerate(graph.node):
            node.name = node.name or f"portraitize_node_{index}"
        onnx.save(prepared_model, str(prepared))
        quantize_static(
            str(prepared),
            str(quantized),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=sub_pixel_convolutions(graph) + narrow_convolutions(graph),
        )
        proto = onnx.load(str(quantized))
    if not is_quantized(proto.graph):
        raise ExportError(f"no convolution of {model} could be quantized; {out} not written")
    renamed = ModelInfo.from_metadata(
        {
            **info.to_metadata(),
            "name": out.stem,
            "description": f"{info.description.rstrip('.')}; int8 for the CPU.",
            **({"quality": quality} if quality is not None else {}),
        }
    )
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, renamed.to_metadata())
    data = proto.SerializeToString()

    int8_model = load_model(data, "cpu", kind=info.kind)
    worst = float(min(psnr(_output(int8_model, rgb), _output(float_model, rgb)) for rgb in checks))
    if worst < min_psnr:
        raise ExportError(
            f"the int8 copy's PSNR to the float model is {worst:.1f} dB, under the required {min_psnr:g}; "
            f"{out} not written"
        )
    write_atomically(out, lambda file: file.write(data))
    return worst
