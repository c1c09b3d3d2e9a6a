"""Brushwork fast enough for a 12-megapixel photo: streaks looked up, not walked.

`Brushwork` walks a streamline for every pixel (two grid samples per step, 2 x `stroke` steps): fine at the
translator's 256 px, about 12 s for a 4032 x 3024 photo on two CPU cores. Here the noise tile is smeared once,
at construction, along BINS fixed directions; each pixel then blends the two tiles whose directions are
nearest its contour's. Streaks are straight over their length instead of bending with the contour, which at
the photo's resolution (a flow smoothed over several pixels, streaks of a dozen) is not visible; the colours,
light and relief are Brushwork's own.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .brushwork import TILE, Brushwork

BINS = 12  # stroke directions, 15 degrees apart: neighbours blend without a visible seam


class LookupBrushwork(Brushwork):
    def __init__(self, stroke: int, relief: float, seed: int = 0, flow_sigma: float = 8.0, lit_floor: float = 0.0):
        super().__init__(radius=0, stroke=stroke, relief=relief, seed=seed, flow_sigma=flow_sigma, lit_floor=lit_floor)

    def prepare_streaks(self) -> None:
        angles = torch.arange(BINS, dtype=torch.float32) * math.pi / BINS  # the directions, modulo a half turn
        self.register_buffer("smeared", self.smear_straight(angles), persistent=False)
        # Twice each direction: where the contour's own double angle points, its bin weighs most.
        double_angles = torch.stack([torch.cos(2 * angles), torch.sin(2 * angles)])
        self.register_buffer("bin_double_angles", double_angles, persistent=False)

    def smear_straight(self, angles: torch.Tensor) -> torch.Tensor:
        """[BINS, TILE, TILE]: the noise tile smeared along each direction, with Brushwork's Gaussian weights
        over `stroke` px each way, wrapping around the tile so that it still repeats without a seam."""
        pad = self.stroke + 2
        tile = F.pad(self.noise[None, None], (pad, pad, pad, pad), mode="circular")
        side = TILE + 2 * pad
        steps = torch.arange(-self.stroke, self.stroke + 1, dtype=torch.float32)
        weights = torch.tensor([self.stroke_weight(int(step)) for step in steps])
        ys, xs = torch.meshgrid(torch.arange(TILE) + pad, torch.arange(TILE) + pad, indexing="ij")
        smeared = []
        for angle in angles:
            total = torch.zeros(TILE, TILE)
            for step, weight in zip(steps, weights):
                x, y = xs + step * torch.cos(angle), ys + step * torch.sin(angle)
                grid = torch.stack([(2 * x + 1) / side - 1, (2 * y + 1) / side - 1], dim=-1)[None]
                total += weight * F.grid_sample(tile, grid, align_corners=False)[0, 0]
            smeared.append(total / weights.sum())
        return torch.stack(smeared)

    def streaks(self, orientation: torch.Tensor, origin: torch.Tensor | None = None) -> torch.Tensor:
        """[N, 1, H, W]: per pixel, the two smeared tiles nearest its contour's direction, blended by angle."""
        _, _, height, width = orientation.shape
        tiles = self.tiled(self.smeared, height, width, origin)  # [1, BINS, H, W]
        # The contour runs across the gradient: its double angle is the gradient's turned half a turn.
        along = -orientation
        # cos of the double-angle gap to each bin (no einsum: torch.export would pin it to a batch of 1)
        cosines, sines = self.bin_double_angles.view(2, 1, BINS, 1, 1)
        agreement = along[:, :1] * cosines + along[:, 1:] * sines
        # A hat on each bin, zero from the next bin on; where there is no orientation, every bin equally.
        weights = torch.relu(agreement - math.cos(2 * math.pi / BINS)) + 1e-4
        return (tiles * weights).sum(1, keepdim=True) / weights.sum(1, keepdim=True)
