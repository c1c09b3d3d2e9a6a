"""`python -m trainer average`: the mean of a run's snapshots, exported like any checkpoint."""

from __future__ import annotations

import pytest
import torch
from tiny_trainers import run_loop, tiny_configs
from torch.nn.utils import parametrize

from trainer.average import average_snapshots
from trainer.checkpoint import load_checkpoint
from trainer.export import ExportError, export_checkpoint, load_for_inference


def exported_weights(path) -> dict[str, torch.Tensor]:
    recipe, _ = load_for_inference(path)
    return recipe.export_specs()["generator"].module.state_dict()


@pytest.fixture(scope="module")
def snapshots(image_folder, style_image, tmp_path_factory):
    out = tmp_path_factory.mktemp("fastgan")
    run_loop("fastgan", tiny_configs(image_folder, style_image)["fastgan"], out, steps=3, keep_every=1)
    return sorted((out / "snapshots").glob("step*.pt"))


def test_mean_of_snapshots_exports_with_fresh_spectral_norms(snapshots, tmp_path):
    assert len(snapshots) == 3
    estimated = average_snapshots(snapshots[::-1], tmp_path / "mean.pt")  # any order: the newest is the base
    assert estimated > 0
    each = [exported_weights(path) for path in snapshots]
    mean = exported_weights(tmp_path / "mean.pt")
    plain = [name for name in mean if mean[name].is_floating_point() and not name.endswith(("_u", "_v"))]
    for name in plain:
        assert torch.allclose(mean[name], torch.stack([weights[name] for weights in each]).mean(0), atol=1e-6)
    assert any(not torch.equal(each[0][name], each[-1][name]) for name in plain), "the snapshots differ"

    # The averaged weight's spectral norm as the layer computes it is its true largest singular value.
    recipe, state = load_for_inference(tmp_path / "mean.pt")
    checked = 0
    for layer in recipe.export_specs()["generator"].module.modules():
        if parametrize.is_parametrized(layer, "weight"):
            norm = layer.parametrizations.weight[0]
            matrix = norm._reshape_weight_to_matrix(layer.parametrizations.weight.original.detach())
            sigma = torch.dot(norm._u, torch.mv(matrix, norm._v))
            assert sigma == pytest.approx(torch.linalg.matrix_norm(matrix, ord=2).item(), rel=1e-3)
            checked += 1
    assert checked == estimated
    assert state["counters"] == load_checkpoint(snapshots[-1])["counters"]

    info = export_checkpoint(tmp_path / "mean.pt", tmp_path / "mean.onnx")
    assert "the mean of 3 snapshots, at steps 1, 2, 3" in info.training_summary
    assert (tmp_path / "mean.onnx").is_file()


def test_refuses_one_snapshot_or_snapshots_of_different_runs(snapshots, tmp_path):
    with pytest.raises(ExportError, match="at least two"):
        average_snapshots(snapshots[:1], tmp_path / "mean.pt")
    other = load_checkpoint(snapshots[0])
    other["recipe_config"] = {**other["recipe_config"], "lr": 0.5}  # another run's settings
    torch.save(other, tmp_path / "other.pt")
    with pytest.raises(ExportError, match="same recipe and settings"):
        average_snapshots([snapshots[0], tmp_path / "other.pt"], tmp_path / "mean.pt")
    assert not (tmp_path / "mean.pt").exists()
