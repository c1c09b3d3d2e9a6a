"""The models one conversion runs: the translator, and the three that paint at the photo's resolution (the face
finder that chooses the painting's scale and frame, the upscaler that enlarges the painting to the photo's size,
the brush texture laid over an enlarged painting); and the two that locate the sitter (the person mask and the
face landmarks, `person.py`).

Each comes from a file path (this machine) or the file's bytes (a Ray worker, which may not see the driver's
disks), and is loaded once per process.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from . import session as sessions
from .face_scale import FaceFinder
from .faces import FaceCascade, onnx_cascade
from .session import ModelSession

Source = Path | bytes


@dataclasses.dataclass
class ModelSet:
    translator: ModelSession
    upscaler: ModelSession | None = None
    faces: FaceFinder | None = None
    texture: ModelSession | None = None
    person_mask: ModelSession | None = None  # for person.person_mask
    face_landmarks: ModelSession | None = None  # for person.face_landmarks


@dataclasses.dataclass(frozen=True)
class ModelSources:
    translator: Source
    upscaler: Source | None = None
    face_detector: Source | None = None
    texture: Source | None = None
    person_mask: Source | None = None
    face_landmarks: Source | None = None

    def as_bytes(self) -> ModelSources:
        """The same models as bytes, to ship to workers."""

        def read(source: Source | None) -> bytes | None:
            return source.read_bytes() if isinstance(source, Path) else source

        return ModelSources(**{field.name: read(getattr(self, field.name)) for field in dataclasses.fields(self)})

    def load(self, device: str, threads: int = 0, translator: ModelSession | None = None) -> ModelSet:
        """Every model on `device`; `translator`: the translator already loaded from these sources."""
        return ModelSet(
            translator=translator or sessions.load_model(self.translator, device, threads, "translator"),
            upscaler=sessions.load_model(self.upscaler, device, threads, "upscaler") if self.upscaler else None,
            faces=load_face_finder(self.face_detector, threads) if self.face_detector else None,
            texture=sessions.load_model(self.texture, device, threads, "texture") if self.texture else None,
            person_mask=load_helper(self.person_mask, "person_mask", threads) if self.person_mask else None,
            face_landmarks=load_helper(self.face_landmarks, "face_landmarks", threads) if self.face_landmarks else None,
        )


def load_face_finder(source: Source, threads: int = 0) -> FaceFinder:
    """The face finder `convert` uses (on a reduced copy of each photo; see `load_face_cascade`)."""
    return FaceFinder(load_face_cascade(source, threads))


def load_face_cascade(source: Source, threads: int = 0, min_face_size: float = 20.0) -> FaceCascade:
    """On the CPU whatever --device says: the detector is small, and its many little calls would only wait on
    transfers to a GPU."""
    name = source if isinstance(source, Path) else Path("model")
    session = sessions.open_session(source, None, threads)
    sessions.check_kind(name, sessions.read_info(session, name), "face_detector")
    return onnx_cascade(session, min_face_size)


def load_helper(source: Source, kind: str, threads: int = 0) -> ModelSession:
    """The person mask or the face landmarks (`kind`), on the CPU whatever --device says: one small call per photo
    or face, which would mostly wait on transfers to a GPU."""
    return sessions.load_model(source, "cpu", threads, kind)
