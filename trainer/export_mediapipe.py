"""MediaPipe's person mask and face landmarks -> `person-mask.onnx` and `face-landmarks.onnx`.

The models ship as TFLite files inside the `mediapipe` wheel (Apache-2.0). tflite2onnx cannot convert them
(HARD_SWISH, MediaPipe's custom Convolution2DTransposeBias), so each network is rebuilt in torch
(`models/selfie_segmentation.py`, `models/face_landmarks.py`) with the weights read from the TFLite file, and
exported like the trainer's own models. A file is written (atomically) only when onnxruntime on it gives what the
TFLite interpreter gives on the original, on real photos prepared as the converter prepares them (`person.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from portraitize.contract import ModelInfo, images_to_tensor
from portraitize.files import write_atomically
from portraitize.person import Crop
from portraitize.text import first_line

from .data import read_rgb
from .export import ExportError, onnx_from_torch
from .models.face_landmarks import POINTS, FaceLandmarks, load_face_landmarks
from .models.selfie_segmentation import load_selfie_segmentation

LICENCE = (
    "Apache-2.0, Copyright The MediaPipe Authors (Google); converted from TFLite to ONNX by portraitize (weights "
    "dequantised from float16 to float32), see LICENSE-mediapipe.txt beside the model"
)
INTERPRETER_HINT = "pip install ai-edge-litert (the TFLite interpreter the export checks against)"


class FaceLandmarksGraph(nn.Module):
    """The network with MediaPipe's post-processing of the presence: its logit through a sigmoid."""

    def __init__(self, network: FaceLandmarks):
        super().__init__()
        self.network = network

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        points, presence = self.network(image)
        return points, torch.sigmoid(presence)


@dataclasses.dataclass(frozen=True)
class Spec:
    """One MediaPipe model: where it is in the wheel, what it becomes."""

    name: str  # the ONNX file's stem
    wheel_path: str
    kind: str
    native_size: int
    description: str
    build: Callable[[bytes], nn.Module]  # the TFLite file's bytes -> the module to export


SPECS = {
    "person-mask": Spec(
        "person-mask",
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "person_mask",
        256,
        "Person mask: MediaPipe's selfie segmentation (the general 256 x 256 model; a MobileNetV3-like encoder "
        "and decoder), the probability that each pixel shows a person.",
        load_selfie_segmentation,
    ),
    "face-landmarks": Spec(
        "face-landmarks",
        "mediapipe/modules/face_landmark/face_landmark.tflite",
        "face_landmarks",
        192,
        f"Face landmarks: MediaPipe's Face Mesh model, {POINTS} points (x, y, z) of a face in a 192 x 192 crop "
        "and the probability that the crop holds a face.",
        lambda tflite: FaceLandmarksGraph(load_face_landmarks(tflite)),
    ),
}


@dataclasses.dataclass
class Source:
    data: bytes
    origin: str  # where it came from, for the model's metadata and card

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _check_file(path: Path) -> None:
    """A pipe or a device named as a model would be waited on, or read, for ever."""
    if not Path(path).exists():
        raise ExportError(f"{path}: no such file")
    if not Path(path).is_file():
        raise ExportError(f"{path}: not a file (a folder, a pipe or a device)")


def read_sources(wheel: Path | None = None, tflites: list[Path] | None = None) -> dict[str, Source]:
    """The TFLite files of the models named in SPECS: from a mediapipe wheel (read in place, never unpacked) and/or
    given one by one (recognised by their file names, which win over the wheel's)."""
    sources: dict[str, Source] = {}
    for path in [*([wheel] if wheel is not None else []), *(tflites or [])]:
        _check_file(path)
    if wheel is not None:
        if not zipfile.is_zipfile(wheel):
            raise ExportError(f"{wheel}: not a wheel (zip) file")
        version = re.match(r"mediapipe-([^-]+)-", Path(wheel).name)
        label = f"mediapipe {version.group(1)} wheel" if version else Path(wheel).name
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            for spec in SPECS.values():
                if spec.wheel_path in names:
                    sources[spec.name] = Source(archive.read(spec.wheel_path), f"{label}, {spec.wheel_path}")
    for path in tflites or []:
        spec = next((spec for spec in SPECS.values() if Path(spec.wheel_path).name == Path(path).name), None)
        if spec is None:
            wanted = ", ".join(Path(spec.wheel_path).name for spec in SPECS.values())
            raise ExportError(f"{path}: not one of the MediaPipe models this exports ({wanted})")
        sources[spec.name] = Source(Path(path).read_bytes(), Path(path).name)
    missing = [f"{spec.name} ({spec.wheel_path})" for spec in SPECS.values() if spec.name not in sources]
    if missing:
        raise ExportError(
            f"not found: {', '.join(missing)}; pass a mediapipe wheel that has them (e.g. `pip download "
            "mediapipe==0.10.14 --no-deps`; 1.2.2 no longer ships them) or the .tflite files"
        )
    return sources


