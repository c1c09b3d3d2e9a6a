"""--init-from an exported model: a network's weights read back from the ONNX file the trainer wrote.

A shipped model often outlives its run's checkpoints (they stay beside the repository, on one machine), yet going
on from it is cheaper than training again. The exporter keeps most weights under their torch names; what it
folds into constants is found by the graph's order or shape: a spectral-normed convolution's weight divided by
its sigma (the n-th convolution in the graph is the n-th the network calls) and a noise map times its learned
strength (the strength is that over the fixed map, which is seeded). Each spectral norm's power-iteration vectors
are set so that the sigma it divides by is the file's own (the weight the file convolves with, read off the
graph, over the un-normed weight); training refines them from there, as it did before the export. The result
is trusted only once it reproduces the file as closely as an export's parity check asks, or nothing is loaded.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from portraitize.contract import ModelInfo

from .export import parity_error
from .quantize import is_quantized
from .recipes.base import ExportSpec

TOLERANCE = 1e-3  # as an export's parity check
ORIGINAL = ".parametrizations.weight.original"  # a spectral-normed weight before its division by sigma


class ExportedWeightsError(ValueError):
    """An ONNX file whose weights do not rebuild this recipe's network."""


def load_exported(path: Path, spec: ExportSpec, family: str) -> tuple[ModelInfo, dict[str, torch.Tensor]]:
    """The contract of the exported model at `path`, made by the recipe `family`, and the weights (a state dict
    of `spec.module`, the part that recipe exports) that reproduce it; raises ExportedWeightsError naming what
    does not fit. `spec.module` itself is left as it was: the weights are found and checked on a CPU copy."""
    from .export import load_onnx

    model_bytes = Path(path).read_bytes()
    model = load_onnx(path, model_bytes)
    info = ModelInfo.from_metadata({prop.key: prop.value for prop in model.metadata_props})
    _check_contract(path, info, spec, family)
    constants = {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    if any(array.dtype == np.float16 for array in constants.values()):
        raise ExportedWeightsError(f"{path}: a half-precision copy; start from the float32 file it was made from")
    if is_quantized(model.graph):
        raise ExportedWeightsError(f"{path}: an int8 copy, whose weights cannot be read back; start from a checkpoint")
    module = copy.deepcopy(spec.module).cpu()
    copy_spec = dataclasses.replace(spec, module=module, example=spec.example.cpu())
    state = module.state_dict()
    for key in state:
        if key in constants and tuple(constants[key].shape) == tuple(state[key].shape):
            state[key] = torch.from_numpy(constants[key].copy())
    folded = sorted(
        key.removesuffix(".running_mean") for key in state if key.endswith(".running_mean") and key not in constants
    )
    if folded:
        # The exporter's optimiser folds a batch norm into the convolution before it where that weight is a
        # constant (small networks): its statistics and its scale are then one product, not to be taken apart.
        raise ExportedWeightsError(f"{path}: its batch norms ({', '.join(folded)}) were folded into convolutions")
    unnamed = {name: array for name, array in constants.items() if name not in state}
    try:
        for key in [key for key in state if key.endswith(".strength")]:
            fixed = state[key.removesuffix("strength") + "fixed"]
            baked = torch.from_numpy(_only_of_shape(unnamed, fixed.shape, key).copy())
            state[key] = ((baked * fixed).sum() / fixed.pow(2).sum()).reshape(state[key].shape)  # least squares
        weights = _convolved_weights(path, model_bytes, model, constants, module, copy_spec.example)
        for name, (layer, convolved) in weights.items():
            original = state[name + ORIGINAL] if name + ORIGINAL in constants else convolved
            state[name + ORIGINAL] = original
            state[f"{name}.parametrizations.weight.0._u"], state[f"{name}.parametrizations.weight.0._v"] = _vectors(
                original, convolved, layer.parametrizations.weight[0].dim
            )
        module.load_state_dict(state)
        difference = parity_error(model_bytes, copy_spec, info)
    except ExportedWeightsError:
        raise
    except (RuntimeError, ValueError) as error:  # shapes that do not fit, or onnxruntime refusing the probe
        raise ExportedWeightsError(f"{path}: does not fit this network ({str(error).splitlines()[0]})") from None
    if difference > TOLERANCE:
        raise ExportedWeightsError(
            f"{path}: its weights rebuild a network that differs from the file by {difference:.2e}"
        )
    return info, module.state_dict()


def _check_contract(path: Path, info: ModelInfo, spec: ExportSpec, family: str) -> None:
    """What the file's metadata says against what these options build: the clearest refusal comes first."""
    if info.family != family:
        raise ExportedWeightsError(f"{path}: a {info.family} model, not {family}")
    for field, own in (("kind", spec.kind), ("native_size", spec.native_size), ("latent_size", spec.latent_size)):
        if getattr(info, field) != own:
            raise ExportedWeightsError(f"{path}: its {field} is {getattr(info, field)}, these options' {own}")


def _only_of_shape(constants: dict[str, np.ndarray], shape, key: str) -> np.ndarray:
    matches = [array for array in constants.values() if tuple(array.shape) == tuple(shape)]
    if len(matches) != 1:
        raise ExportedWeightsError(
            f"{key}: {len(matches)} unnamed weights of shape {tuple(shape)} in the file, not one"
        )
    return matches[0]


def _convolved_weights(
    path: Path, model_bytes: bytes, model: onnx.ModelProto, constants: dict, module: nn.Module, example: torch.Tensor
) -> dict:
    """For each spectral-normed convolution of `module`, by name: the layer, and the weight the file convolves
    with (one of its `constants`, or what the graph computes from the un-normed weight), as a tensor. The graph's
    convolutions run in the order the module calls its own, so the n-th Conv node is the n-th convolution called."""
    import onnxruntime as ort

    called = []
    hooks = [
        layer.register_forward_hook(lambda layer, inputs, output, name=name: called.append((name, layer)))
        for name, layer in module.named_modules()
        if isinstance(layer, nn.modules.conv._ConvNd)
    ]
    try:
        with torch.no_grad():
            module.eval()(torch.zeros_like(example))
    finally:
        for hook in hooks:
            hook.remove()
    nodes = [node for node in model.graph.node if node.op_type in ("Conv", "ConvTranspose")]
    if len(nodes) != len(called):
        raise ExportedWeightsError(f"{len(nodes)} convolutions in the file, {len(called)} in this network")
    normed = [
        (name, layer, node.input[1]) for (name, layer), node in zip(called, nodes) if hasattr(layer, "parametrizations")
    ]
    # The computed weights are read by running the graph with them as extra outputs.
    computed = sorted({weight for _, _, weight in normed} - set(constants))
    values = dict(constants)
    if computed:
        probe = onnx.load_from_string(model_bytes)
        probe.graph.output.extend(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in computed
        )
        session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
        inputs = {session.get_inputs()[0].name: torch.zeros_like(example).numpy()}
        values.update(zip(computed, session.run(computed, inputs)))
    weights = {}
    for name, layer, weight in normed:
        weights[name] = (layer, torch.from_numpy(np.array(values[weight])))
        if tuple(weights[name][1].shape) != tuple(layer.weight.shape):
            raise ExportedWeightsError(
                f"{path}: {name} convolves with a {tuple(weights[name][1].shape)} weight, this network's is "
                f"{tuple(layer.weight.shape)}"
            )
    return weights


def _vectors(original: torch.Tensor, convolved: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Power-iteration vectors u, v (torch's spectral norm) for which u . (W v) is the sigma that turns the
    un-normed weight into the convolved one: the largest singular pair, v scaled to that sigma."""
    matrix = original.movedim(dim, 0).flatten(1).double()
    left, singular, right = torch.linalg.svd(matrix, full_matrices=False)
    sigma = (original.double() * convolved.double()).sum() / convolved.double().pow(2).sum()
    u, v = left[:, 0], right[0]
    return u.float(), (v * sigma / singular[0]).float()
