"""`sample`'s face check: how sure MediaPipe's face mesh (`face-landmarks.onnx`, person.py) is that a sampled
portrait shows a face, for turning down the distorted ones.

The score is the mesh's face presence as log-odds, the mean of two passes as MediaPipe's own tracking cuts them:
a fixed crop around the portrait's centre (a sampler paints its sitter there, the face about half its side), then
the crop around the points that pass found, turned so that the eyes are level. A melted, doubled or ghostly face
leaves the mesh a little less sure; a clear face leaves it sure to the last bit of a float32.

The mesh's points themselves do not tell a distorted face from a turned head: on 300 labelled portrait-gan
samples (bench/labels/), level eyes, eyes of one size, nose and mouth between the eyes and the outline's left-right
symmetry were all as likely or likelier on the fine faces (turned heads are not symmetric in the picture), because
on a broken face the mesh falls back to its average, frontal face. So only the presence is scored.
"""

from __future__ import annotations

import numpy as np

from .person import Crop, landmarks_in_crops
from .session import ModelSession

FIXED_CROP = 0.875  # the first pass's crop, as a share of the portrait's side (96 to 128 px of 128 were tried)
# The most log-odds a float32 presence can say: the sigmoid rounds to exactly 1 from about 16.6.
MOST_SURE = 17.0
# A portrait passes at this score or more: a presence of 1 - 1e-7 in both passes. Chosen on the labelled seed-1
# samples (bench/labels/portrait-gan-seed1-everylatent.csv, bench/face_check.py measures it): lower kept more broken faces
# than one in ten of those that pass.
PASSES = 16.0


# The score is the mean of two passes of at most MOST_SURE each: a first pass under this cannot reach PASSES, whatever
# the second says (about half the sampled portraits), so `scores(..., exact=False)` does not run the second on them.
FIRST_PASS_NEEDS = 2 * PASSES - MOST_SURE


class FaceCheck:
    def __init__(self, landmarks: ModelSession):
        self.landmarks = landmarks

    def scores(self, images: list[np.ndarray], exact: bool = True) -> list[float | None]:
        """uint8 RGB portraits [S, S, 3] -> each one's score (log-odds, at most MOST_SURE), in two model calls (one
        per pass). With `exact` false, a portrait that the first pass already turns down scores None (under PASSES,
        not worked out): the second call sees only those that may pass, or is not made."""
        if not images:
            return []
        centred = [Crop(rgb.shape[1] / 2, rgb.shape[0] / 2, FIXED_CROP * max(rgb.shape[:2])) for rgb in images]
        points, first = landmarks_in_crops(images, centred, self.landmarks)
        first = log_odds(first)
        again = [i for i, score in enumerate(first) if exact or score >= FIRST_PASS_NEEDS]
        out: list[float | None] = [None] * len(images)
        if again:
            crops = [Crop.around_points(points[i]) for i in again]
            _, second = landmarks_in_crops([images[i] for i in again], crops, self.landmarks)
            for i, score in zip(again, log_odds(second)):
                out[i] = float((first[i] + score) / 2)
        return out


def log_odds(presence: np.ndarray) -> np.ndarray:
    """Probabilities -> log-odds, at most MOST_SURE (a presence of exactly 1)."""
    presence = np.clip(np.asarray(presence, np.float64), 1e-12, 1.0)
    with np.errstate(divide="ignore"):
        return np.minimum(np.log(presence) - np.log1p(-presence), MOST_SURE)
