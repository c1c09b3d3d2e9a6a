"""Export: every kind of generator becomes an ONNX file the converter runs, matching torch."""

from __future__ import annotations

import copy
import dataclasses
import io
import shutil
import stat
import warnings

import numpy as np
import onnx
import pytest
import torch
from conftest import EXAMPLES
from PIL import Image
from tiny_trainers import RECIPE_CLASSES, run_loop, tiny_configs
from typer.testing import CliRunner

import trainer.export
from portraitize.contract import ModelInfo
from portraitize.files import FILE_MODE
from portraitize.session import open_session, read_info
from trainer.cli import app as trainer_app
from trainer.export import ExportError, export_checkpoint

PARTS = [
    ("style", None, "translator"),
    ("unet", None, "translator"),
    ("unet-brush", None, "translator"),
    ("cyclegan", None, "translator"),
    ("dcgan", None, "sampler"),
    ("fastgan", None, "sampler"),
    ("vae", "decoder", "sampler"),
    ("vae", "reconstruction", "translator"),
    ("upscale", None, "upscaler"),
]


@pytest.fixture(scope="module")
def checkpoints(image_folder, style_image, tmp_path_factory):
    runs = {}
    for name, config in tiny_configs(image_folder, style_image).items():
        runs[name] = tmp_path_factory.mktemp(name)
        run_loop(name, config, runs[name], steps=2, data_licence="test images made by the tests")
    return runs


@pytest.mark.parametrize(("recipe", "part", "kind"), PARTS)
def test_export_writes_contract_and_runs_in_the_converter(recipe, part, kind, checkpoints, cli, tmp_path):
    out = tmp_path / f"tiny-{recipe}.onnx"
    export_checkpoint(checkpoints[recipe], out, part=part, quality="KID x1000 12.3 on the test set")

    model = onnx.load(out)
    assert model.opset_import[0].version >= 17
    assert not any(tensor.data_location == onnx.TensorProto.EXTERNAL for tensor in model.graph.initializer)
    assert [path.name for path in tmp_path.iterdir()] == [out.name], "one self-contained file"
    assert stat.S_IMODE(out.stat().st_mode) == FILE_MODE, "readable like any new file, not the temp file's 0600"
    info = ModelInfo.from_metadata({entry.key: entry.value for entry in model.metadata_props})
    assert (info.kind, info.name, info.family) == (kind, out.stem, RECIPE_CLASSES[recipe].name)
    assert (
        info.data_licence == "test images made by the tests"
        and "2 steps" in info.training_summary
        and " CPU (" in info.training_summary
    )
    assert info.quality == "KID x1000 12.3 on the test set"
    # The paint chain paints strokes; a fixed filter inside the network would block fp16/int8 and seam across tiles:
    # a recipe trained through its brushwork exports its generator alone.
    assert not any(node.op_type == "GridSample" for node in model.graph.node), "no brushwork in the file"
    if recipe == "fastgan":  # the terms can be restated at export, for runs that recorded only a pointer
        export_checkpoint(checkpoints[recipe], out, part=part, data_licence="CC0 paintings")
        assert read_info(open_session(out), out).data_licence == "CC0 paintings"

    if kind == "translator":
        result = cli("convert", EXAMPLES, tmp_path / "painted", "-m", out)
        assert result.exit_code == 0, result.output
        painted = np.asarray(Image.open(tmp_path / "painted" / "astronaut.jpg"), dtype=float)
        assert painted.shape == (512, 512, 3) and painted.std() > 1
    elif kind == "upscaler":
        import onnxruntime as ort

        assert info.factor == 2
        image = np.random.default_rng(0).uniform(-1, 1, (1, 3, 13, 21)).astype(np.float32)  # any size
        (upscaled,) = ort.InferenceSession(str(out)).run(["upscaled"], {"image": image})
        assert upscaled.shape == (1, 3, 26, 42)
    else:
        result = cli("sample", "-n", 3, "-o", tmp_path / "samples", "-m", out)
        assert result.exit_code == 0, result.output
        assert len(list((tmp_path / "samples").glob("*.png"))) == 3


