"""The paint chain: how one photo becomes a painting, stage by stage, read top to bottom.

Built once per run from its models and settings. The local engine and the Ray workers (both through
`pipeline.convert_jobs`) and the trainer's `evaluate` call these same stages, so what is measured is what users
get:

    locate     the faces in the photo, where the painting's scale, its frame or the stroke painter needs them; for
               the painter also the person mask and each face's landmarks (person.py)
    plan       the portrait frame, cropped now, before any painting; the translator's input at its painting size
    translate  the translator on batches of same-size photos (translate.py): the palette and the modelling
    finish     enlarge to the photo's size (upscale.py), then the strokes (painter.py) or a brush texture
               (texture.py), then the blend by strength
    encode     the output file's bytes, with what of the photo's metadata its format carries

`prepare` runs locate and plan on one photo; an engine batches `translate` over several photos; `finish` is
the heavy CPU stage, which the engine runs on a worker of its own (pipeline.py).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
from PIL import Image

from .faces import Face, main_face
from .framing import portrait_box
from .images import Photo, carried_metadata, encode_image, resize
from .model_set import ModelSet
from .painter import Strokes, paint_strokes
from .person import PRESENT, face_landmarks, person_mask
from .texture import texture_enlarged
from .translate import PaintError, PaintSettings, model_input, needs_tiles, paint_photos
from .upscale import enlarge, enlargement

MASK_SIDE = 512  # long side of the copy the person mask is made from (the painter plans on a 384 px grid)


@dataclasses.dataclass
class Finished:
    """A finished painting, and the strokes the painter laid (broadest layer first; none without the painter)."""

    image: Image.Image
    strokes: list[Strokes] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Sitting:
    """One photo on its way through the chain: framed, with its faces (in its own pixels) and the translator's
    input. `photo.rgb` is dropped once nothing after the translator needs it."""

    photo: Photo
    faces: list[Face]
    model_rgb: np.ndarray
    notes: tuple[str, ...] = ()
    person: np.ndarray | None = None  # the person mask (0..1) at a reduced size, where the painter wants it
    landmarks: list[np.ndarray | None] = dataclasses.field(default_factory=list)  # per face: 468 points, or None


class PaintChain:
    def __init__(self, models: ModelSet, settings: PaintSettings, batch_size: int = 4, painter=paint_strokes):
        """`painter`: paint_strokes, or what runs it elsewhere (stroke_workers.StrokeWorkers.paint)."""
        self.models, self.settings, self.batch_size, self.painter = models, settings, batch_size, painter

    def prepare(self, photo: Photo) -> Sitting:
        """locate and plan: the photo framed, its faces, and what the translator will see."""
        faces = self.locate(photo)
        photo, faces, notes = self.frame(photo, faces)
        model_rgb = model_input(photo, self.settings, main_face(faces))
        person, landmarks = self.locate_sitter(photo, faces)
        if not self._needs_photo_after_translating(photo):
            photo = copy.copy(photo)
            photo.rgb = None  # only the model-sized copy stays in flight
        return Sitting(photo, faces, model_rgb, notes, person, landmarks)

    def locate(self, photo: Photo) -> list[Face]:
        if self.models.faces is None or not self.settings.wants_faces:
            return []
        return self.models.faces.faces(photo.rgb)

    def locate_sitter(self, photo: Photo, faces: list[Face]) -> tuple[np.ndarray | None, list[np.ndarray | None]]:
        """For the stroke painter: the person mask (on a copy at most MASK_SIDE long) and each face's landmarks
        (None where the landmark model finds no face in its box)."""
        if self.settings.strokes is None or not faces:  # without a face the painter paints a scene
            return None, []
        person = None
        if self.models.person_mask is not None:
            person = person_mask(_reduced(photo.rgb, MASK_SIDE), self.models.person_mask)
        landmarks: list[np.ndarray | None] = []
        for face in faces:
            points = None
            if self.models.face_landmarks is not None:
                points, presence = face_landmarks(photo.rgb, face, self.models.face_landmarks)
                points = points[:, :2] if presence >= PRESENT else None
            landmarks.append(points)
        return person, landmarks

    def frame(self, photo: Photo, faces: list[Face]) -> tuple[Photo, list[Face], tuple[str, ...]]:
        """`--frame portrait`: the photo cropped to the frame around its main face, and its faces moved with it."""
        if self.settings.frame != "portrait":
            return photo, faces, ()
        box = portrait_box(photo.size, main_face(faces))
        if box is None:
            return photo, faces, ("no face found: not framed",)
        left, top, right, bottom = box
        framed = Photo(
            rgb=photo.rgb[top:bottom, left:right],
            alpha=None if photo.alpha is None else photo.alpha[top:bottom, left:right],
            icc_profile=photo.icc_profile,
            exif=photo.exif,
            notes=photo.notes,
        )
        return framed, [face.moved(left, top) for face in faces], ()

    def translate(self, sittings: list[Sitting]) -> list[np.ndarray | str]:
        """The painting of each sitting at its painting size, or the one-line reason the model failed."""
        photos, inputs = [sitting.photo for sitting in sittings], [sitting.model_rgb for sitting in sittings]
        return paint_photos(self.models.translator, photos, inputs, self.settings, self.batch_size)

    def finish(self, sitting: Sitting, painted: np.ndarray) -> Finished:
        """The painting at the photo's size (or the model's, with keep_model_size; or `size` long), painted in
        strokes or textured, blended by strength; a Pillow image, which the encoder takes without another full-size
        copy."""
        size = written_size(sitting.photo.size, self.settings.size)
        if not self.settings.keep_model_size and (painted.shape[1], painted.shape[0]) != size:
            grown = enlargement(painted, size)
            painted = enlarge(painted, size, self.models.upscaler)
            if self.models.texture is not None:
                painted = texture_enlarged(painted, self.models.texture, grown)
        strokes = []
        if self.settings.strokes is not None:
            photo, faces, landmarks = sitting.photo.rgb, sitting.faces, sitting.landmarks
            if (painted.shape[1], painted.shape[0]) != sitting.photo.size:  # the painting's own pixels, not the photo's
                factor = painted.shape[1] / sitting.photo.size[0]
                photo = resize(photo, (painted.shape[1], painted.shape[0]))
                faces = [face.scaled(factor) for face in faces]
                landmarks = [None if points is None else points * factor for points in landmarks]
            painted, strokes = self.painter(painted, faces, self.settings.strokes, photo, sitting.person, landmarks)
        image = Image.fromarray(painted)
        if self.settings.strength >= 1.0:
            return Finished(image, strokes)
        original = Image.fromarray(sitting.photo.rgb)
        if original.size != image.size:
            original = original.resize(image.size, Image.Resampling.LANCZOS)
        return Finished(Image.blend(original, image, self.settings.strength), strokes)

    def encode(self, sitting: Sitting, image: Image.Image, image_format: str, quality: int) -> tuple[bytes, list[str]]:
        """The output file's bytes, and notes on what the format could not carry."""
        carried, notes = carried_metadata(sitting.photo, image_format)
        return encode_image(image, image_format, quality, **carried), [*sitting.notes, *notes]

    def paint(self, photo: Photo) -> Image.Image:
        """Every stage but encode, for one photo (what `evaluate` measures); PaintError when the model fails."""
        sitting = self.prepare(photo)
        painted = self.translate([sitting])[0]
        if isinstance(painted, str):
            raise PaintError(painted)
        return self.finish(sitting, painted).image

    def _needs_photo_after_translating(self, photo: Photo) -> bool:
        """The photo itself is needed after the translator to blend with it, to paint it in tiles, or to give the
        stroke painter the faces' colour."""
        return self.settings.strength < 1 or needs_tiles(photo, self.settings) or self.settings.strokes is not None


def written_size(photo_size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """The (width, height) a painting is written at: the photo's, or `long_side` long in the photo's proportions
    (0: the photo's own; at least 1 px a side however thin the photo)."""
    if not long_side:
        return photo_size
    width, height = photo_size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _reduced(rgb: np.ndarray, side: int) -> np.ndarray:
    """A copy at most `side` px long (the mask model sees 256 px whatever it is given)."""
    height, width = rgb.shape[:2]
    shrink = min(1.0, side / max(width, height))
    return resize(rgb, (max(1, round(width * shrink)), max(1, round(height * shrink))))
