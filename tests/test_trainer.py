"""The trainer on tiny models and tiny images: losses move, resume is exact, failures stop cleanly."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from conftest import REPO, gradient_image, need_shared
from PIL import Image
from tiny_trainers import MOBILENET, RECIPE_CLASSES, run_loop, tiny_configs

from trainer.checkpoint import load_checkpoint, training_summary
from trainer.data import BatchStream, FaceBox, ImageFolder, square_crop
from trainer.loop import LoopConfig, Trainer, TrainingDiverged
from trainer.recipes.dcgan import DCGANRecipe
from trainer.recipes.fastgan import FastGANConfig
from trainer.recipes.unet import UNetRecipe
from trainer.recipes.vae import VAEConfig, VAERecipe

WATCHED_LOSS = {
    "style": "loss",
    "dcgan": "loss_d",
    "fastgan": "reconstruction",
    "vae": "loss",
    "unet": "loss_g",
    "unet-cut": "content",
    "unet-brush": "loss_g",
    "upscale": "loss",
    "upscale-gan": "loss_d",
    "cyclegan": "cycle",
}
RECIPES = list(RECIPE_CLASSES)


@pytest.mark.parametrize("name", RECIPES)
def test_loss_decreases_on_a_fixed_batch(name, image_folder, style_image):
    torch.manual_seed(0)
    config = tiny_configs(image_folder, style_image)[name]
    recipe = RECIPE_CLASSES[name](config, torch.device("cpu"))
    images = ImageFolder(image_folder, config.size)
    batch = BatchStream(images, batch_size=4, seed=0).batch(0)
    recipe.total_steps = 12
    batches = dict.fromkeys(recipe.data_roles(), batch)
    losses = [recipe.train_step(batches, step)[WATCHED_LOSS[name]] for step in range(12)]
    assert sum(losses[-3:]) / 3 < 0.9 * sum(losses[:3]) / 3, losses


@pytest.mark.parametrize("name", RECIPES)
def test_resume_is_exact(name, image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)[name]
    straight = run_loop(name, config, tmp_path / "straight", steps=4)
    run_loop(name, config, tmp_path / "halves", steps=2)
    resumed = run_loop(name, config, tmp_path / "halves", steps=4, resume=True)
    for net_name in straight.recipe.nets:
        for (key, expected), actual in zip(
            straight.recipe.unwrapped(net_name).state_dict().items(),
            resumed.recipe.unwrapped(net_name).state_dict().values(),
        ):
            assert torch.equal(expected, actual), f"{net_name}.{key} differs after resume"
    log = [json.loads(line) for line in (tmp_path / "halves" / "log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in log] == [1, 2, 3, 4]
    assert sorted(path.name for path in (tmp_path / "halves" / "samples").iterdir()) == [
        "step0000002.png",
        "step0000004.png",
    ]


def test_existing_run_is_never_overwritten(image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)["vae"]
    run_loop("vae", config, tmp_path, steps=1)
    with pytest.raises(FileExistsError, match="--resume"):
        run_loop("vae", config, tmp_path, steps=2)


def test_init_from_starts_a_new_run_from_trained_weights_with_other_options(image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)["vae"]
    trained = run_loop("vae", config, tmp_path / "first", steps=3)
    tuned = Trainer(
        "vae",
        dataclasses.replace(config, beta=0.5),
        LoopConfig(out=str(tmp_path / "tuned"), steps=2, batch_size=4, init_from=str(tmp_path / "first")),
    )
    for expected, actual in zip(
        trained.recipe.nets["decoder"].state_dict().values(), tuned.recipe.nets["decoder"].state_dict().values()
    ):
        assert torch.equal(expected, actual)
    assert tuned.counters.step == 0
    # a run that took no step of its own only exported the weights it started from, and says so
    first = load_checkpoint(tmp_path / "first")
    unmoved = {**first, "counters": {**first["counters"], "step": 0}, "started_from": "vae recipe, 3 steps"}
    summary = training_summary(unmoved)
    assert summary.startswith("vae recipe, no training of its own") and "0 steps" not in summary
    tuned.run()
    summary = training_summary(load_checkpoint(tmp_path / "tuned"))
    assert summary.startswith("vae recipe, 2 steps") and "started from [vae recipe, 3 steps" in summary
    resumed = Trainer(
        "vae",
        dataclasses.replace(config, beta=0.5),
        LoopConfig(out=str(tmp_path / "tuned"), steps=3, batch_size=4),
        resume=True,
    )
    resumed.run()
    assert "started from [vae recipe, 3 steps" in training_summary(
        load_checkpoint(tmp_path / "tuned")
    )  # kept across --resume
    with pytest.raises(ValueError, match="a vae checkpoint, not dcgan"):
        Trainer(
            "dcgan",
            tiny_configs(image_folder, style_image)["dcgan"],
            LoopConfig(out=str(tmp_path / "wrong"), steps=1, batch_size=4, init_from=str(tmp_path / "first")),
        )


def test_init_from_a_fastgan_run_goes_on_from_its_moving_average(image_folder, style_image, tmp_path):
    # The average is the exported model: a fine-tune (e.g. at a lower --lr) must start from it, not from noise.
    config = tiny_configs(image_folder, style_image)["fastgan"]
    trained = run_loop("fastgan", config, tmp_path / "first", steps=3)
    tuned = Trainer(
        "fastgan",
        dataclasses.replace(config, lr=1e-4),
        LoopConfig(out=str(tmp_path / "tuned"), steps=1, batch_size=4, init_from=str(tmp_path / "first")),
    )
    saved, started = trained.recipe.ema.state_dict(), tuned.recipe.ema.state_dict()
    assert all(torch.equal(saved[name], started[name]) for name in saved)
    live = trained.recipe.nets["generator"].state_dict()
    assert any(not torch.equal(saved[name], live[name]) for name in saved), "the average is not the live weights"


def test_init_from_the_shipped_sampler_reads_its_weights_back(image_folder, tmp_path):
    # A shipped model outlives its run's checkpoints: going on from its ONNX file must start from exactly what it
    # paints, with fresh critics (the face critic too, which the first run did not have).
    import onnxruntime as ort

    shipped = REPO / "exported" / "portrait-gan.onnx"
    config = FastGANConfig(images=str(image_folder), face_critic=0.5)
    loop = LoopConfig(out=str(tmp_path / "tuned"), steps=1, batch_size=2, init_from=str(shipped))
    tuned = Trainer("fastgan", config, loop)
    latents = np.random.default_rng(0).standard_normal((3, config.latent_size)).astype(np.float32)
    session = ort.InferenceSession(str(shipped), providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: latents})[0]
    with torch.no_grad():
        started = tuned.recipe.ema.eval()(torch.from_numpy(latents)).numpy()
    assert np.abs(started - expected).max() < 1e-4
    generator = tuned.recipe.nets["generator"]
    assert generator.training, "the network to train is left in training mode"
    assert all(
        torch.equal(a, b) for a, b in zip(generator.state_dict().values(), tuned.recipe.ema.state_dict().values())
    )
    assert "fastgan recipe, 34000 steps" in tuned.started_from and "portrait-gan.onnx" in tuned.started_from
    assert set(tuned.recipe.nets) == {"generator", "discriminator", "face_critic"}
    tuned.run()  # and it trains on from there
    with pytest.raises(ValueError, match="a fastgan model, not vae"):
        Trainer("vae", VAEConfig(images=str(image_folder)), dataclasses.replace(loop, out=str(tmp_path / "vae")))
    with pytest.raises(ValueError, match="its latent_size is 128, these options' 64"):
        Trainer(
            "fastgan", dataclasses.replace(config, latent_size=64), dataclasses.replace(loop, out=str(tmp_path / "l"))
        )
    with pytest.raises(ValueError, match=r"convolves with a \(128, 512, 4, 4\) weight"):
        Trainer("fastgan", dataclasses.replace(config, width=128), dataclasses.replace(loop, out=str(tmp_path / "w")))


def test_init_from_an_exported_model_refuses_what_it_cannot_read_back(image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)["fastgan"]
    run_loop("fastgan", config, tmp_path / "first", steps=1, export_to=str(tmp_path / "first.onnx"))
    with pytest.raises(ValueError, match=r"batch norms \(.*start\.1.*\) were folded into convolutions"):
        Trainer(
            "fastgan", config, LoopConfig(out=str(tmp_path / "again"), steps=1, init_from=str(tmp_path / "first.onnx"))
        )


def test_init_from_an_int8_copy_says_its_weights_cannot_be_read_back(image_folder, style_image, tmp_path):
    """The default translator ships in int8: its weights cannot be read back, and the error says so in one line."""
    from trainer.quantize import CHECKS, quantize

    config = tiny_configs(image_folder, style_image)["style"]
    run_loop("style", config, tmp_path / "first", steps=1, export_to=str(tmp_path / "first.onnx"))
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(2 + CHECKS):
        Image.fromarray(gradient_image(40, 36, seed=index)).save(photos / f"photo{index}.png")
    quantize(tmp_path / "first.onnx", tmp_path / "first-int8.onnx", photos, count=2, min_psnr=0.0)
    with pytest.raises(ValueError, match=r"an int8 copy, whose weights cannot be read back"):
        Trainer(
            "style",
            config,
            LoopConfig(out=str(tmp_path / "again"), steps=1, init_from=str(tmp_path / "first-int8.onnx")),
        )


def test_fastgan_critic_warmup_trains_the_critics_alone_then_the_generator(image_folder, style_image):
    torch.manual_seed(0)
    config = dataclasses.replace(
        tiny_configs(image_folder, style_image)["fastgan"], critic_warmup=2, face_critic=0.5, size=64
    )
    recipe = RECIPE_CLASSES["fastgan"](config, torch.device("cpu"))
    batch = {"images": torch.rand(4, 3, config.size, config.size) * 2 - 1}

    def weights(name):
        return [parameter.detach().clone() for parameter in recipe.nets[name].parameters()]

    def moved(before, name):
        return any(not torch.equal(old, new) for old, new in zip(before, weights(name)))

    for step in range(2):
        generator, critic, face_critic = weights("generator"), weights("discriminator"), weights("face_critic")
        losses = recipe.train_step(batch, step)
        assert (
            not moved(generator, "generator") and moved(critic, "discriminator") and moved(face_critic, "face_critic")
        )
    assert {"loss_g", "loss_d", "face_loss_d", "face_reconstruction"} <= set(losses)
    generator = weights("generator")
    recipe.train_step(batch, 2)
    assert moved(generator, "generator")


def test_fastgan_learning_rate_decays_late_and_a_resumed_run_may_take_the_decay_up(image_folder, style_image, tmp_path):
    from trainer.resume_check import check_resume_matches

    config = tiny_configs(image_folder, style_image)["fastgan"]
    run_loop("fastgan", config, tmp_path / "run", steps=2)
    later = dataclasses.replace(config, decay_fraction=0.5)  # over steps 2 to 4: none taken yet
    check_resume_matches("fastgan", later, LoopConfig(out=str(tmp_path / "run"), steps=4, batch_size=4))
    # A decay that would have begun before the checkpoint's step would change steps already taken: refused.
    with pytest.raises(ValueError, match="decay_fraction: 0.0 -> 0.9"):
        check_resume_matches(
            "fastgan",
            dataclasses.replace(config, decay_fraction=0.9),
            LoopConfig(out=str(tmp_path / "run"), steps=4, batch_size=4),
        )
    resumed = run_loop("fastgan", later, tmp_path / "run", steps=4, resume=True)
    lr = config.lr
    assert [resumed.recipe.learning_rate(step) for step in (1, 2, 3)] == pytest.approx([lr, lr, lr / 2])
    rates = [group["lr"] for optimizer in resumed.recipe.optimizers.values() for group in optimizer.param_groups]
    assert rates == pytest.approx([lr / 2] * len(rates)), "each step sets the schedule's rate, the last was step 3"


def test_the_mode_seeking_term_penalises_one_face_for_every_latent_and_reaches_the_generator(
    image_folder, style_image, monkeypatch
):
    import trainer.recipes.fastgan as fastgan
    from trainer.models.face_landmarks import FaceLandmarks

    torch.manual_seed(0)
    mesh = FaceLandmarks().eval().requires_grad_(False)  # random weights: the term's arithmetic, not MediaPipe's
    latent = torch.randn(4, 8)
    same = torch.rand(1, 3, 64, 64).repeat(4, 1, 1, 1) * 2 - 1
    different = (torch.rand(4, 3, 64, 64) * 2 - 1).requires_grad_(True)
    one_face, many = fastgan._shape_spread(mesh, same, latent), fastgan._shape_spread(mesh, different, latent)
    assert one_face.item() > many.item() + 3, "one face for every latent costs far more than faces that differ"
    many.backward()
    assert different.grad.abs().sum() > 0, "the term's gradient reaches the portraits"

    config = dataclasses.replace(tiny_configs(image_folder, style_image)["fastgan"], size=64, landmark_diversity=0.1)
    with pytest.raises(ValueError, match="--landmark-diversity needs --face-landmarks"):
        RECIPE_CLASSES["fastgan"](config, torch.device("cpu"))
    monkeypatch.setattr(fastgan, "load_face_landmarks", lambda path: mesh)
    real = torch.rand(4, 3, 64, 64) * 2 - 1

    def generator_after_a_step(weight: float, batch: torch.Tensor = real) -> list[torch.Tensor]:
        torch.manual_seed(1)  # the same nets, latents and augmentations whatever the weight
        tuned = dataclasses.replace(config, face_landmarks="mesh.tflite", landmark_diversity=weight)
        recipe = RECIPE_CLASSES["fastgan"](tuned, torch.device("cpu"))
        losses = recipe.train_step({"images": batch}, 0)
        assert ("landmark_diversity" in losses) == (weight > 0) and np.isfinite(losses.get("landmark_diversity", 0))
        return [parameter.detach().clone() for parameter in recipe.nets["generator"].parameters()]

    without, with_term = generator_after_a_step(1e-9), generator_after_a_step(10.0)
    assert any(not torch.allclose(a, b) for a, b in zip(without, with_term)), "the term moves the generator"
    generator_after_a_step(10.0, real[:3])  # an odd batch: its last portrait sits out
    with pytest.raises(ValueError, match="--batch-size 2 or more"):
        generator_after_a_step(10.0, real[:1])


def test_projected_critic_learns_while_its_feature_network_stays_frozen(image_folder, style_image):
    torch.manual_seed(0)
    imagenet = need_shared("weights", "mobilenet_v2_imagenet.pth")  # random features give the critic nothing to learn
    config = dataclasses.replace(
        tiny_configs(image_folder, style_image)["unet"], critic="features", d_width=8, feature_weights=str(imagenet)
    )
    recipe = UNetRecipe(config, torch.device("cpu"))
    critic = recipe.nets["discriminator"]
    frozen = {
        key: value.clone()
        for key, value in critic.state_dict().items()
        if not key.startswith("heads.") or ".mixing." in key
    }
    heads = {key: value.clone() for key, value in critic.state_dict().items() if key not in frozen}
    batch = BatchStream(ImageFolder(image_folder, config.size), batch_size=4, seed=0).batch(0)
    recipe.total_steps = 12
    losses = [recipe.train_step({"photos": batch, "paintings": batch.flip(0)}, step)["loss_d"] for step in range(12)]
    state = critic.state_dict()
    assert all(torch.equal(value, state[key]) for key, value in frozen.items())
    assert not all(torch.equal(value, state[key]) for key, value in heads.items())
    assert sum(losses[-3:]) < sum(losses[:3]), losses
    assert [logits.shape[-1] for logits in critic(batch)] == [16, 8, 4]  # strides 8, 16, 32 of 32 px upsampled to 128


def test_dcgan_with_a_projected_critic_learns_from_one_logit_per_image(image_folder, style_image):
    torch.manual_seed(0)
    # A projected critic is only as good as its pretrained features: random ones give it nothing to learn from.
    imagenet = need_shared("weights", "mobilenet_v2_imagenet.pth")
    config = dataclasses.replace(
        tiny_configs(image_folder, style_image)["dcgan"], critic="features", loss="hinge", feature_weights=str(imagenet)
    )
    recipe = DCGANRecipe(config, torch.device("cpu"))
    batch = BatchStream(ImageFolder(image_folder, config.size), batch_size=4, seed=0).batch(0)
    assert recipe.judge(batch).shape == (4,)
    recipe.total_steps = 12
    losses = [recipe.train_step({"images": batch}, step)["loss_d"] for step in range(12)]
    assert sum(losses[-3:]) < 0.9 * sum(losses[:3]), losses


def test_init_from_with_another_critic_keeps_the_generator_and_starts_the_critic_fresh(
    image_folder, style_image, tmp_path
):
    config = tiny_configs(image_folder, style_image)["unet"]
    trained = run_loop("unet", config, tmp_path / "first", steps=2)
    tuned = Trainer(
        "unet",
        dataclasses.replace(config, critic="features", feature_weights=str(MOBILENET)),
        LoopConfig(out=str(tmp_path / "tuned"), steps=1, batch_size=4, init_from=str(tmp_path / "first")),
    )
    for expected, actual in zip(
        trained.recipe.nets["generator"].state_dict().values(), tuned.recipe.nets["generator"].state_dict().values()
    ):
        assert torch.equal(expected, actual)
    assert "heads.head.network.0.parametrizations.weight.original" in tuned.recipe.nets["discriminator"].state_dict()


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(image_folder, style_image, tmp_path, monkeypatch):
    config = tiny_configs(image_folder, style_image)["vae"]
    original = VAERecipe.train_step

    def poisoned(self, batches, step):
        losses = original(self, batches, step)
        return {**losses, "loss": float("nan")} if step == 4 else losses

    monkeypatch.setattr(VAERecipe, "train_step", poisoned)
    loop = LoopConfig(out=str(tmp_path), steps=10, batch_size=4, checkpoint_every=2)
    with pytest.raises(TrainingDiverged, match="step 5: loss became nan.*last good checkpoint"):
        Trainer("vae", config, loop).run()
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=False)["counters"]["step"] == 4


def test_time_budget_ends_cleanly(image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)["vae"]
    trainer = run_loop("vae", config, tmp_path, steps=10_000, time_budget_minutes=1e-6)
    assert trainer.counters.step == 1
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=False)["counters"]["step"] == 1


def test_snapshots_keep_each_step_they_were_taken_at(image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)["vae"]
    run_loop("vae", config, tmp_path, steps=5, keep_every=2)
    snapshots = sorted(path.name for path in (tmp_path / "snapshots").iterdir())
    assert snapshots == ["step0000002.pt", "step0000004.pt"]
    kept = torch.load(tmp_path / "snapshots" / "step0000002.pt", weights_only=False)
    assert kept["counters"]["step"] == 2
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=False)["counters"]["step"] == 5
    with pytest.raises(ValueError, match="--keep-every must be 0"):
        run_loop("vae", config, tmp_path / "negative", steps=1, keep_every=-1)


def test_unreadable_images_are_skipped(image_folder):
    images = ImageFolder(image_folder, 16)
    assert len(images) == 10 and all(path.suffix == ".png" for path in images.paths)


def test_batches_depend_only_on_seed_step_and_rank(image_folder):
    images = ImageFolder(image_folder, 16)
    first, again = BatchStream(images, 4, seed=1), BatchStream(images, 4, seed=1)
    assert torch.equal(first.batch(7), again.batch(7))
    assert not torch.equal(first.batch(7), first.batch(8))
    assert first.batch(0).min() >= -1 and first.batch(0).max() <= 1 and first.batch(0).shape == (4, 3, 16, 16)
    rank0, rank1 = BatchStream(images, 4, 1, rank=0, world_size=2), BatchStream(images, 4, 1, rank=1, world_size=2)
    assert not torch.equal(rank0.batch(0), rank1.batch(0))


def test_face_aware_crop_frames_the_face():
    face = FaceBox(300, 100, 380, 200)  # a 100 px tall face high up in a wide 800x600 painting
    left, top, right, bottom = square_crop(800, 600, face, framing=2.0)
    assert right - left == bottom - top == 200
    assert left <= 300 and right >= 380 and top <= 100 and bottom >= 200
    assert square_crop(800, 600, None, 2.0) == (100, 0, 700, 600)


def test_face_boxes_from_csv_are_used(tmp_path):
    folder = tmp_path / "paintings"
    folder.mkdir()
    image = gradient_image(200, 100)
    image[20:40, 150:170] = 255  # a white "face"
    Image.fromarray(image).save(folder / "sitter.png")
    (tmp_path / "faces.csv").write_text("path,w,h,x1,y1,x2,y2,prob\npaintings/sitter.png,200,100,150,20,170,40,0.99\n")
    from trainer.data import read_face_boxes

    crops = ImageFolder(folder, 16, read_face_boxes(tmp_path / "faces.csv"), framing=2.0)
    assert crops.face_cropped == 1
    centre = crops.fixed(1)[0, :, 4:12, 4:12]
    assert centre.mean() > 0.5, "the crop must be centred on the white face"


def test_checkpoint_describes_itself(image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)["dcgan"]
    run_loop("dcgan", config, tmp_path, steps=2, data_licence="CC0")
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert state["recipe"] == "dcgan" and state["recipe_config"] == dataclasses.asdict(config)
    assert state["loop_config"]["data_licence"] == "CC0" and state["counters"]["images_seen"] == 8
    assert set(state["recipe_state"]["optimizers"]) == {"generator", "discriminator"}


def test_face_detector_finds_real_faces_and_writes_a_csv(tmp_path):
    from conftest import EXAMPLES

    from trainer.data import read_face_boxes
    from trainer.faces import FaceDetector, write_face_csv

    detector = FaceDetector(need_shared("weights"))
    astronaut = np.asarray(Image.open(EXAMPLES / "astronaut.jpg").convert("RGB"))
    face = detector.main_face(astronaut)
    assert face.probability > 0.95 and 150 < face.centre[0] < 300 and 60 < face.centre[1] < 200
    assert detector.main_face(gradient_image(200, 200)) is None

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(astronaut).save(folder / "astronaut.png")
    Image.fromarray(gradient_image(120, 120)).save(folder / "no-face.png")
    assert write_face_csv(folder, tmp_path / "boxes" / "faces.csv", detector) == (2, 1)
    boxes = read_face_boxes(tmp_path / "boxes" / "faces.csv")
    assert list(boxes) == [(folder / "astronaut.png").resolve()]

    checked = tmp_path / "boxes" / "faces.csv"
    checked.write_text("path,x1,y1,x2,y2\nhand/checked.png,1,2,3,4\n")

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_face_csv(folder, checked, detector, on_image=interrupted)
    assert checked.read_text() == "path,x1,y1,x2,y2\nhand/checked.png,1,2,3,4\n", "an interrupted run keeps the CSV"


def torchrun_dcgan(image_folder, out, *options: str):
    """`trainer train dcgan` on a tiny net in two processes through torchrun (gloo on CPU)."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "trainer", "train"]
    command += ["dcgan", "--images", str(image_folder), "--size", "16", "--width", "4", "--latent-size", "4"]
    command += ["--batch-size", "2", "--r1-gamma", "1", "--diffaugment", "color,translation", "--out", str(out)]
    return subprocess.run([*command, *options], capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_torchrun_ddp_on_cpu(image_folder, tmp_path):
    """Two processes through torchrun (gloo on CPU): each trains on its own share and rank 0 writes."""
    result = torchrun_dcgan(image_folder, tmp_path, "--steps", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert state["counters"] == {"step": 3, "images_seen": 12, "wall_seconds": state["counters"]["wall_seconds"]}
    assert state["hardware"].startswith("2 x ")
    # Each rank's own RNG state is kept, so a resumed rank continues its own random stream.
    ranks = state["rng_by_rank"]
    assert len(ranks) == 2 and not torch.equal(ranks[0]["torch"], ranks[1]["torch"])


@pytest.mark.slow
def test_torchrun_ranks_agree_to_stop_on_the_time_budget(image_folder, tmp_path):
    # A rank that stopped alone would leave the other waiting forever in its next all-reduce.
    result = torchrun_dcgan(image_folder, tmp_path, "--steps", "100000", "--time-budget", "0.002")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "time budget" in result.stdout + result.stderr
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert 1 <= state["counters"]["step"] < 100000


def test_resnet18_encoder_loads_a_torchvision_style_state_dict(tmp_path):
    from trainer.models.encoders import ResNet18Encoder
    from trainer.models.unet import UNet

    source = ResNet18Encoder()
    state = dict(source.state_dict())
    state["fc.weight"] = torch.zeros(1000, 512)  # a classifier head, as in torchvision files, is ignored
    torch.save(state, tmp_path / "resnet18.pth")
    net = UNet("resnet18", str(tmp_path / "resnet18.pth"), width=4)
    assert torch.equal(net.encoder.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    assert net(torch.rand(1, 3, 64, 96) * 2 - 1).shape == (1, 3, 64, 96)


def test_unet_decoder_uses_pixel_norm_by_default_and_instance_norm_stays_loadable():
    from trainer.models.layers import PixelNorm
    from trainer.models.unet import UNet

    def count(net, kind):
        return sum(isinstance(module, kind) for module in net.decoder.modules())

    pixel, older = UNet(width=4), UNet(width=4, decoder_norm="instance")
    assert (count(pixel, PixelNorm), count(pixel, torch.nn.InstanceNorm2d)) == (10, 0)  # two convs in five blocks
    assert count(older, torch.nn.InstanceNorm2d) == 10
    image = torch.rand(1, 3, 64, 64) * 2 - 1
    assert pixel(image).shape == older(image).shape == (1, 3, 64, 64)
    with pytest.raises(ValueError, match="decoder norm must be one of instance, pixel, not 'batch'"):
        UNet(width=4, decoder_norm="batch")


def test_pixel_norm_is_local_a_spike_elsewhere_changes_nothing_here():
    from trainer.models.layers import PixelNorm

    torch.manual_seed(0)
    features = torch.randn(1, 8, 6, 6)
    spiked = features.clone()
    spiked[0, :, 0, 0] *= 1000  # what instance norm would let dominate the whole map's statistics
    normed, normed_spiked = PixelNorm()(features), PixelNorm()(spiked)
    assert torch.allclose(normed[..., 1:, :], normed_spiked[..., 1:, :])
    assert torch.allclose(normed.pow(2).mean(dim=1), torch.ones(1, 6, 6), atol=1e-4)
    instance = torch.nn.InstanceNorm2d(8)
    assert not torch.allclose(instance(features)[..., 1:, :], instance(spiked)[..., 1:, :], atol=0.1)


def test_fastgan_exports_its_moving_average_which_resumes_exactly(image_folder, style_image, tmp_path):
    config = tiny_configs(image_folder, style_image)["fastgan"]
    straight = run_loop("fastgan", config, tmp_path / "straight", steps=4)
    run_loop("fastgan", config, tmp_path / "halves", steps=2)
    resumed = run_loop("fastgan", config, tmp_path / "halves", steps=4, resume=True)
    for expected, actual in zip(straight.recipe.ema.state_dict().values(), resumed.recipe.ema.state_dict().values()):
        assert torch.equal(expected, actual)
    live, average = straight.recipe.nets["generator"], straight.recipe.ema
    assert not torch.equal(next(live.parameters()), next(average.parameters()))  # decay 0.5: behind the live weights
    assert straight.recipe.export_specs()["generator"].module is average


def test_checkpoint_is_written_with_a_new_files_mode(image_folder, style_image, tmp_path):
    import stat

    from portraitize.files import FILE_MODE

    run_loop("vae", tiny_configs(image_folder, style_image)["vae"], tmp_path, steps=1)
    assert stat.S_IMODE((tmp_path / "checkpoint.pt").stat().st_mode) == FILE_MODE  # not the temp file's 0600
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")], "no temp file left"


def test_a_file_of_the_wrong_kind_is_one_line_whichever_command_meets_it(tmp_path):
    """`python -m trainer` says a wrong or missing file in one line, exit 2, not as a traceback: a photo given
    as a checkpoint or as an .onnx model, a folder where a model file is read, wrong MobileNetV2 weights."""
    import subprocess
    import sys

    photo = tmp_path / "photo.png"
    Image.fromarray(gradient_image(40, 30)).save(photo)
    images = tmp_path / "images"
    images.mkdir()
    Image.fromarray(gradient_image(40, 30)).save(images / "a.png")
    commands = [
        (["sample", str(photo), "--out", str(tmp_path / "grid.png")], "not a readable checkpoint"),
        (["cut-to-generator", str(photo), str(tmp_path / "g.onnx")], f"{photo}: not an .onnx model"),
        (["cut-to-generator", str(images), str(tmp_path / "g.onnx")], f"{images}: Is a directory"),
        (["latent-check", str(photo)], f"{photo}: not an .onnx model"),
        (
            ["evaluate", "--real", str(images), "--images", str(images), "--features-script", str(photo)],
            f"{photo}: not a TorchScript network",
        ),
        (
            ["evaluate", "--real", str(images), "--images", str(images), "--features", str(photo)],
            "not MobileNetV2 weights",
        ),
    ]
    for command, said in commands:
        result = subprocess.run(
            [sys.executable, "-m", "trainer", *command], capture_output=True, text=True, timeout=120, cwd=REPO
        )
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 and len(lines) == 1 and said in lines[0], (command, result.stderr[-2000:])


def test_only_errors_about_a_file_become_one_line_and_bugs_keep_their_traceback():
    import errno

    from trainer.cli import _about_a_file
    from trainer.export import ExportError

    assert _about_a_file(FileNotFoundError(errno.ENOENT, "No such file or directory", "x.pt")).startswith("x.pt: ")
    assert _about_a_file(FileNotFoundError("x.pt: no checkpoint there")) == "x.pt: no checkpoint there"
    assert _about_a_file(ExportError("m.onnx: not an .onnx model")) == "m.onnx: not an .onnx model"
    assert _about_a_file(OSError(errno.ENOSPC, "No space left on device")) is None, "a full disk is no bad input"
    assert _about_a_file(KeyError("images")) is None and _about_a_file(ValueError("a bug")) is None


def test_a_commands_own_error_about_a_file_is_worded_as_the_boundary_words_it(capsys):
    import errno

    import typer

    from trainer.cli import fail

    with pytest.raises(typer.Exit):
        fail(FileNotFoundError(errno.ENOENT, "No such file or directory", "x.pt"))
    assert capsys.readouterr().err.strip() == "error: x.pt: No such file or directory"
    with pytest.raises(typer.Exit):
        fail(ValueError("--size must be a multiple of 8"))
    assert capsys.readouterr().err.strip() == "error: --size must be a multiple of 8"


def test_loop_options_out_of_range_are_refused_before_any_work(image_folder, tmp_path):
    from typer.testing import CliRunner

    from trainer.cli import app

    runner = CliRunner()
    base = ["train", "dcgan", "--images", str(image_folder), "--size", "16", "--width", "4", "--latent-size", "4"]
    for option in (["--sample-every", "0"], ["--batch-size", "0"], ["--steps", "-5"], ["--log-every", "0"]):
        result = runner.invoke(app, [*base, "--out", str(tmp_path / "run"), *option])
        said = " ".join(result.output.replace("│", " ").split())
        assert result.exit_code == 2 and option[0] in said, (option, result.output)
        assert not (tmp_path / "run").exists()
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "run"), "--time-budget", "-1"])
    assert result.exit_code == 2 and "--time-budget" in " ".join(result.output.replace("│", " ").split())
    for device in ("tpu", "mps"):
        result = runner.invoke(app, [*base, "--out", str(tmp_path / "run"), "--steps", "1", "--device", device])
        assert result.exit_code == 2 and "not a device" in result.output
        assert not (tmp_path / "run").exists(), "a device refused leaves no run folder"
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "run"), "--steps", "1", "--export-to", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.output and not (tmp_path / "run").exists()


