"""`python -m trainer quantize`: an int8 copy of an upscaler, written only when it stays close to the float model."""

from __future__ import annotations

import onnx
import pytest
from conftest import REPO, gradient_image, write_image
from onnx import TensorProto
from tiny_models import make_sub_pixel_upscaler
from typer.testing import CliRunner

from portraitize.session import load_model
from portraitize.upscale import upscale
from trainer.cli import app as trainer_app
from trainer.evaluate_upscaler import psnr
from trainer.export import ExportError
from trainer.quantize import quantize_upscaler, sub_pixel_convolutions


@pytest.fixture(scope="module")
def paintings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paintings")
    for index in range(4):
        write_image(folder / f"painting{index}.png", 200, 170)
    return folder


def test_int8_copy_quantizes_the_body_keeps_the_sub_pixel_layer_float_and_paints_the_same(tmp_path, paintings):
    source = make_sub_pixel_upscaler(tmp_path / "float.onnx")
    out = tmp_path / "small-int8.onnx"
    worst = quantize_upscaler(source, out, paintings, crops=8, min_psnr=30.0, quality="measured on int8")
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


def test_a_copy_too_far_from_the_float_model_is_not_written(tmp_path, paintings):
    source = make_sub_pixel_upscaler(tmp_path / "float.onnx")
    with pytest.raises(ExportError, match="not written"):
        quantize_upscaler(source, tmp_path / "int8.onnx", paintings, crops=4, min_psnr=200.0)
    assert not (tmp_path / "int8.onnx").exists()


def test_cli_refuses_another_kind_and_overwriting_its_source(tmp_path, paintings, translator):
    runner = CliRunner()
    result = runner.invoke(
        trainer_app, ["quantize", str(translator), str(tmp_path / "x.onnx"), "--paintings", str(paintings)]
    )
    assert result.exit_code == 2 and "upscaler" in result.output and not (tmp_path / "x.onnx").exists()
    source = make_sub_pixel_upscaler(tmp_path / "float.onnx")
    before = source.read_bytes()
    result = runner.invoke(trainer_app, ["quantize", str(source), str(source), "--paintings", str(paintings)])
    assert result.exit_code == 2 and "another file" in result.output and source.read_bytes() == before
