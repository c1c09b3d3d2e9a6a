"""Where models live: the ones bundled in the wheel, folders named in PORTRAITIZE_MODELS, and plain paths.

A model's name is its file name without `.onnx` (the trainer's export names files after the model).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .contract import ModelInfo

MODELS_ENV = "PORTRAITIZE_MODELS"
DEFAULT_TRANSLATOR = "oil-portrait"
DEFAULT_SAMPLER = "portrait-gan"
DEFAULT_UPSCALER = "painting-x4"
DEFAULT_TEXTURE = "impasto"
FACE_DETECTOR = "face-detector"
PERSON_MASK = "person-mask"
FACE_LANDMARKS = "face-landmarks"
HELPERS = {
    "upscaler": DEFAULT_UPSCALER,
    "texture": DEFAULT_TEXTURE,
    "face_detector": FACE_DETECTOR,
    "person_mask": PERSON_MASK,
    "face_landmarks": FACE_LANDMARKS,
}
OFF = "none"  # --upscaler none, --texture none


def bundled_dir() -> Path:
    """Models inside the installed wheel, or `exported/` when running from a source checkout."""
    packaged = Path(__file__).parent / "models"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "exported"


def search_dirs() -> list[Path]:
    """User folders first (so a user's model can shadow a bundled one of the same name), then bundled."""
    extra = [Path(entry) for entry in os.environ.get(MODELS_ENV, "").split(os.pathsep) if entry]
    return [*extra, bundled_dir()]


def missing_folders() -> list[Path]:
    """Folders named in $PORTRAITIZE_MODELS that are not folders (a typo, a disk not mounted)."""
    return [folder for folder in search_dirs()[:-1] if not folder.is_dir()]


def model_files() -> dict[str, Path]:
    """name -> path of every installed model; an earlier folder wins on equal names."""
    found: dict[str, Path] = {}
    for folder in search_dirs():
        if folder.is_dir():
            for path in sorted(folder.glob("*.onnx")):
                found.setdefault(path.stem, path)
    return found


@dataclasses.dataclass
class CatalogueEntry:
    name: str
    path: Path
    info: ModelInfo | None  # None when the file is not a valid portraitize model
    problem: str = ""

    @property
    def size_bytes(self) -> int:
        """0 for a link to a file that is gone."""
        return self.path.stat().st_size if self.path.exists() else 0


def list_models() -> list[CatalogueEntry]:
    """Every installed model with its metadata (reads each file once)."""
    from .session import ModelError, open_session, read_info

    entries = []
    for name, path in model_files().items():
        try:
            entries.append(CatalogueEntry(name, path, read_info(open_session(path), path)))
        except ModelError as error:
            entries.append(CatalogueEntry(name, path, None, str(error)))
    return entries


def resolve(name_or_path: str | None, kind: str) -> Path:
    """The model file for --model: an installed name, a path, or (None) the default model of `kind`."""
    from .session import ModelError, no_model_file

    installed = model_files()
    if name_or_path is None:
        return _default_model(installed, kind)
    if name_or_path in installed:
        return installed[name_or_path]
    path = Path(name_or_path).expanduser()
    if path.suffix == ".onnx" or path.exists() or os.sep in name_or_path:
        if not path.is_file():
            raise no_model_file(path)
        return path
    names = ", ".join(sorted(installed)) or "none"
    raise ModelError(f"no model named {name_or_path!r} (installed: {names}; or give a path to an .onnx file)")


def resolve_optional(name_or_path: str | None, kind: str) -> Path | None:
    """A helper model (an upscaler, a texture, the face detector, the person mask, the face landmarks): the one named,
    or the bundled one if installed, or None.

    Naming one that is missing is an error; a missing default only switches the helper off."""
    if name_or_path == OFF:
        return None
    if name_or_path is not None:
        return resolve(name_or_path, kind)
    return model_files().get(HELPERS[kind])


def upscaler_for(name_or_path: str | None, in_strokes: bool) -> Path | None:
    """The upscaler a painting is enlarged with: the one named, else the bundled one, but none by default for a
    painting the stroke painter paints `in_strokes`. Its strokes lay every pixel again, each in one colour taken
    from the enlarged painting blurred over a third of its width: the upscaler's own strokes and canvas are painted
    over, its pass cost about a fifth of a 512 px photo's time and 2 s of a 12 MP photo's, and by eye the paintings
    were the same (blind viewers chose neither, pairs152 and pairs153)."""
    if name_or_path is None and in_strokes:
        return None
    return resolve_optional(name_or_path, "upscaler")


def _default_model(installed: dict[str, Path], kind: str) -> Path:
    """The shipped default of `kind`; else the first installed model of that kind, so a partial set works."""
    from .session import ModelError, open_session, read_info

    preferred = DEFAULT_TRANSLATOR if kind == "translator" else DEFAULT_SAMPLER
    if preferred in installed:
        return installed[preferred]
    for path in installed.values():
        try:
            if read_info(open_session(path), path).kind == kind:
                return path
        except ModelError:
            continue
    verb = "convert" if kind == "translator" else "sample"
    raise ModelError(
        f"no {kind} model is installed for `portraitize {verb}`; pass --model PATH.onnx "
        f"(train and export one with `python -m trainer`), or put it in a folder named by ${MODELS_ENV}"
    )