def test_evaluations_refuse_a_folder_for_their_json_before_scoring(tmp_path):
    from typer.testing import CliRunner

    from trainer.cli import app

    folder = tmp_path / "scores"
    folder.mkdir()
    for command in (
        ["evaluate", "--real", str(tmp_path), "--images", str(tmp_path), "--json", str(folder)],
        [
            "evaluate-upscaler",
            str(REPO / "exported" / "painting-x4.onnx"),
            "--paintings",
            str(tmp_path),
            "--json",
            str(folder),
        ],
    ):
        result = CliRunner().invoke(app, command)
        said = " ".join(result.output.replace("│", " ").split())
        assert result.exit_code == 2 and "is a directory" in said, result.output


def test_the_trainer_reads_16_bit_grey_as_the_converter_does(tmp_path):
    """A 16-bit grey scan is mid-grey to the trainer too (Pillow's own conversion clips it white), and a file that
    is no image is an OSError naming the file."""
    from trainer.cli import _about_a_file
    from trainer.data import read_rgb

    scan = tmp_path / "scan.png"
    Image.fromarray(np.full((8, 12), 32768, dtype=np.uint16)).save(scan)
    assert np.asarray(read_rgb(scan)).shape == (8, 12, 3) and abs(int(np.asarray(read_rgb(scan)).max()) - 128) <= 1
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(OSError) as raised:
        read_rgb(tmp_path / "notes.png")
    assert (
        _about_a_file(raised.value) == f"{tmp_path / 'notes.png'}: not an image, or in a format portraitize cannot read"
    )


def test_face_boxes_that_frame_no_image_are_refused_before_training(image_folder, tmp_path):
    from typer.testing import CliRunner

    from trainer.cli import app

    base = ["train", "dcgan", "--images", str(image_folder), "--size", "16", "--width", "4", "--latent-size", "4"]
    empty, elsewhere, nan = tmp_path / "empty.csv", tmp_path / "elsewhere.csv", tmp_path / "nan.csv"
    empty.write_text("path,x1,y1,x2,y2\n")
    elsewhere.write_text("path,x1,y1,x2,y2\nother/photo.png,1,1,5,5\n")
    nan.write_text("path,x1,y1,x2,y2\nother/photo.png,1,1,5,5\nother/b.png,nan,1,5,5\n")
    refusals = (
        (empty, "holds no face boxes"),
        (elsewhere, "no box names an image of"),
        (nan, "nan.csv: line 3: the box of other/b.png is not x1 < x2, y1 < y2 in finite numbers"),
    )
    for boxes, said in refusals:
        result = CliRunner().invoke(
            app, [*base, "--out", str(tmp_path / boxes.stem), "--steps", "1", "--faces", str(boxes)]
        )
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
        assert not (tmp_path / boxes.stem).exists(), "a refused run leaves no folder"
