"""Checkpoint -> one self-contained ONNX file with the contract metadata, checked against torch.

The file is written (atomically) only once onnxruntime reproduces torch within the tolerance on random inputs
(including a non-square size), so a failed export never leaves a model behind.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from portraitize.contract import ModelInfo, images_to_tensor, round_up
from portraitize.files import write_atomically

from .checkpoint import load_checkpoint, training_summary
from .recipes import RECIPES, ExportSpec, build_recipe

OPSET = 18
FP16_TOLERANCE = 3e-2  # in the model's value range: half precision keeps about three decimal digits
log = logging.getLogger(__name__)
logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # "torchvision is not installed" notes are not ours


class ExportError(RuntimeError):
    pass


def load_onnx(path: Path, data: bytes | None = None) -> onnx.ModelProto:
    """An .onnx file a user named (or its `data`, already read), parsed; ExportError naming it where it is not one
    (onnx's parser names none)."""
    from google.protobuf.message import DecodeError

    try:
        return onnx.load_from_string(data) if data is not None else onnx.load(str(path))
    except DecodeError:
        raise ExportError(f"{path}: not an .onnx model (it cannot be parsed)") from None


def load_for_inference(checkpoint: Path):
    """The recipe of a checkpoint, networks loaded, on CPU, in eval mode; plus the raw checkpoint state."""
    state = load_checkpoint(checkpoint)
    recipe_class = RECIPES[state["recipe"]]
    recipe = build_recipe(
        state["recipe"], recipe_class.Config(**state["recipe_config"]), torch.device("cpu"), training=False
    )
    nets = state["recipe_state"]["nets"]
    # Extra state too: some recipes export what it holds (FastGAN's moving average of the generator).
    recipe.load_state_dict(
        {
            "nets": {name: weights for name, weights in nets.items() if name in recipe.nets},
            "extra": state["recipe_state"].get("extra", {}),
        }
    )
    for net in recipe.nets.values():
        net.eval()
    return recipe, state


def export_checkpoint(
    checkpoint: Path,
    out: Path,
    part: str | None = None,
    description: str | None = None,
    fp16: bool = False,
    tolerance: float = 1e-3,
    native_size: int | None = None,
    quality: str = "",
    face_size: int = 0,
    data_licence: str | None = None,
) -> ModelInfo:
    recipe, state = load_for_inference(Path(checkpoint))
    specs = recipe.export_specs()
    if part is not None and part not in specs:
        raise ExportError(f"--part {part!r}: this {state['recipe']} checkpoint has {', '.join(specs)}")
    spec = specs[part or next(iter(specs))]
    if native_size is not None:
        if spec.kind != "translator":
            raise ExportError("--native-size applies to translators only (a sampler's size is its output size)")
        spec = dataclasses.replace(spec, native_size=native_size)
    if face_size:
        if spec.kind != "translator":
            raise ExportError("--face-size applies to translators only")
        spec = dataclasses.replace(spec, face_size=face_size)
    info = spec.info(
        name=out.stem,
        description=description or recipe.description,
        family=state["recipe"],
        training_summary=training_summary(state),
        data_licence=data_licence or state["loop_config"].get("data_licence") or "not stated",
        quality=quality,
    )
    # Checked in memory first: a model that fails parity never reaches the disk.
    model_bytes = to_onnx(spec, info).SerializeToString()
    error = parity_error(model_bytes, spec, info)
    if error > tolerance:
        raise ExportError(f"onnxruntime differs from torch by {error:.2e} (> {tolerance:g}); {out} not written")
    write_atomically(out, lambda file: file.write(model_bytes))
    log.info(
        "exported %s (%s, %.1f MB), max |onnxruntime - torch| = %.1e", out, info.kind, out.stat().st_size / 1e6, error
    )
    if fp16:
        write_fp16_copy(out, spec, info)
    return info


def to_onnx(spec: ExportSpec, info: ModelInfo) -> onnx.ModelProto:
    """torch.export-based ONNX with dynamic batch (and height/width for translators) and our metadata."""
    module = spec.module.eval().cpu()
    example = spec.example.cpu()
    batch = torch.export.Dim("batch", min=1, max=1024)
    if info.kind in ("translator", "upscaler"):
        multiple = info.size_multiple
        # min 2: torch.export specialises sizes 0 and 1, so they cannot be part of a dynamic range.
        height = torch.export.Dim("height_blocks", min=2, max=16384 // multiple)
        width = torch.export.Dim("width_blocks", min=2, max=16384 // multiple)
        shapes = (
            {0: batch, 2: height * multiple, 3: width * multiple} if multiple > 1 else {0: batch, 2: height, 3: width}
        )
    else:
        shapes = {0: batch}
    return onnx_from_torch(module, (example,), [info.input_name], (shapes,), info)


def onnx_from_torch(
    module: torch.nn.Module, examples: tuple, input_names: list[str], dynamic_shapes: tuple, info: ModelInfo
) -> onnx.ModelProto:
    """One torch.export-based ONNX graph from `module` on `examples`, with the contract metadata, checked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            module,
            examples,
            None,
            input_names=input_names,
            output_names=info.output_names,
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            dynamic_shapes=dynamic_shapes,
            verbose=False,
        )
    model = program.model_proto
    onnx.helper.set_model_props(model, info.to_metadata())
    onnx.checker.check_model(model)
    return model


def parity_inputs(spec: ExportSpec, info: ModelInfo) -> list[np.ndarray]:
    """Random inputs the converter could send: two batch sizes, and a non-square, non-multiple image padded."""
    rng = np.random.default_rng(0)
    if info.kind == "sampler":
        return [rng.standard_normal((count, info.latent_size)).astype(np.float32) for count in (1, 3)]
    size = info.native_size if info.kind == "translator" else info.native_size // info.factor
    odd = (round_up(size * 3 // 5, 1) + 1, size - 3)  # neither square nor a multiple: padded like the converter does
    images = [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(2)]
    return [images_to_tensor(images, info), images_to_tensor([rng.integers(0, 256, (*odd, 3), dtype=np.uint8)], info)]


def parity_error(model: bytes, spec: ExportSpec, info: ModelInfo) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    worst = 0.0
    for inputs in parity_inputs(spec, info):
        with torch.no_grad():
            expected = spec.module(torch.from_numpy(inputs)).float().numpy()
        (actual,) = session.run([info.output_name], {info.input_name: inputs})
        if actual.shape != expected.shape:
            raise ExportError(f"onnxruntime gave shape {actual.shape}, torch {expected.shape}")
        worst = max(worst, float(np.abs(actual - expected).max()))
    return worst


def write_fp16_copy(out: Path, spec: ExportSpec, info: ModelInfo, tolerance: float = FP16_TOLERANCE) -> Path:
    """Half-precision weights and activations with float32 inputs/outputs, so the converter needs no change;
    written, like every export, only once onnxruntime reproduces torch within `tolerance` on the same inputs."""
    import onnx_ir  # installed with onnxscript
    from onnxruntime.transformers.float16 import convert_float_to_float16

    half = convert_float_to_float16(onnx.load(out), keep_io_types=True)
    # The converter appends its input casts at the end of the node list; ONNX wants nodes in order.
    graph = onnx_ir.from_proto(half)
    graph.graph.sort()
    half = onnx_ir.to_proto(graph)
    target = out.with_name(f"{out.stem}-fp16.onnx")
    metadata = {entry.key: entry.value for entry in half.metadata_props}
    onnx.helper.set_model_props(half, {**metadata, "name": target.stem})
    onnx.checker.check_model(half)
    data = half.SerializeToString()
    error = parity_error(data, spec, info)
    if error > tolerance:
        raise ExportError(f"the fp16 copy differs from torch by {error:.2e} (> {tolerance:g}); {target} not written")
    write_atomically(target, lambda file: file.write(data))
    log.info("wrote %s (%.1f MB), max |onnxruntime fp16 - torch| = %.1e", target, len(data) / 1e6, error)
    return target
