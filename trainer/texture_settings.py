"""The brush texture model's settings (`export-texture`): they are the whole model, nothing is trained.

Kept apart from export_texture.py, which loads torch and onnxruntime, because the CLI reads the options from
this dataclass at every start.
"""

from __future__ import annotations

import dataclasses

from .options import option


@dataclasses.dataclass(frozen=True)
class TextureSettings:
    """The defaults are the shipped `impasto`'s."""

    stroke: int = option(12, help="Length of the bristle streaks each way along the contours (px, 1-64).")
    relief: float = option(0.35, help="Strength of the streaks' light and of their lit relief (at least 0.01).")
    flow_sigma: float = option(
        8.0, help="Smoothing (px, at least 0.5) of the contours the streaks follow: larger, longer, calmer strokes."
    )
    lit_floor: float = option(
        0.35,
        help="Dark paint is lit as grey paint of this brightness (0-1) would be, so black coats and dark hair show "
        "strokes too (0: the light only multiplies, and black stays flat).",
    )
    seed: int = option(0, help="Seed of the fixed noise the streaks are smeared from.")

    def __post_init__(self) -> None:
        for flag, value, low, high in (
            ("--stroke", self.stroke, 1, 64),
            ("--relief", self.relief, 0.01, None),
            ("--flow-sigma", self.flow_sigma, 0.5, None),
            ("--lit-floor", self.lit_floor, 0.0, 1.0),
        ):
            if value < low or (high is not None and value > high):
                bounds = f"{low:g} to {high:g}" if high is not None else f"at least {low:g}"
                raise ValueError(f"{flag} must be {bounds} (got {value:g})")

    def summary(self) -> str:
        return (
            f"stroke {self.stroke} px, relief {self.relief:g}, flow smoothed over {self.flow_sigma:g} px, "
            f"lit floor {self.lit_floor:g}, seed {self.seed}"
        )
