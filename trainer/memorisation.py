"""Are a sampler's portraits copies of its training paintings? Nearest-neighbour distances, in two spaces.

In MobileNetV2 feature space a copy with shifted colours or a small translation still lands near its original;
in grey 32 px pixel space a copy whose features differ (a different crop of the same layout and tones) does.
A sampler passes when, in both spaces, its samples are no closer to the training images than unseen paintings
are: the threshold is the held-out paintings' HELD_OUT_SHARE quantile of that distance, so HELD_OUT_SHARE of them
fall under it by construction, and a sampler passes when no larger share of its samples does. Asking that no
sample at all falls under it would fail a perfect sampler, one that draws new paintings from the same
distribution, with probability 1 - 0.95^100 = 99.4%. The rule kept is still strict: such a sampler has more
than 5 of 100 under by chance about 4 times in 10 (more with the threshold's own noise from a few hundred
held-out paintings), so a failure calls for a look at the closest pairs (`evaluate --closest`), not a verdict
of copying, while a pass says that fewer of its samples than of unseen paintings sit that near a training image.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from PIL import Image

SAMPLES = 100  # samples checked against every training image
HELD_OUT_SHARE = 0.05  # the quantile of held-out paintings' nearest distances that sets the threshold ("p5")
PIXEL_SIDE = 32
SHEET_PAIRS = 8


@dataclasses.dataclass
class Memorisation:
    """The threshold is the 5th percentile of the distances from each held-out real image to its nearest
    training image: a sample closer than that to a training image is closer than 95% of real, unseen paintings."""

    space: str
    threshold: float
    nearest: list[float]  # each sample's distance to its nearest training image
    nearest_index: list[int]  # and which training image that is

    @property
    def too_close(self) -> int:
        return sum(distance < self.threshold for distance in self.nearest)

    @property
    def passes(self) -> bool:
        """No larger share of the samples under the threshold than of the held-out paintings (5%)."""
        return self.too_close <= HELD_OUT_SHARE * len(self.nearest)

    def closest(self, count: int) -> list[tuple[int, int]]:
        """(sample, training image) index pairs, closest first."""
        order = np.argsort(self.nearest)[:count]
        return [(int(sample), self.nearest_index[sample]) for sample in order]

    def as_dict(self) -> dict:
        return {
            "samples": len(self.nearest),
            "threshold_p5": round(self.threshold, 3),
            "closest": round(min(self.nearest), 3),
            "closer_than_threshold": self.too_close,
            "passes": self.passes,
        }

    def summary(self) -> str:
        verdict = "passes" if self.passes else "FAILS: samples sit nearer the training images than unseen paintings"
        return (
            f"memorisation ({self.space}): {self.too_close} of {len(self.nearest)} samples are closer to a training "
            f"image than {self.threshold:.3f}, which {HELD_OUT_SHARE:.0%} of held-out paintings are: {verdict}; "
            f"closest {min(self.nearest):.3f}"
        )


def memorisation(train: torch.Tensor, held_out: torch.Tensor, samples: torch.Tensor, space: str) -> Memorisation:
    threshold = torch.cdist(held_out, train).min(dim=1).values.quantile(HELD_OUT_SHARE)
    nearest = torch.cdist(samples, train).min(dim=1)
    return Memorisation(space, float(threshold), nearest.values.tolist(), nearest.indices.tolist())


def grey_pixels(images: list[np.ndarray], side: int = PIXEL_SIDE) -> torch.Tensor:
    """Each RGB image as its grey `side` x `side` thumbnail, flattened to [N, side * side] in [0, 1]."""
    thumbnails = [
        np.asarray(Image.fromarray(image).convert("L").resize((side, side), Image.Resampling.BOX), np.float64)
        for image in images
    ]
    return torch.from_numpy(np.stack(thumbnails).reshape(len(images), -1) / 255.0)


def check_memorisation(
    train: tuple[list[np.ndarray], torch.Tensor],
    held_out: tuple[list[np.ndarray], torch.Tensor],
    samples: tuple[list[np.ndarray], torch.Tensor],
) -> list[Memorisation]:
    """Each argument is (RGB images, their feature vectors); the first SAMPLES samples are checked."""
    images, features = samples[0][:SAMPLES], samples[1][:SAMPLES]
    return [
        memorisation(train[1], held_out[1], features, "features"),
        memorisation(grey_pixels(train[0]), grey_pixels(held_out[0]), grey_pixels(images), f"grey {PIXEL_SIDE} px"),
    ]


def closest_pairs_sheet(
    found: list[Memorisation], samples: list[np.ndarray], train: list[np.ndarray], side: int = 128
) -> np.ndarray:
    """For each space, a row of its SHEET_PAIRS closest samples over a row of their nearest training images."""
    from portraitize.grid import contact_sheet

    def tile(image: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.BICUBIC))

    count = min(SHEET_PAIRS, len(found[0].nearest))
    rows = []
    for check in found:
        pairs = check.closest(count)
        rows += [[tile(samples[sample]) for sample, _ in pairs], [tile(train[index]) for _, index in pairs]]
    return contact_sheet(np.stack([image for row in rows for image in row]), columns=count)


def save_closest_pairs(
    path: Path, found: list[Memorisation], samples: list[np.ndarray], train: list[np.ndarray]
) -> None:
    from portraitize.images import FORMAT_BY_EXTENSION, save_image
    from portraitize.plan import SAME_FORMAT

    path.parent.mkdir(parents=True, exist_ok=True)
    image_format = FORMAT_BY_EXTENSION[SAME_FORMAT.get(path.suffix.lower(), "png")]  # the converter's one table
    save_image(path, closest_pairs_sheet(found, samples, train), image_format, quality=90)
