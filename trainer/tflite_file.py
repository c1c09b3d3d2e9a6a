"""A reader for TensorFlow Lite model files (`.tflite`, a FlatBuffer), enough to take weights out of one.

Pure Python: the few tables of the TFLite schema (tensorflow/lite/schema/schema.fbs) that say which operators
a graph runs, on which tensors, with which options, and the constant data (weights) behind those tensors.
"""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import numpy as np

# TensorType -> numpy dtype (the types MediaPipe's models use).
DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}
# BuiltinOperator codes -> names (schema.fbs).
BUILTIN = {
    0: "ADD",
    1: "AVERAGE_POOL_2D",
    2: "CONCATENATION",
    3: "CONV_2D",
    4: "DEPTHWISE_CONV_2D",
    6: "DEQUANTIZE",
    9: "FULLY_CONNECTED",
    14: "LOGISTIC",
    17: "MAX_POOL_2D",
    18: "MUL",
    19: "RELU",
    21: "RELU6",
    22: "RESHAPE",
    23: "RESIZE_BILINEAR",
    32: "CUSTOM",
    34: "PAD",
    40: "MEAN",
    41: "SUB",
    54: "PRELU",
    67: "TRANSPOSE_CONV",
    97: "RESIZE_NEAREST_NEIGHBOR",
    117: "HARD_SWISH",
}
# Option tables: (field name, struct format) in schema order, for the operators above that carry options.
_CONV = (("padding", "b"), ("stride_w", "i"), ("stride_h", "i"), ("fused_activation_function", "b"))
_DEPTHWISE = (*_CONV[:3], ("depth_multiplier", "i"), ("fused_activation_function", "b"))
_POOL = (*_CONV[:3], ("filter_width", "i"), ("filter_height", "i"), ("fused_activation_function", "b"))
_ACTIVATION = (("fused_activation_function", "b"),)
OPTION_FIELDS = {
    "CONV_2D": _CONV,
    "DEPTHWISE_CONV_2D": _DEPTHWISE,
    "AVERAGE_POOL_2D": _POOL,
    "MAX_POOL_2D": _POOL,
    "ADD": _ACTIVATION,
    "MUL": _ACTIVATION,
    "SUB": _ACTIVATION,
    "CONCATENATION": (("axis", "i"), ("fused_activation_function", "b")),
    "RESIZE_BILINEAR": (("new_height", "i"), ("new_width", "i"), ("align_corners", "?"), ("half_pixel_centers", "?")),
}
_DEFAULT_ONE = {"stride_w", "stride_h", "depth_multiplier"}
ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH"}
PADDINGS = {0: "SAME", 1: "VALID"}


class TFLiteError(ValueError):
    """Not a TFLite file this reader understands."""


class _Table:
    """One FlatBuffer table: fields read by their index in the schema."""

    def __init__(self, data: bytes, position: int):
        self.data, self.position = data, position
        vtable = position - struct.unpack_from("<i", data, position)[0]
        size = struct.unpack_from("<H", data, vtable)[0]
        self.offsets = struct.unpack_from(f"<{(size - 4) // 2}H", data, vtable + 4)

    def _field(self, index: int) -> int | None:
        if index >= len(self.offsets) or self.offsets[index] == 0:
            return None
        return self.position + self.offsets[index]

    def scalar(self, index: int, fmt: str, default=0):
        at = self._field(index)
        return default if at is None else struct.unpack_from("<" + fmt, self.data, at)[0]

    def _target(self, index: int) -> int | None:
        at = self._field(index)
        return None if at is None else at + struct.unpack_from("<I", self.data, at)[0]

    def table(self, index: int) -> _Table | None:
        at = self._target(index)
        return None if at is None else _Table(self.data, at)

    def string(self, index: int) -> str:
        at = self._target(index)
        if at is None:
            return ""
        length = struct.unpack_from("<I", self.data, at)[0]
        return self.data[at + 4 : at + 4 + length].decode("utf-8")

    def vector(self, index: int, fmt: str) -> tuple:
        at = self._target(index)
        if at is None:
            return ()
        length = struct.unpack_from("<I", self.data, at)[0]
        return struct.unpack_from(f"<{length}{fmt}", self.data, at + 4)

    def raw_vector(self, index: int) -> memoryview:
        at = self._target(index)
        if at is None:
            return memoryview(b"")
        length = struct.unpack_from("<I", self.data, at)[0]
        return memoryview(self.data)[at + 4 : at + 4 + length]

    def tables(self, index: int) -> list[_Table]:
        at = self._target(index)
        if at is None:
            return []
        length = struct.unpack_from("<I", self.data, at)[0]
        items = []
        for item in range(length):
            slot = at + 4 + 4 * item
            items.append(_Table(self.data, slot + struct.unpack_from("<I", self.data, slot)[0]))
        return items


