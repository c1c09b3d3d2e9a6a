"""Training curves: `python -m trainer plot` from log.jsonl, and the loop's TensorBoard events."""

from __future__ import annotations

import json
import shutil
import sys
import time

import pytest
from conftest import gradient_image
from PIL import Image
from typer.testing import CliRunner

from trainer.cli import app as trainer_app
from trainer.loop import LoopConfig, Trainer
from trainer.plot import DPI, PANEL_INCHES, smooth
from trainer.recipes.vae import VAEConfig
from trainer.tensorboard_log import TensorBoardLog


def write_log(run, records):
    run.mkdir(parents=True)
    (run / "log.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))


def plot(*args):
    return CliRunner().invoke(trainer_app, ["plot", *map(str, args)])


def test_two_runs_overlaid_in_one_png(tmp_path):
    losses = lambda step: dict(loss_d=1 / step, loss_g=2.0 + step % 3, d_real=0.8, d_fake=0.3)
    gan = [{"step": step, "images": 8 * step, "seconds": step / 10, **losses(step)} for step in range(1, 40)]
    write_log(tmp_path / "gan", gan)
    write_log(
        tmp_path / "gan-2", [{"step": step, "images": 4 * step, "seconds": step, "loss_g": 1.5} for step in range(1, 9)]
    )
    with (tmp_path / "gan-2" / "log.jsonl").open("a") as log:
        log.write('{"step": 9, "ima')  # a running job's half-written line

    result = plot(tmp_path / "gan", tmp_path / "gan-2", "--out", tmp_path / "curves" / "c.png", "--smoothing", 0.9)

    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "curves" / "c.png") as picture:
        picture.verify()
        # panels loss_d, loss_g and D(x) with D(G(z)), in one row
        assert (picture.format, picture.size) == ("PNG", (3 * PANEL_INCHES[0] * DPI, PANEL_INCHES[1] * DPI))


@pytest.mark.parametrize("content", [None, "", b"\x89PNG\r\n\x1a\n\x9d\xff", '{"step": 1, "loss": 2}\n'])
def test_a_missing_empty_or_foreign_log_is_one_line_and_exit_2(tmp_path, content):
    """No log, an empty one, a photo in its place, or JSON lines that no training wrote (no images count)."""
    run = tmp_path / "run"
    run.mkdir()
    if isinstance(content, bytes):
        (run / "log.jsonl").write_bytes(content)
    elif content is not None:
        (run / "log.jsonl").write_text(content)
    result = plot(run, "--out", tmp_path / "c.png")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith(f"error: {run}")
    assert not (tmp_path / "c.png").exists()


def test_smoothing_is_a_debiased_moving_average():
    assert smooth([4.0, 4.0, 4.0], 0.9) == pytest.approx([4.0, 4.0, 4.0])  # no pull towards 0 at the start
    assert smooth([0.0, 1.0], 0.5) == pytest.approx([0.0, 2 / 3])
    assert smooth([3.0, 5.0], 0.0) == [3.0, 5.0]


def train_vae(images, run, steps, resume=False):
    config = VAEConfig(images=str(images), size=16, latent_size=8, width=8, max_channels=16)  # the cheapest recipe
    loop = LoopConfig(out=str(run), steps=steps, batch_size=4, sample_every=2, log_every=1)
    Trainer("vae", config, loop, resume=resume).run()


def test_tensorboard_events_are_written_and_a_resume_draws_no_step_twice(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    images, run = tmp_path / "images", tmp_path / "run"
    images.mkdir()
    for index in range(4):
        Image.fromarray(gradient_image(20, 20, seed=index)).save(images / f"{index}.png")
    train_vae(images, run, steps=2)
    shutil.copy(run / "checkpoint.pt", tmp_path / "step2.pt")
    train_vae(images, run, steps=4, resume=True)
    # A crash after step 4 that lost the checkpoint: the run resumes from step 2 and logs steps 3 and 4 again.
    shutil.copy(tmp_path / "step2.pt", run / "checkpoint.pt")
    time.sleep(1)  # event files are read in name order, and the name's clock has whole seconds
    train_vae(images, run, steps=4, resume=True)

    events = event_accumulator.EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    assert len(list((run / "tensorboard").iterdir())) == 3
    logged = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    for name in logged[0].keys() - {"step", "images", "seconds"}:
        scalars = events.Scalars(name)
        assert [scalar.step for scalar in scalars] == [1, 2, 3, 4], name
        assert [scalar.value for scalar in scalars] == pytest.approx([record[name] for record in logged], abs=1e-5)
    assert {image.step for image in events.Images("samples")} == {2, 4}


def test_without_tensorboard_the_log_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # how Python marks a package as not installed
    grid = tmp_path / "grid.png"
    Image.new("RGB", (8, 8)).save(grid)
    log = TensorBoardLog(tmp_path / "tensorboard", first_step=1)
    log.scalars(1, {"loss": 0.5})
    log.image(1, grid)
    log.close()
    assert not (tmp_path / "tensorboard").exists()