def test_parity_failure_leaves_no_file(checkpoints, tmp_path, monkeypatch):
    monkeypatch.setattr(trainer.export, "parity_error", lambda *args: 0.5)
    with pytest.raises(ExportError, match="differs from torch by 5.00e-01"):
        export_checkpoint(checkpoints["dcgan"], tmp_path / "bad.onnx")
    assert list(tmp_path.iterdir()) == []


def test_trainer_cli_trains_resumes_exports_and_previews(image_folder, style_image, tmp_path):
    runner = CliRunner()
    common = [
        "train",
        "vae",
        "--images",
        str(image_folder),
        "--size",
        "16",
        "--width",
        "4",
        "--latent-size",
        "4",
        "--batch-size",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--sample-every",
        "1",
    ]
    result = runner.invoke(trainer_app, [*common, "--steps", "2"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(trainer_app, [*common, "--steps", "2"])
    assert result.exit_code == 2 and "--resume" in result.output
    result = runner.invoke(trainer_app, [*common, "--steps", "3", "--resume", "--beta", "4"])
    assert result.exit_code == 2 and "beta: 1.0 -> 4.0" in result.output
    result = runner.invoke(
        trainer_app, [*common, "--steps", "3", "--resume", "--export-to", str(tmp_path / "vae-cli.onnx")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "vae-cli.onnx").exists()
    shutil.copytree(tmp_path / "run", tmp_path / "copied")  # a run folder copied elsewhere resumes from there
    result = runner.invoke(trainer_app, [*common, "--steps", "4", "--resume", "--out", str(tmp_path / "copied")])
    assert result.exit_code == 0, result.output
    assert torch.load(tmp_path / "copied" / "checkpoint.pt", weights_only=False)["counters"]["step"] == 4
    # A run saved before a setting existed (here: beta, and the loop's keep_every) resumes with its default.
    state = torch.load(tmp_path / "copied" / "checkpoint.pt", weights_only=False)
    del state["recipe_config"]["beta"], state["loop_config"]["keep_every"]
    torch.save(state, tmp_path / "copied" / "checkpoint.pt")
    result = runner.invoke(trainer_app, [*common, "--steps", "5", "--resume", "--out", str(tmp_path / "copied")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        trainer_app, ["sample", str(tmp_path / "run"), "--out", str(tmp_path / "grid.png"), "--count", "4"]
    )
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "grid.png").size == (4 * 18 + 2, 3 * 18 + 2)  # photos, reconstructions, samples


def test_native_size_sets_the_converters_default_for_translators_only(checkpoints, tmp_path):
    info = export_checkpoint(checkpoints["style"], tmp_path / "wide.onnx", native_size=48)
    assert info.native_size == 48
    with pytest.raises(ExportError, match="translators only"):
        export_checkpoint(checkpoints["dcgan"], tmp_path / "gan.onnx", native_size=48)


def test_fp16_copy_keeps_float32_inputs_and_its_own_name(checkpoints, tmp_path):
    export_checkpoint(checkpoints["style"], tmp_path / "tiny.onnx", fp16=True)
    half = onnx.load(tmp_path / "tiny-fp16.onnx")
    onnx.checker.check_model(half)
    assert half.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert any(init.data_type == onnx.TensorProto.FLOAT16 for init in half.graph.initializer)
    assert {entry.key: entry.value for entry in half.metadata_props}["name"] == "tiny-fp16"
    weight_bytes = lambda model: sum(len(init.raw_data) for init in model.graph.initializer)  # noqa: E731
    assert weight_bytes(half) < 0.6 * weight_bytes(onnx.load(tmp_path / "tiny.onnx"))


def test_an_fp16_copy_beyond_its_tolerance_is_not_written(checkpoints, tmp_path):
    # Checked for parity like every export: a tolerance no half-precision copy meets refuses it.
    import trainer.export

    recipe, _ = trainer.export.load_for_inference(checkpoints["style"])
    spec = recipe.export_specs()["generator"]
    out = tmp_path / "tiny.onnx"
    info = export_checkpoint(checkpoints["style"], out)
    with pytest.raises(ExportError, match="fp16 copy differs from torch"):
        trainer.export.write_fp16_copy(out, spec, info, tolerance=1e-9)
    assert not (tmp_path / "tiny-fp16.onnx").exists()


def test_a_damaged_or_foreign_checkpoint_is_one_clear_line(tmp_path):
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"half a checkpoint")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    runner = CliRunner()
    for path, reason in ((damaged, "not a readable checkpoint"), (foreign, "not a portraitize checkpoint")):
        result = runner.invoke(trainer_app, ["export", str(path), str(tmp_path / "out.onnx")])
        assert result.exit_code == 2 and reason in result.output and str(path) in result.output
        assert "Traceback" not in result.output and not (tmp_path / "out.onnx").exists()
    result = runner.invoke(trainer_app, ["average", str(tmp_path / "mean.pt"), str(damaged), str(foreign)])
    assert result.exit_code == 2 and "not a readable checkpoint" in result.output


def test_an_older_translator_file_with_its_brushwork_is_cut_to_its_generator(checkpoints, tmp_path):
    # A file exported whole (before the stroke painter) is cut to the generator the recipe now exports
    # (test_export_writes_contract_and_runs_in_the_converter: no brushwork in a new file).
    from trainer.export import OPSET, load_for_inference, to_onnx
    from trainer.generator_only import cut_to_generator

    recipe, _ = load_for_inference(checkpoints["unet-brush"])
    generator = recipe.unwrapped("generator")
    assert generator.brushwork is not None, "the recipe still trains through its brushwork"
    spec = recipe.export_specs()["generator"]
    whole = tmp_path / "whole.onnx"  # an older export: the generator and its brushwork in one file
    info = spec.info(name="whole", description="d", family="unet", training_summary="", data_licence="x")
    # Made as two graphs joined: the generator by torch's older exporter (half a second; the new one took half a
    # minute over this U-Net) and its brushwork by the new one (which alone exports its edge padding).
    plain = copy.deepcopy(generator).eval()
    plain.brushwork = None
    graph = io.BytesIO()
    dynamic = {"image": {0: "batch", 2: "height", 3: "width"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the older exporter's deprecation
        torch.onnx.export(
            plain,
            (spec.example,),
            graph,
            dynamo=False,
            input_names=["image"],
            output_names=["generated"],
            opset_version=OPSET,
            dynamic_axes=dynamic,
        )
    head = onnx.load_from_string(graph.getvalue())
    tail = onnx.compose.add_prefix(to_onnx(dataclasses.replace(spec, module=generator.brushwork), info), "brushwork/")
    head.ir_version = tail.ir_version
    model = onnx.compose.merge_models(head, tail, io_map=[("generated", "brushwork/image")])
    model.graph.output[0].name = "painted"
    for node in model.graph.node:
        node.output[:] = ["painted" if name == "brushwork/painted" else name for name in node.output]
    onnx.helper.set_model_props(model, info.to_metadata())
    assert any(node.op_type == "GridSample" for node in model.graph.node), "the brushwork is in the whole file"
    whole.write_bytes(model.SerializeToString())
    assert cut_to_generator(whole, tmp_path / "cut.onnx") == 0.0
    example = spec.example
    (cut,) = open_session(tmp_path / "cut.onnx").run(["painted"], {"image": example.numpy()})
    with torch.no_grad():
        assert np.abs(cut - plain(example).numpy()).max() < 1e-4
    with pytest.raises(ExportError, match="already its generator only"):
        cut_to_generator(tmp_path / "cut.onnx", tmp_path / "again.onnx")
    assert not (tmp_path / "again.onnx").exists()
