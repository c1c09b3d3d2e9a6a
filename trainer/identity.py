"""Is the sitter still the same person? dlib's face-recognition ResNet as an independent judge.

The network (from the `face-recognition-models` package, loaded with the `dlib-bin` wheel: the `eval` extra)
shares nothing with the trainer: no loss ever looks through it, so a translator cannot learn to fool it. For
each photo where dlib's frontal detector finds a face, the 5-point landmarks are fitted inside that same box
on the photo and on its translation, and the two 128-d descriptors are compared; dlib calls distances below
0.6 the same person. The mean distance between different sitters of the same set is the scale to read it by.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np

SAME_PERSON = 0.6  # dlib's threshold for its face-recognition descriptors


def _model_folder() -> Path:
    # The package's __init__ needs pkg_resources (gone from new setuptools); its files are all we need.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("face_recognition_models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclasses.dataclass
class IdentityScore:
    faces: int  # photos where dlib found a face
    same: int  # of those, translations within SAME_PERSON of the photo
    mean_distance: float
    between_sitters: float  # mean distance between different photos' faces: the scale of "another person"
    # The standard error of mean_distance: how far two models' means may differ by chance.
    distance_spread: float = float("nan")

    @property
    def share_same(self) -> float:
        return self.same / self.faces if self.faces else float("nan")

    def as_dict(self) -> dict:
        return {
            "faces": self.faces,
            "same_person": self.same,
            "mean_distance": round(self.mean_distance, 3),
            "between_sitters": round(self.between_sitters, 3),
            "distance_spread": round(self.distance_spread, 4),
        }


class IdentityJudge:
    def __init__(self):
        try:
            import dlib

            folder = _model_folder()
        except ImportError as error:
            raise ImportError(
                f"the identity check needs dlib and its models: pip install '.[eval]' ({error})"
            ) from None
        self.detector = dlib.get_frontal_face_detector()
        self.landmarks = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
        self.network = dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat"))

    def largest_face(self, image: np.ndarray):
        """dlib's rectangle of the largest frontal face (upsampling once, for small faces), or None."""
        faces = self.detector(np.ascontiguousarray(image), 1)
        return max(faces, key=lambda box: box.area()) if len(faces) else None

    def descriptor(self, image: np.ndarray, box) -> np.ndarray:
        image = np.ascontiguousarray(image)
        return np.asarray(self.network.compute_face_descriptor(image, self.landmarks(image, box)))

    def score(self, photos: list[np.ndarray], translations: list[np.ndarray]) -> IdentityScore:
        """Compare each photo's face with the same box of its translation (the translation at the photo's size)."""
        from PIL import Image

        before, distances = [], []
        for photo, result in zip(photos, translations):
            box = self.largest_face(photo)
            if box is None:
                continue
            if result.shape[:2] != photo.shape[:2]:
                result = np.asarray(
                    Image.fromarray(result).resize((photo.shape[1], photo.shape[0]), Image.Resampling.BICUBIC)
                )
            before.append(self.descriptor(photo, box))
            distances.append(float(np.linalg.norm(before[-1] - self.descriptor(result, box))))
        pairs = [np.linalg.norm(a - b) for index, a in enumerate(before) for b in before[index + 1 :]]
        return IdentityScore(
            faces=len(distances),
            same=sum(distance < SAME_PERSON for distance in distances),
            mean_distance=float(np.mean(distances)) if distances else float("nan"),
            between_sitters=float(np.mean(pairs)) if pairs else float("nan"),
            distance_spread=_standard_error(distances),
        )


def _standard_error(values: list[float]) -> float:
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
