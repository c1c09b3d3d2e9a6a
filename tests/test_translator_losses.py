"""The translator's building blocks on tiny tensors: PatchNCE, chroma, the critics, and the identity judge."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import EXAMPLES
from PIL import Image, ImageFilter

from trainer.losses import chroma_loss, to_grey
from trainer.models.patchgan import MultiScaleDiscriminator, PatchDiscriminator
from trainer.patch_nce import PatchProjection, patch_nce_loss, sample_positions
from trainer.recipes.base import frozen


def test_patch_nce_prefers_the_patch_at_the_same_place():
    torch.manual_seed(0)
    features = [torch.randn(2, 8, 6, 6), torch.randn(2, 12, 3, 3)]
    heads = PatchProjection((8, 12), dimensions=16)
    positions = sample_positions(features, 20)
    assert [len(where) for where in positions] == [20, 9]  # a 3x3 map has only 9 positions
    keys = heads(features, positions)
    same = [patch_nce_loss(query, key) for query, key in zip(heads(features, positions), keys)]
    shuffled = [
        patch_nce_loss(query, key) for query, key in zip(heads([f.roll(1, dims=3) for f in features], positions), keys)
    ]
    assert all(a < b for a, b in zip(same, shuffled)), (same, shuffled)
    query, key = torch.randn(1, 5, 4, requires_grad=True), torch.randn(1, 5, 4, requires_grad=True)
    patch_nce_loss(query, key).backward()
    assert query.grad is not None and key.grad is None  # the photo's patches are targets only


def test_chroma_ignores_brightness_but_not_hue():
    torch.manual_seed(0)
    photo = torch.rand(2, 3, 8, 8) * 1.2 - 0.6
    assert chroma_loss(photo + 0.3, photo) < 1e-4  # the same hues, lighter: free to change
    assert chroma_loss(photo[:, [2, 1, 0]], photo) > 1e-2  # red and blue swapped
    assert to_grey(photo).shape == (2, 1, 8, 8)


def test_multi_scale_spectral_critic():
    critic = MultiScaleDiscriminator(2, width=4, spectral=True)
    maps = critic(torch.zeros(1, 3, 64, 64))
    assert [m.shape[-1] for m in maps] == [6, 2]
    assert not any(isinstance(module, torch.nn.InstanceNorm2d) for module in critic.modules())
    assert PatchDiscriminator(4, channels=1, spectral=True)(torch.zeros(2, 1, 32, 32)).shape[:2] == (2, 1)


def test_identity_judge_tells_the_same_sitter_from_another():
    identity = pytest.importorskip("trainer.identity")
    try:
        judge = identity.IdentityJudge()
    except ImportError as error:
        pytest.skip(str(error))
    astronaut = Image.open(EXAMPLES / "astronaut.jpg").convert("RGB")
    hopper = Image.open(EXAMPLES / "grace_hopper.jpg").convert("RGB").resize(astronaut.size)
    softened = np.asarray(astronaut.filter(ImageFilter.GaussianBlur(1.5)).resize((256, 256)))  # at another size too
    score = judge.score([np.asarray(astronaut), np.asarray(astronaut)], [softened, np.asarray(hopper)])
    assert score.faces == 2 and score.same == 1
    assert score.between_sitters == 0  # both photos are the same sitter
    other = judge.score([np.asarray(astronaut), np.asarray(hopper)], [np.asarray(astronaut), np.asarray(hopper)])
    assert other.same == 2 and other.mean_distance == 0 and other.between_sitters > 0.6


def test_frozen_critic_passes_gradients_but_records_none_and_restores_its_flags():
    generator, critic = torch.nn.Linear(3, 3), torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    critic[1].bias.requires_grad_(False)  # a part that is always frozen stays so
    with frozen(critic):
        critic(generator(torch.ones(2, 3))).sum().backward()
    assert generator.weight.grad is not None and generator.weight.grad.abs().sum() > 0
    assert all(parameter.grad is None for parameter in critic.parameters())
    assert [parameter.requires_grad for parameter in critic.parameters()] == [True, True, True, False]
