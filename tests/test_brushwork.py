"""The fixed painting stage: flat patches that keep edges, strokes that follow contours, same result every run."""

from __future__ import annotations

import torch

from trainer.models.brushwork import TILE, Brushwork


def noisy_step_edge(size: int = 48) -> torch.Tensor:
    """[1, 3, size, size] in [-1, 1]: dark left half, bright right half, both with grain."""
    generator = torch.Generator().manual_seed(0)
    image = torch.full((1, 3, size, size), -0.5)
    image[..., size // 2 :] = 0.5
    return image + 0.1 * torch.randn(image.shape, generator=generator)


def test_patches_flatten_grain_but_keep_the_edge():
    image = noisy_step_edge()
    flattened = Brushwork(radius=3, relief=0.0)(image)
    for half in (slice(4, 20), slice(28, 44)):  # away from the edge and the border
        assert flattened[..., 4:44, half].std() < 0.5 * image[..., 4:44, half].std()
    edge = (flattened[..., 24].mean() - flattened[..., 23].mean()).item()
    assert edge > 0.5, "the step from -0.5 to 0.5 stays a step (a 7 px box blur would leave 0.14 per px)"


def test_strokes_run_along_the_contours():
    # Vertical stripes: the contours are vertical, so the strokes' light must change far less down a column
    # than across a row.
    columns = torch.linspace(0, 6 * torch.pi, 64)
    image = (0.5 * torch.sin(columns)).view(1, 1, 1, 64).expand(1, 3, 64, 64).contiguous()
    light = Brushwork(radius=0, stroke=6, relief=0.6).stroke_light((image + 1) / 2)[..., 8:56, 8:56]
    down = (light[..., 1:, :] - light[..., :-1, :]).abs().mean()
    across = (light[..., :, 1:] - light[..., :, :-1]).abs().mean()
    assert light.std() > 0.01, "the strokes are visible"
    assert down < 0.5 * across, (down, across)


def test_same_settings_paint_the_same_and_images_beyond_a_tile_work():
    image = torch.rand(2, 3, 40, TILE + 37) * 2 - 1
    first, again = Brushwork(stroke=3)(image), Brushwork(stroke=3)(image)
    assert torch.equal(first, again)
    assert first.shape == image.shape and first.abs().max() <= 1 and torch.isfinite(first).all()
    assert torch.allclose(first[1], Brushwork(stroke=3)(image[1:])[0]), "each image painted on its own"
    repeated = Brushwork().tiled(torch.arange(2.0 * TILE * TILE).view(2, TILE, TILE), 3, TILE + 5)
    assert repeated.shape == (1, 2, 3, TILE + 5) and torch.equal(repeated[..., TILE:], repeated[..., :5])


def test_relief_is_lit_from_the_top_left():
    y, x = torch.meshgrid(torch.arange(33.0), torch.arange(33.0), indexing="ij")
    bump = torch.exp(-((x - 16) ** 2 + (y - 16) ** 2) / 40).view(1, 1, 33, 33)
    light = Brushwork(relief=1.0).lit(bump)
    assert light[0, 0, 12, 12] > 1.01 > 0.99 > light[0, 0, 20, 20], "the flank facing the light is the bright one"


def test_gradients_reach_the_generator_through_the_stage():
    image = noisy_step_edge(32).requires_grad_(True)
    Brushwork(radius=2, stroke=3, relief=0.6)(image).square().mean().backward()
    assert torch.isfinite(image.grad).all() and image.grad.abs().sum() > 0


def test_a_bf16_training_step_paints_like_the_float32_export():
    image, stage = noisy_step_edge(32), Brushwork(radius=2, stroke=3, relief=0.2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = stage(image)
    assert torch.equal(mixed, stage(image))
