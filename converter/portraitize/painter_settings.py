"""The stroke painter's settings (painter.py), in a module light enough for the CLI to import at start."""

from __future__ import annotations

import dataclasses

FINENESS = {"fine": 0.7, "normal": 1.0, "broad": 1.4}  # --fineness: every brush radius times this
BACKGROUNDS = ("ground", "keep")  # --background


@dataclasses.dataclass(frozen=True)
class PainterSettings:
    fineness: str = "normal"
    background: str = "ground"
    seed: int = 0  # every random choice of the painter follows from it: the same photo, the same painting

    def __post_init__(self) -> None:
        if self.fineness not in FINENESS:
            raise ValueError(f"fineness must be one of {', '.join(FINENESS)}, not {self.fineness!r}")
        if self.background not in BACKGROUNDS:
            raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, not {self.background!r}")
