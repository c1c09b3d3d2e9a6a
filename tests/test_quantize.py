"""`python -m trainer quantize`: an int8 copy of an upscaler or a translator, written only when it stays close to the
float model."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import REPO, gradient_image, write_image
from onnx import TensorProto, helper, numpy_helper
from tiny_models import OPSET, make_sub_pixel_upscaler
from typer.testing import CliRunner

from portraitize.contract import ModelInfo
from portraitize.session import load_model
from portraitize.translate import paint_batch
from portraitize.upscale import upscale
from trainer.cli import app as trainer_app
from trainer.evaluate_upscaler import psnr
from trainer.export import ExportError
from trainer.quantize import CHECKS, narrow_convolutions, quantize, sub_pixel_convolutions


@pytest.fixture(scope="module")
def paintings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paintings")
    for index in range(4):
        write_image(folder / f"painting{index}.png", 200, 170)
    return folder


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Enough photos for a translator's calibration and its CHECKS other photos (sizes as varied as a folder's)."""
    folder = tmp_path_factory.mktemp("photos")
    for index in range(4 + CHECKS):
        write_image(folder / f"photo{index}.png", 40 + 4 * (index % 3), 36)
    return folder


def make_conv_translator(path):
    """A translator shaped like the shipped U-Net at its smallest: a ReLU6 convolution, an enlarged skip joined to
    the photo, a convolution back to RGB and a tanh. Nothing feeds a pixel shuffle; the RGB head stays float
    (narrow_convolutions), the rest goes int8."""
    rng = np.random.default_rng(0)
    weights = {
        "down_weight": rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32),
        "out_weight": rng.normal(0, 0.2, (3, 11, 3, 3)).astype(np.float32),
        "low": np.array(0, np.float32),
        "high": np.array(6, np.float32),
        "scales": np.array([1, 1, 2, 2], np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["image", "down_weight"], ["down"], pads=[1, 1, 1, 1], strides=[2, 2], name="down"),
        helper.make_node("Clip", ["down", "low", "high"], ["active"]),
        helper.make_node("Resize", ["active", "", "scales"], ["up"], mode="nearest"),
        helper.make_node("Concat", ["image", "up"], ["both"], axis=1),
        helper.make_node("Conv", ["both", "out_weight"], ["mixed"], pads=[1, 1, 1, 1], name="out"),
        helper.make_node("Tanh", ["mixed"], ["painted"]),
    ]
    graph = helper.make_graph(
        nodes,
        "conv_translator",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("painted", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        initializer=[numpy_helper.from_array(value, name) for name, value in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    info = ModelInfo(
        kind="translator",
        name=path.stem,
        description="tiny conv translator.",
        family="test",
        native_size=32,
        size_multiple=2,
        training_summary="built by the tests",
        data_licence="none",
        quality="float quality",
    )
    helper.set_model_props(model, info.to_metadata())
    onnx.save(model, str(path))
    return path


def test_int8_copy_quantizes_the_body_keeps_the_sub_pixel_layer_float_and_paints_the_same(tmp_path, paintings):
    source = make_sub_pixel_upscaler(tmp_path / "float.onnx")
    out = tmp_path / "small-int8.onnx"
    worst = quantize(source, out, paintings, count=8, min_psnr=30.0, quality="measured on int8")
    assert worst >= 30.0

    graph = onnx.load(str(out)).graph
    assert any(init.data_type == TensorProto.INT8 for init in graph.initializer)
    assert dequantized_convolutions(graph) == ({"hidden_conv", "sub_pixel_conv"}, {"hidden_conv"}), (
        "the body in int8, the sub-pixel layer in float"
    )

    int8_model, float_model = load_model(out, "cpu", kind="upscaler"), load_model(source, "cpu", kind="upscaler")
    assert int8_model.info.name == "small-int8" and int8_model.info.quality == "measured on int8"
    assert int8_model.info.description.endswith("int8 for the CPU.") and int8_model.info.factor == 2
    rgb = gradient_image(90, 70, seed=5)
    assert psnr(upscale(rgb, int8_model), upscale(rgb, float_model)) > 30


def test_int8_translator_is_calibrated_on_prepared_photos_and_paints_the_same(tmp_path, photos):
    source = make_conv_translator(tmp_path / "float.onnx")
    out = tmp_path / "conv-int8.onnx"
    worst = quantize(source, out, photos, count=4, min_psnr=30.0)
    assert worst >= 30.0

    assert dequantized_convolutions(onnx.load(str(out)).graph) == ({"down", "out"}, {"down"}), (
        "the body in int8, the image head (three channels) in float"
    )
    int8_model, float_model = load_model(out, "cpu", kind="translator"), load_model(source, "cpu", kind="translator")
    assert int8_model.info.name == "conv-int8" and int8_model.info.quality == "float quality"
    rgb = gradient_image(50, 38, seed=7)
    assert psnr(paint_batch(int8_model, [rgb])[0], paint_batch(float_model, [rgb])[0]) > 30


def test_a_translator_needs_photos_apart_from_its_calibration_ones(tmp_path, photos):
    source = make_conv_translator(tmp_path / "float.onnx")
    with pytest.raises(ValueError, match="need more"):
        quantize(source, tmp_path / "int8.onnx", photos, count=5)
    assert not (tmp_path / "int8.onnx").exists()


def dequantized_convolutions(graph: onnx.GraphProto) -> tuple[set[str], set[str]]:
    """(every Conv, the Convs whose weights come out of a DequantizeLinear: run in int8 on the CPU)."""
    producers = {output: node for node in graph.node for output in node.output}
    convs = {node.name: node for node in graph.node if node.op_type == "Conv"}
    return set(convs), {
        name
        for name, node in convs.items()
        if node.input[1] in producers and producers[node.input[1]].op_type == "DequantizeLinear"
    }


def test_shipped_upscaler_is_int8_but_for_its_sub_pixel_layer():
    graph = onnx.load(str(REPO / "exported" / "painting-x4.onnx")).graph
    convs, int8 = dequantized_convolutions(graph)
    sub_pixel = set(sub_pixel_convolutions(graph))
    assert len(sub_pixel) == 1 and int8 == convs - sub_pixel


def test_a_model_with_unnamed_nodes_is_quantized_all_the_same(tmp_path, photos):
    """Nodes are left out by name: an unnamed head left out must not leave out every other unnamed node."""
    named = onnx.load(str(make_conv_translator(tmp_path / "named.onnx")))
    for node in named.graph.node:
        node.name = ""
    onnx.save(named, str(tmp_path / "unnamed.onnx"))
    quantize(tmp_path / "unnamed.onnx", tmp_path / "unnamed-int8.onnx", photos, count=4, min_psnr=30.0)
    convs, int8 = dequantized_convolutions(onnx.load(str(tmp_path / "unnamed-int8.onnx")).graph)
    assert len(convs) == 2 and len(int8) == 1, "the body in int8, the image head in float"


def test_shipped_translator_is_the_int8_copy_of_its_float_export():
    """The default translator ships as int8 (every convolution but its image head), made from exported/float/: the
    same model there, which `quantize` and the int8 comparison start from."""
    shipped, source = REPO / "exported" / "oil-portrait.onnx", REPO / "exported" / "float" / "oil-portrait.onnx"
    graph = onnx.load(str(shipped)).graph
    convs, int8 = dequantized_convolutions(graph)
    head = set(narrow_convolutions(graph))
    assert len(head) == 1 and int8 == convs - head
    assert not dequantized_convolutions(onnx.load(str(source)).graph)[1]
    copy, original = (load_model(path, "cpu").info for path in (shipped, source))
    assert copy.description == f"{original.description}; int8 for the CPU."
    unchanged = ("name", "kind", "native_size", "face_size", "size_multiple", "value_range", "training_summary")
    assert all(getattr(copy, field) == getattr(original, field) for field in unchanged)


def test_a_copy_too_far_from_the_float_model_is_not_written(tmp_path, paintings):
    source = make_sub_pixel_upscaler(tmp_path / "float.onnx")
    with pytest.raises(ExportError, match="not written"):
        quantize(source, tmp_path / "int8.onnx", paintings, count=4, min_psnr=200.0)
    assert not (tmp_path / "int8.onnx").exists()


def test_cli_quantizes_a_translator_on_its_photos_and_refuses_other_kinds(tmp_path, paintings, photos, sampler):
    runner = CliRunner()
    source = make_conv_translator(tmp_path / "float.onnx")
    out = tmp_path / "conv-int8.onnx"
    result = runner.invoke(
        trainer_app,
        ["quantize", str(source), str(out), "--photos", str(photos), "--crops", "4", "--min-psnr", "30"],
    )
    assert result.exit_code == 0 and f"on {CHECKS} other inputs" in result.output and out.exists(), result.output
    result = runner.invoke(trainer_app, ["quantize", str(sampler), str(tmp_path / "x.onnx"), "--photos", str(photos)])
    assert result.exit_code == 2 and "upscaler, translator" in result.output and not (tmp_path / "x.onnx").exists()


def test_cli_refuses_overwriting_its_source(tmp_path, paintings):
    runner = CliRunner()
    source = make_sub_pixel_upscaler(tmp_path / "float.onnx")
    before = source.read_bytes()
    result = runner.invoke(trainer_app, ["quantize", str(source), str(source), "--paintings", str(paintings)])
    assert result.exit_code == 2 and "another file" in result.output and source.read_bytes() == before


def test_cli_refuses_a_folder_as_its_output_before_calibrating(tmp_path, paintings, monkeypatch):
    import trainer.quantize

    def calibrating(*args, **kwargs):
        raise AssertionError("calibration started")

    monkeypatch.setattr(trainer.quantize, "quantize", calibrating)
    source = make_sub_pixel_upscaler(tmp_path / "float.onnx")
    folder = tmp_path / "int8"
    folder.mkdir()
    result = CliRunner().invoke(trainer_app, ["quantize", str(source), str(folder), "--paintings", str(paintings)])
    said = " ".join(result.output.replace("│", " ").split())  # the error box wraps a long path's line
    assert result.exit_code == 2 and "is a directory" in said and list(folder.iterdir()) == []
