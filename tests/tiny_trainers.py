"""Tiny configurations of every trainer recipe, and a short run of the loop: shared by the trainer's tests."""

from __future__ import annotations

import dataclasses

from conftest import random_mobilenet_weights

from trainer.loop import LoopConfig, Trainer
from trainer.recipes.cyclegan import CycleGANConfig, CycleGANRecipe
from trainer.recipes.dcgan import DCGANConfig, DCGANRecipe
from trainer.recipes.fastgan import FastGANConfig, FastGANRecipe
from trainer.recipes.style import StyleConfig, StyleRecipe
from trainer.recipes.unet import UNetConfig, UNetRecipe
from trainer.recipes.upscale import UpscaleConfig, UpscaleRecipe
from trainer.recipes.vae import VAEConfig, VAERecipe

MOBILENET = random_mobilenet_weights()


def tiny_configs(image_folder, style_image):
    configs = {
        "style": StyleConfig(
            photos=str(image_folder),
            style_image=str(style_image),
            feature_weights=str(MOBILENET),
            size=32,
            style_size=32,
            width=4,
            residual_blocks=1,
        ),
        "dcgan": DCGANConfig(images=str(image_folder), size=16, latent_size=8, width=8, max_channels=16),
        "fastgan": FastGANConfig(
            images=str(image_folder),
            size=32,
            latent_size=8,
            width=16,
            d_width=4,
            reconstruction_size=16,
            ema_decay=0.5,
            lr=1e-3,
        ),
        "vae": VAEConfig(images=str(image_folder), size=16, latent_size=8, width=8, max_channels=16),
        "unet": UNetConfig(
            photos=str(image_folder),
            paintings=str(image_folder),
            encoder_weights=str(MOBILENET),
            size=32,
            width=4,
            d_width=4,
        ),
        # The shipped translator's recipe: PatchNCE content, multi-scale spectral critics, photos as negatives,
        # chroma, and the grey texture critic on the paintings' own scale. From a random-weight encoder, whose
        # patches start alike, PatchNCE needs a larger step to move within a dozen steps.
        "unet-cut": UNetConfig(
            photos=str(image_folder),
            paintings=str(image_folder),
            encoder_weights=str(MOBILENET),
            size=64,
            width=4,
            d_width=4,
            content="nce",
            content_weight=1,
            nce_patches=16,
            critic_scales=2,
            critic_norm="spectral",
            photo_negative_weight=1,
            chroma_weight=2,
            light_weight=1,
            identity_weight=0,
            texture_weight=1,
            texture_source_size=72,
            texture_crop=32,
            lr=1e-3,
        ),
        "upscale": UpscaleConfig(
            paintings=str(image_folder),
            factor=2,
            size=16,
            source_size=32,
            width=8,
            blocks=1,
            feature_weights=str(MOBILENET),
            lr=3e-3,
        ),
        "cyclegan": CycleGANConfig(
            photos=str(image_folder),
            paintings=str(image_folder),
            size=32,
            width=4,
            residual_blocks=1,
            d_width=4,
            pool_size=3,
        ),
    }
    configs["upscale-gan"] = dataclasses.replace(configs["upscale"], critic_weight=0.05, critic_width=8)
    configs["unet-brush"] = dataclasses.replace(configs["unet"], brush_radius=2, brush_relief=0.6, brush_stroke=3)
    return configs


RECIPE_CLASSES = {
    "style": StyleRecipe,
    "dcgan": DCGANRecipe,
    "fastgan": FastGANRecipe,
    "vae": VAERecipe,
    "unet": UNetRecipe,
    "unet-cut": UNetRecipe,
    "unet-brush": UNetRecipe,
    "upscale": UpscaleRecipe,
    "upscale-gan": UpscaleRecipe,
    "cyclegan": CycleGANRecipe,
}


def run_loop(name, config, out, steps, resume=False, **loop_options):
    loop = LoopConfig(
        out=str(out), steps=steps, batch_size=4, sample_every=2, checkpoint_every=100, log_every=1, **loop_options
    )
    trainer = Trainer(RECIPE_CLASSES[name].name, config, loop, resume=resume)
    trainer.run()
    return trainer