@dataclasses.dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: type
    data: np.ndarray | None  # constant data (weights), None for activations


@dataclasses.dataclass(frozen=True)
class Operator:
    op: str  # builtin name, or the custom code of a CUSTOM operator
    inputs: tuple[int, ...]  # tensor indices; -1: an optional input left out
    outputs: tuple[int, ...]
    options: dict
    custom_options: bytes = b""  # a custom operator's own options, as its kernel reads them


@dataclasses.dataclass(frozen=True)
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    def constant(self, index: int) -> np.ndarray:
        """The float32 value of a constant tensor, through a DEQUANTIZE of fp16 weights if there is one."""
        tensor = self.tensors[index]
        if tensor.data is None:
            producer = next((op for op in self.operators if index in op.outputs), None)
            if producer is None or producer.op != "DEQUANTIZE":
                raise TFLiteError(f"tensor {tensor.name!r} is neither constant nor dequantised from a constant")
            return self.constant(producer.inputs[0])
        return tensor.data.astype(np.float32)


def read_tflite(path: Path | bytes) -> Graph:
    """The first subgraph of a .tflite file: its tensors (with constant data), operators and options."""
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise TFLiteError(f"{path if not isinstance(path, bytes) else 'data'}: not a TFLite file (no TFL3 mark)")
    model = _Table(data, struct.unpack_from("<I", data, 0)[0])
    codes = []
    for code in model.tables(1):
        builtin = max(code.scalar(0, "b"), code.scalar(3, "i"))
        codes.append(code.string(1) if builtin == 32 else BUILTIN.get(builtin, f"BUILTIN_{builtin}"))
    buffers = model.tables(4)
    graph = model.tables(2)[0]
    tensors = []
    for index, tensor in enumerate(graph.tables(0)):
        type_code = tensor.scalar(1, "b")
        if type_code not in DTYPES:
            raise TFLiteError(f"tensor {tensor.string(3)!r} has TFLite type {type_code}, not one this reader knows")
        dtype = DTYPES[type_code]
        shape = tuple(tensor.vector(0, "i"))
        buffer = tensor.scalar(2, "I")
        raw = buffers[buffer].raw_vector(0) if buffer < len(buffers) else memoryview(b"")
        constant = np.frombuffer(raw, dtype).reshape(shape).copy() if len(raw) else None
        tensors.append(Tensor(index, tensor.string(3), shape, dtype, constant))
    operators = []
    for operator in graph.tables(3):
        op = codes[operator.scalar(0, "I")]
        options = {}
        table = operator.table(4)
        if table is not None:
            for field, (name, fmt) in enumerate(OPTION_FIELDS.get(op, ())):
                options[name] = table.scalar(field, fmt, 1 if name in _DEFAULT_ONE else 0)
        if "padding" in options:
            options["padding"] = PADDINGS[options["padding"]]
        if "fused_activation_function" in options:
            options["fused_activation_function"] = ACTIVATIONS[options["fused_activation_function"]]
        custom = bytes(operator.raw_vector(5))
        operators.append(Operator(op, operator.vector(1, "i"), operator.vector(2, "i"), options, custom))
    return Graph(tensors, operators, graph.vector(1, "i"), graph.vector(2, "i"))