def model_info(spec: Spec, source: Source, quality: str = "") -> ModelInfo:
    return ModelInfo(
        kind=spec.kind,
        name=spec.name,
        description=spec.description,
        family="mediapipe",
        native_size=spec.native_size,
        value_range="0,1",
        training_summary=f"pretrained by Google (MediaPipe), not trained here: {source.origin} (sha256 "
        f"{source.sha256[:16]}...), rebuilt in torch and exported",
        data_licence=LICENCE,
        quality=quality,
    )


def to_onnx(module: nn.Module, info: ModelInfo) -> onnx.ModelProto:
    """Dynamic batch; the image's size is the model's own (native_size)."""
    example = torch.zeros(2, 3, info.native_size, info.native_size)
    shapes = ({0: torch.export.Dim("batch", min=1, max=1024)},)
    model = onnx_from_torch(module.eval(), (example,), [info.input_name], shapes, info)
    # The exporter notes each node's Python stack (this machine's paths): up to a quarter of the file, and of no
    # use to a user.
    for node in model.graph.node:
        del node.metadata_props[:]
    return prelu_as_relu(model)


def prelu_as_relu(model: onnx.ModelProto) -> onnx.ModelProto:
    """Each PReLU(x, slope) written as Relu(x) + slope * Min(x, 0): the same numbers (one of the two terms is an
    exact zero), which onnxruntime's CPU kernels run about 1.5x faster over the whole face-landmark network (its
    PReLU is a slow broadcast, and it leaves the blocked layout of the convolutions around it)."""
    graph = model.graph
    if not any(node.op_type == "PRelu" for node in graph.node):
        return model
    zero = "prelu_zero"
    graph.initializer.append(onnx.numpy_helper.from_array(np.array(0, np.float32), zero))
    nodes = []
    for index, node in enumerate(graph.node):
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        (x, slope), (out,) = node.input, node.output
        stem = f"prelu{index}"
        nodes += [
            onnx.helper.make_node("Relu", [x], [f"{stem}_positive"], name=f"{stem}_relu"),
            onnx.helper.make_node("Min", [x, zero], [f"{stem}_negative"], name=f"{stem}_min"),
            onnx.helper.make_node("Mul", [f"{stem}_negative", slope], [f"{stem}_scaled"], name=f"{stem}_mul"),
            onnx.helper.make_node("Add", [f"{stem}_positive", f"{stem}_scaled"], [out], name=f"{stem}_add"),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def tflite_interpreter(model: bytes):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            raise ExportError(f"the parity check needs a TFLite interpreter: {INTERPRETER_HINT}") from None
    interpreter = Interpreter(model_content=model)
    interpreter.allocate_tensors()
    return interpreter


def run_tflite(model: bytes, batch: np.ndarray) -> list[np.ndarray]:
    """The TFLite interpreter on [N, 3, S, S] (one image at a time, as MediaPipe runs it): its outputs, each
    with the images stacked, in the order the ONNX graph gives them."""
    interpreter = tflite_interpreter(model)
    (entry,) = interpreter.get_input_details()
    outputs = sorted(interpreter.get_output_details(), key=lambda detail: -int(np.prod(detail["shape"])))
    results: list[list[np.ndarray]] = [[] for _ in outputs]
    for image in batch:
        interpreter.set_tensor(entry["index"], np.ascontiguousarray(image.transpose(1, 2, 0)[None]))
        interpreter.invoke()
        for found, detail in zip(results, outputs):
            found.append(interpreter.get_tensor(detail["index"])[0].copy())
    return [np.stack(found) for found in results]


def as_contract(spec: Spec, tflite_outputs: list[np.ndarray]) -> list[np.ndarray]:
    """TFLite's raw outputs in the ONNX file's layout: NHWC mask -> [N, 1, S, S]; points [N, 468, 3], sigmoid(logit)."""
    if spec.kind == "person_mask":
        return [tflite_outputs[0].transpose(0, 3, 1, 2)]
    points, logit = tflite_outputs
    return [points.reshape(len(points), POINTS, 3), 1.0 / (1.0 + np.exp(-logit.reshape(-1)))]


def parity_inputs(spec: Spec, info: ModelInfo, photos: list[np.ndarray], find_face: Callable | None) -> np.ndarray:
    """The photos as the converter feeds the model: the whole photo resized (mask); the crop around the main face
    and, so that the presence is checked away from 1 too, one of the photo's top-left quarter (landmarks; photos
    without a face found are left out)."""
    size = spec.native_size
    if spec.kind == "person_mask":
        from PIL import Image

        images = [np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR)) for rgb in photos]
    else:
        images = []
        for rgb in photos:
            face = find_face(rgb) if find_face else None
            if face is not None:
                height, width = rgb.shape[:2]
                corner = Crop(width / 4, height / 4, min(width, height) / 2)
                images += [Crop.around_face(face).cut(rgb, size), corner.cut(rgb, size)]
    if not images:
        raise ExportError(f"{spec.name}: no photo to check parity on (landmarks need photos with a face)")
    return images_to_tensor(images, info)


