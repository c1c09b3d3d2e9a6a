"""PatchNCE (Park et al. 2020, "Contrastive Learning for Unpaired Image-to-Image Translation").

A patch of the translation should match the patch of the photo at the same place better than any other
patch of that photo. Features come from the generator's own encoder at several depths; each depth has a
small MLP head that projects a sampled position's feature to a unit vector. The loss holds structure (who
the sitter is, where the edges are) without asking for the photo's colours or textures, which an L1 or
perceptual content loss asks for too and so keeps the output close to a copy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PatchProjection(nn.Module):
    """One 2-layer MLP head per feature depth, as CUT's PatchSampleF."""

    def __init__(self, channels: tuple[int, ...], dimensions: int = 256):
        super().__init__()
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(count, dimensions), nn.ReLU(inplace=True), nn.Linear(dimensions, dimensions))
            for count in channels
        )

    def forward(self, features: list[torch.Tensor], positions: list[torch.Tensor]) -> list[torch.Tensor]:
        """[N, C, H, W] maps and per-depth flat position indices -> [N, P, D] unit vectors."""
        projected = []
        for head, feature, where in zip(self.heads, features, positions):
            flat = feature.flatten(2).transpose(1, 2)[:, where]  # [N, P, C]
            projected.append(F.normalize(head(flat), dim=-1))
        return projected


def sample_positions(
    features: list[torch.Tensor], count: int, generator: torch.Generator | None = None
) -> list[torch.Tensor]:
    """`count` random flat positions per depth (all of them where a map has fewer)."""
    positions = []
    for feature in features:
        total = feature.shape[2] * feature.shape[3]
        order = torch.randperm(total, generator=generator)[: min(count, total)]
        positions.append(order.to(feature.device))
    return positions


def patch_nce_loss(queries: torch.Tensor, keys: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """InfoNCE over [N, P, D] queries (translation) and keys (photo): the positive of query p is key p, the
    negatives are the other positions of the same image. Keys are detached: the photo is the target."""
    keys = keys.detach()
    logits = queries @ keys.transpose(1, 2) / temperature  # [N, P, P]; the diagonal holds the positives
    batch, patches, _ = logits.shape
    targets = torch.arange(patches, device=logits.device).expand(batch, patches)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())
