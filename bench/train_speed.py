"""Training steps per second of each recipe at its default size and width, on this machine.

    python bench/train_speed.py [--steps 10] [--batch-size 8] [--recipes style,unet,cyclegan,dcgan,vae]
                                [--size 128]   # every recipe at this size instead of its default

Uses random images (speed does not depend on content) and the real MobileNetV2 loss network when
../shared/weights has it. The first step (warm-up) is not timed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from trainer.recipes.cyclegan import CycleGANConfig, CycleGANRecipe
from trainer.recipes.dcgan import DCGANConfig, DCGANRecipe
from trainer.recipes.style import StyleConfig, StyleRecipe
from trainer.recipes.unet import UNetConfig, UNetRecipe
from trainer.recipes.vae import VAEConfig, VAERecipe

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO.parent / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
STYLE = next((REPO.parent / "shared" / "data" / "styles").glob("*.jpg"), None)


def recipes(overrides: dict) -> dict:
    weights = str(WEIGHTS) if WEIGHTS.exists() else None
    return {
        "style": (StyleRecipe, StyleConfig(photos="", style_image=str(STYLE), feature_weights=weights, **overrides)),
        "unet": (UNetRecipe, UNetConfig(photos="", paintings="", encoder_weights=weights, **overrides)),
        "cyclegan": (CycleGANRecipe, CycleGANConfig(photos="", paintings="", **overrides)),
        "dcgan": (DCGANRecipe, DCGANConfig(images="", **overrides)),
        "vae": (VAERecipe, VAEConfig(images="", **overrides)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--recipes", default="style,unet,cyclegan,dcgan,vae")
    parser.add_argument("--width", type=int, help="override every recipe's width")
    parser.add_argument("--size", type=int, help="override every recipe's size")
    options = parser.parse_args()
    overrides = {key: getattr(options, key) for key in ("width", "size") if getattr(options, key)}
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"device {device}, {torch.get_num_threads()} threads, batch {options.batch_size}")
    print(f"{'recipe':>9} {'size':>5} {'width':>5} {'params':>8} {'steps/s':>8} {'img/s':>7}")
    for name in options.recipes.split(","):
        recipe_class, config = recipes(overrides)[name]
        recipe = recipe_class(config, device)
        recipe.total_steps = options.steps + 1
        batch = torch.rand(options.batch_size, 3, config.size, config.size, device=device) * 2 - 1
        batches = dict.fromkeys(recipe.data_roles(), batch)
        recipe.train_step(batches, 0)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for step in range(1, options.steps + 1):
            recipe.train_step(batches, step)
        if device.type == "cuda":
            torch.cuda.synchronize()
        rate = options.steps / (time.perf_counter() - start)
        parameters = sum(recipe.parameter_count(net) for net in recipe.nets) / 1e6
        print(
            f"{name:>9} {config.size:>5} {config.width:>5} {parameters:>7.2f}M {rate:>8.2f} {rate * options.batch_size:>7.1f}"
        )


if __name__ == "__main__":
    main()
