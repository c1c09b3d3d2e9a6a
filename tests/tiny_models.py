"""Tiny ONNX models that follow the portraitize contract, built with onnx.helper (no torch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from portraitize.contract import ModelInfo

OPSET = 17


def _save(graph: onnx.GraphProto, info: ModelInfo, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    helper.set_model_props(model, info.to_metadata())
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def make_translator(
    path: Path, name: str = "tiny-painter", size_multiple: int = 4, native_size: int = 64, face_size: int = 0
) -> Path:
    """Colour-mixing 1x1 conv inside SpaceToDepth/DepthToSpace, so H and W must be multiples of size_multiple."""
    block = size_multiple
    channels = 3 * block * block
    rng = np.random.default_rng(0)
    mix = np.eye(3, dtype=np.float32)[[2, 0, 1]] * 0.8 + rng.uniform(-0.1, 0.1, (3, 3)).astype(np.float32)
    weight = np.kron(mix, np.eye(block * block, dtype=np.float32))  # same mix at every sub-pixel
    # SpaceToDepth orders channels as (sub-pixel, colour); permute so the Kronecker layout matches.
    order = np.arange(channels).reshape(block * block, 3).T.reshape(-1)
    weight = weight[np.ix_(np.argsort(order), np.argsort(order))]
    nodes = [
        helper.make_node("SpaceToDepth", ["image"], ["packed"], blocksize=block),
        helper.make_node("Conv", ["packed", "weight", "bias"], ["mixed"]),
        helper.make_node(
            "DepthToSpace",
            [
                "mixed",
            ],
            ["unpacked"],
            blocksize=block,
            mode="DCR",
        ),
        helper.make_node("Tanh", ["unpacked"], ["painted"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_translator",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("painted", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        initializer=[
            numpy_helper.from_array(weight.reshape(channels, channels, 1, 1), "weight"),
            numpy_helper.from_array(np.full(channels, 0.05, np.float32), "bias"),
        ],
    )
    info = ModelInfo(
        kind="translator",
        name=name,
        description="tiny test translator",
        family="test",
        native_size=native_size,
        size_multiple=size_multiple,
        training_summary="built by the tests",
        data_licence="none",
        quality="SSIM 0.99 in a test",
        face_size=face_size,
    )
    return _save(graph, info, path)


def make_upscaler(path: Path, name: str = "tiny-upscaler", factor: int = 2) -> Path:
    """A 3x3 blur (zero-padded: tiles without enough context would show seams) then a nearest enlargement."""
    kernel = np.zeros((3, 3, 3, 3), np.float32)
    for channel in range(3):
        kernel[channel, channel] = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16
    nodes = [
        helper.make_node("Conv", ["image", "kernel"], ["blurred"], pads=[1, 1, 1, 1]),
        helper.make_node("Resize", ["blurred", "", "scales"], ["upscaled"], mode="nearest"),
    ]
    weights = {"kernel": kernel, "scales": np.array([1, 1, factor, factor], np.float32)}
    return _save(_upscaler_graph(nodes, weights), upscaler_info(name, factor), path)


def make_sub_pixel_upscaler(path: Path, factor: int = 2) -> Path:
    """An ESPCN-shaped upscaler: a convolution and a ReLU, then one that paints factor^2 sub-pixels per channel
    (the quantizer keeps that last one in float)."""
    rng = np.random.default_rng(0)
    hidden = rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32)
    # the last layer sees the image and the hidden features: the image passed through, plus a learned-like detail
    sub_pixel = np.zeros((3 * factor * factor, 11, 3, 3), np.float32)
    sub_pixel[:, :3, 1, 1] = np.repeat(np.eye(3, dtype=np.float32), factor * factor, axis=0)
    sub_pixel[:, 3:] = rng.normal(0, 0.1, (3 * factor * factor, 8, 3, 3))
    nodes = [
        helper.make_node("Conv", ["image", "hidden_weight"], ["hidden"], pads=[1, 1, 1, 1], name="hidden_conv"),
        helper.make_node("Relu", ["hidden"], ["active"]),
        helper.make_node("Concat", ["image", "active"], ["both"], axis=1),
        helper.make_node("Conv", ["both", "out_weight"], ["sub_pixels"], pads=[1, 1, 1, 1], name="sub_pixel_conv"),
        helper.make_node("DepthToSpace", ["sub_pixels"], ["upscaled"], blocksize=factor, mode="CRD"),
    ]
    graph = _upscaler_graph(nodes, {"hidden_weight": hidden, "out_weight": sub_pixel})
    return _save(graph, upscaler_info(path.stem, factor, "tiny sub-pixel upscaler."), path)


def _upscaler_graph(nodes: list, weights: dict[str, np.ndarray]) -> onnx.GraphProto:
    return helper.make_graph(
        nodes,
        "tiny_upscaler",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("upscaled", TensorProto.FLOAT, ["batch", 3, "out_height", "out_width"])],
        initializer=[numpy_helper.from_array(value, name) for name, value in weights.items()],
    )


def upscaler_info(name: str, factor: int, description: str = "tiny test upscaler") -> ModelInfo:
    return ModelInfo(
        kind="upscaler",
        name=name,
        description=description,
        family="test",
        native_size=32,
        factor=factor,
        training_summary="built by the tests",
        data_licence="none",
        quality="none",
    )


def make_sampler(path: Path, name: str = "tiny-sampler", latent_size: int = 8, size: int = 16) -> Path:
    rng = np.random.default_rng(1)
    weight = rng.normal(0, 0.5, (latent_size, 3 * size * size)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["latent", "weight"], ["flat"]),
        helper.make_node("Reshape", ["flat", "shape"], ["grid"]),
        helper.make_node("Tanh", ["grid"], ["image"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_sampler",
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, ["batch", latent_size])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, size, size])],
        initializer=[
            numpy_helper.from_array(weight, "weight"),
            numpy_helper.from_array(np.array([-1, 3, size, size], np.int64), "shape"),
        ],
    )
    info = ModelInfo(
        kind="sampler",
        name=name,
        description="tiny test sampler",
        family="test",
        native_size=size,
        latent_size=latent_size,
        training_summary="built by the tests",
        data_licence="none",
    )
    return _save(graph, info, path)


def make_faulty_translator(path: Path, fault: str) -> Path:
    """A translator that breaks the contract: "grey" (1-channel output), "nan" (NaN for every image),
    "nan-on-flat" (NaN only for a flat image: x - min / (max - min) per image) or "half" (half its input's size,
    but 1x1 for 1x1)."""
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])
    channels = 1 if fault == "grey" else 3
    painted = helper.make_tensor_value_info("painted", TensorProto.FLOAT, ["batch", channels, "out_h", "out_w"])
    nodes = {
        "grey": [helper.make_node("ReduceMean", ["image"], ["painted"], axes=[1], keepdims=1)],
        "half": [
            helper.make_node("AveragePool", ["image"], ["painted"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
        ],
        "nan": [
            helper.make_node("Abs", ["image"], ["size"]),
            helper.make_node("Neg", ["size"], ["negative"]),
            helper.make_node("Sub", ["negative", "one"], ["below_zero"]),
            helper.make_node("Log", ["below_zero"], ["painted"]),
        ],
        "nan-on-flat": [
            helper.make_node("ReduceMin", ["image"], ["low"], axes=[1, 2, 3], keepdims=1),
            helper.make_node("ReduceMax", ["image"], ["high"], axes=[1, 2, 3], keepdims=1),
            helper.make_node("Sub", ["image", "low"], ["shifted"]),
            helper.make_node("Sub", ["high", "low"], ["spread"]),
            helper.make_node("Div", ["shifted", "spread"], ["painted"]),
        ],
    }[fault]
    graph = helper.make_graph(
        nodes,
        f"faulty_{fault}",
        [image],
        [painted],
        initializer=[numpy_helper.from_array(np.array(1, np.float32), "one")],
    )
    info = ModelInfo(
        kind="translator", name=f"faulty-{fault}", description="breaks the contract", family="test", native_size=64
    )
    return _save(graph, info, path)


def with_metadata(source: Path, path: Path, **changes: str) -> Path:
    """A copy of the model at `source` with some metadata values changed."""
    model = onnx.load(str(source))
    for prop in model.metadata_props:
        if prop.key in changes:
            prop.value = changes[prop.key]
    onnx.save(model, str(path))
    return path
