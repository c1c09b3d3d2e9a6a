"""The stroke painter's settings (painter.py), in a module light enough for the CLI to import at start."""

from __future__ import annotations

import dataclasses

# Bumped whenever the painter paints the same photo and settings differently: outputs record it, so an upgrade
# never passes an older painting off as what these settings paint now.
PAINTER_VERSION = "28"  # 22 was a trial shipped and reverted within the hour (CHANGELOG.md)
# --fineness: every brush radius times this. Blind panels preferred finer strokes twice running (0.7 over the
# earlier 1.0, then 0.5 over 0.7: bench/panels/README.md), so normal is 0.5 of what painter 2 laid.
FINENESS = {"fine": 0.35, "normal": 0.5, "broad": 0.7}
BACKGROUNDS = ("ground", "keep")  # --background (its "auto" picks by the translator: painter_settings_for)


@dataclasses.dataclass(frozen=True)
class PainterSettings:
    fineness: str = "normal"
    background: str = "ground"
    seed: int = 0  # every random choice of the painter follows from it: the same photo, the same painting
    portrait: bool = True  # a portrait translator's painting: its sitter's warm colours come back, a gentle light

    def __post_init__(self) -> None:
        if self.fineness not in FINENESS:
            raise ValueError(f"fineness must be one of {', '.join(FINENESS)}, not {self.fineness!r}")
        if self.background not in BACKGROUNDS:
            raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, not {self.background!r}")


@dataclasses.dataclass(frozen=True)
class PainterRequest:
    """What a user asks of the painter (--painter, --fineness, --background), before the translator is known."""

    painter: str = "strokes"  # or "none"
    fineness: str = "normal"
    background: str = "auto"  # or one of BACKGROUNDS

    def settings_for(self, face_size: int) -> PainterSettings | None:
        """The painter's settings for a translator: one that learned portraits (it records the face size it
        paints) gets the portrait treatment and, by default, a painter's ground; a style model keeps its own
        colours and the photo's background. None: no strokes."""
        if self.painter == "none":
            return None
        portrait = face_size > 0
        background = ("ground" if portrait else "keep") if self.background == "auto" else self.background
        return PainterSettings(self.fineness, background, portrait=portrait)
