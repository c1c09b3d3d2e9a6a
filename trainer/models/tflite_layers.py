"""Layers that compute what TensorFlow Lite's do, and the loader that fills them from a `.tflite` graph.

TensorFlow's SAME padding puts the odd pixel of a strided convolution after the image, not before it as
torch's symmetric padding would; `Conv` pads as TensorFlow does. Weights go in by layer kind in the order of
their TFLite names (conv2d, conv2d_1, conv2d_2, ...), which is the order the networks here register their
layers in; shapes and strides are checked on the way, and the export checks the result against the TFLite
interpreter itself.
"""

from __future__ import annotations

import re

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..tflite_file import Graph


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) of TensorFlow's SAME padding along one axis of `size` pixels."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv(nn.Conv2d):
    """A 2-D convolution (depthwise with `depthwise=True`) padded like TensorFlow's SAME, or not at all (VALID)."""

    def __init__(
        self, inputs: int, outputs: int, kernel: int, stride: int = 1, same: bool = True, depthwise: bool = False
    ):
        super().__init__(inputs, outputs, kernel, stride, groups=inputs if depthwise else 1)
        self.same = same

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.same:
            top, bottom = same_padding(x.shape[-2], self.kernel_size[0], self.stride[0])
            left, right = same_padding(x.shape[-1], self.kernel_size[1], self.stride[1])
            if top or bottom or left or right:
                x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)


def _number(name: str) -> int:
    """conv2d -> 0, conv2d_12 -> 12, p_re_lu_3 -> 3 (the layer part of a TFLite tensor name like conv2d_12/Kernel)."""
    layer = name.split("/")[0]
    found = re.search(r"_(\d+)$", layer)
    return int(found.group(1)) if found else 0


def tflite_layers(graph: Graph) -> dict[str, list[dict]]:
    """The graph's weighted layers by kind ("conv", "depthwise", "prelu", "transpose"), each kind in the order
    of its TFLite names: weights as float32 in TFLite's layout, with stride and padding."""
    layers: dict[str, list[dict]] = {"conv": [], "depthwise": [], "prelu": [], "transpose": []}
    for op in graph.operators:
        if op.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            kind = "conv" if op.op == "CONV_2D" else "depthwise"
            weight = graph.tensors[op.inputs[1]]
            bias = graph.constant(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
            if op.options["fused_activation_function"] != "NONE":
                raise ValueError(f"{weight.name}: fused activations are not supported")
            layers[kind].append(
                {
                    "name": weight.name,
                    "weight": graph.constant(op.inputs[1]),
                    "bias": bias,
                    "stride": (op.options["stride_h"], op.options["stride_w"]),
                    "same": op.options["padding"] == "SAME",
                }
            )
        elif op.op == "PRELU":
            alpha = graph.tensors[op.inputs[1]]
            layers["prelu"].append({"name": alpha.name, "weight": graph.constant(op.inputs[1])})
        elif op.op == "Convolution2DTransposeBias":  # MediaPipe's custom op: TfLiteTransposeConvParams
            padding, stride_w, stride_h = np.frombuffer(op.custom_options[:12], "<i4")
            weight = graph.tensors[op.inputs[1]]
            layers["transpose"].append(
                {
                    "name": weight.name,
                    "weight": graph.constant(op.inputs[1]),
                    "bias": graph.constant(op.inputs[2]),
                    "stride": (int(stride_h), int(stride_w)),
                    "same": int(padding) == 1,
                }
            )
    for found in layers.values():
        found.sort(key=lambda layer: _number(layer["name"]))
    return layers


def load_tflite_weights(module: nn.Module, graph: Graph) -> None:
    """Copy the graph's weights into `module`, layer kind by layer kind, in order; raises ValueError where the
    module's layers do not match the graph's (count, shape, stride or padding)."""
    ours: dict[str, list[nn.Module]] = {"conv": [], "depthwise": [], "prelu": [], "transpose": []}
    for layer in module.modules():
        if isinstance(layer, Conv):
            ours["depthwise" if layer.groups > 1 else "conv"].append(layer)
        elif isinstance(layer, nn.PReLU):
            ours["prelu"].append(layer)
        elif isinstance(layer, nn.ConvTranspose2d):
            ours["transpose"].append(layer)
    theirs = tflite_layers(graph)
    for kind, layers in ours.items():
        if len(layers) != len(theirs[kind]):
            raise ValueError(f"the network has {len(layers)} {kind} layers, the TFLite graph {len(theirs[kind])}")
        for layer, source in zip(layers, theirs[kind]):
            weight = source["weight"]
            if kind == "conv":  # TFLite [out, kh, kw, in] -> torch [out, in, kh, kw]
                weight = weight.transpose(0, 3, 1, 2)
            elif kind in (
                "depthwise",
                "transpose",
            ):  # [1, kh, kw, C] -> [C, 1, kh, kw]; [out, kh, kw, in] -> [in, out, kh, kw]
                weight = weight.transpose(3, 0, 1, 2)
            else:  # PReLU alpha [1, 1, C] -> [C]
                weight = weight.reshape(-1)
            if tuple(layer.weight.shape) != weight.shape:
                raise ValueError(
                    f"{source['name']}: TFLite shape {weight.shape} (as torch's), network {tuple(layer.weight.shape)}"
                )
            if kind != "prelu":
                same = getattr(layer, "same", True)
                if tuple(layer.stride) != source["stride"] or same != source["same"]:
                    raise ValueError(
                        f"{source['name']}: TFLite stride {source['stride']} ({'SAME' if source['same'] else 'VALID'}), "
                        f"network {tuple(layer.stride)} ({'SAME' if same else 'VALID'})"
                    )
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
                if kind != "prelu":
                    layer.bias.copy_(torch.from_numpy(source["bias"]))