@dataclasses.dataclass
class Parity:
    images: int
    onnx_vs_tflite: list[float]  # max |difference| per output: mask; or points (crop pixels), presence
    torch_vs_tflite: list[float]

    def summary(self, spec: Spec) -> str:
        if spec.kind == "person_mask":
            return f"mask within {self.onnx_vs_tflite[0]:.1e} of MediaPipe's TFLite model on {self.images} photos"
        return (
            f"points within {self.onnx_vs_tflite[0]:.1e} px (of the {spec.native_size} px crop), presence within "
            f"{self.onnx_vs_tflite[1]:.1e} of MediaPipe's TFLite model on {self.images} crops of photos (half of "
            "them around a face)"
        )


def measure_parity(
    spec: Spec, info: ModelInfo, model: bytes, module: nn.Module, tflite: bytes, inputs: np.ndarray
) -> Parity:
    """onnxruntime on `model` (all inputs in one batch) and the torch module against the TFLite interpreter."""
    import onnxruntime as ort

    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    actual = session.run(info.output_names, {info.input_name: inputs})
    with torch.no_grad():
        own = module(torch.from_numpy(inputs))
    own = [tensor.numpy() for tensor in (own if isinstance(own, tuple) else (own,))]
    expected = as_contract(spec, run_tflite(tflite, inputs))
    for name, one, other in zip(info.output_names, actual, expected):
        if one.shape != other.shape:
            raise ExportError(f"{spec.name}: onnxruntime's {name} has shape {one.shape}, TFLite's {other.shape}")
    return Parity(
        len(inputs),
        [float(np.abs(one - other).max()) for one, other in zip(actual, expected)],
        [float(np.abs(one - other).max()) for one, other in zip(own, expected)],
    )


def _rebuilt(spec: Spec, source: Source) -> torch.nn.Module:
    """The model rebuilt in torch from its TFLite file; ExportError naming the file where that is cut short, corrupt
    or another model (a file under this model's name)."""
    try:
        return spec.build(source.data).eval()
    except (ValueError, IndexError, KeyError, struct.error) as error:  # tflite_file.TFLiteError is a ValueError
        raise ExportError(f"{source.origin}: not a readable {spec.name} TFLite model ({first_line(error)})") from None


def export_mediapipe(
    sources: dict[str, Source],
    out_dir: Path,
    photos: list[Path],
    find_face: Callable | None,
    mask_tolerance: float = 1e-3,
    point_tolerance: float = 0.05,
) -> dict[str, Parity]:
    """Write `person-mask.onnx` and `face-landmarks.onnx` into `out_dir`, each only if onnxruntime on it matches the
    TFLite interpreter on `photos` (mask and presence within `mask_tolerance`, points within `point_tolerance`
    crop pixels). `find_face`: uint8 RGB -> the main `Face` or None (the converter's face finder)."""
    if not photos:
        raise ExportError("the parity check needs at least one photo")
    modules = {name: _rebuilt(SPECS[name], source) for name, source in sources.items()}
    pixels = [np.asarray(read_rgb(photo)) for photo in photos]
    results = {}
    for name, source in sources.items():
        spec, module = SPECS[name], modules[name]
        info = model_info(spec, source)
        inputs = parity_inputs(spec, info, pixels, find_face)
        model = to_onnx(module, info)
        parity = measure_parity(spec, info, model.SerializeToString(), module, source.data, inputs)
        tolerances = [mask_tolerance] if spec.kind == "person_mask" else [point_tolerance, mask_tolerance]
        for output, error, tolerance in zip(info.output_names, parity.onnx_vs_tflite, tolerances):
            if not error <= tolerance:
                raise ExportError(
                    f"{name}: onnxruntime's {output} differs from the TFLite interpreter's by {error:.2e} "
                    f"(> {tolerance:g}); {out_dir / (name + '.onnx')} not written"
                )
        # The measured parity goes into the file's metadata: the file says how far it is from MediaPipe's.
        onnx.helper.set_model_props(model, model_info(spec, source, parity.summary(spec)).to_metadata())
        data = model.SerializeToString()
        write_atomically(out_dir / f"{name}.onnx", lambda file, data=data: file.write(data))
        results[name] = parity
    return results
