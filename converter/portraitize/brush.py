"""A bristle brush: the mark one stroke leaves, as an alpha stamp (how much paint covers each pixel), a relief
stamp (how high the paint stands) and a pick-up stamp (how far along the stroke each pixel lies, so how much of
the wet paint it passed over the brush has taken up there), for each length and direction a layer of strokes uses.

A stroke is a band of bristles: each bristle carries a little more or less paint (streaks along the stroke),
ends at its own place (ragged ends), and the load runs out towards the tail (a drier, broken end). The band
narrows slightly towards its ends, and bends as the hand follows a turning form (a stroke is an arc, not a
rectangle: straight stamps laid along a curving contour read as tiles). The relief is highest along loaded
bristles, so lit from the top left a stroke shows its ridges and the edge where it stands on the paint below.
Stamps are made when first asked for and kept, so a layer of thousands of strokes makes a few dozen of them.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from . import brush_cache
from .bands import each, threads

ANGLES = 32  # directions over a full turn (11.25 degrees apart): a stroke's head and tail differ
LENGTHS = (1.2, 2.0, 3.0, 4.0, 5.5, 7.5)  # body lengths in radii (the round ends add one radius each): no dots
BENDS = (-0.7, 0.0, 0.7)  # radians a stroke's direction turns from its head to its tail (each bend: more stamps)
STRAIGHT = BENDS.index(0.0)
VARIANTS = 2  # bristle patterns per stamp shape, so neighbouring strokes do not repeat each other
BRISTLE_PITCH = 1.3  # px between bristles at the layer's scale
RADIUS_STEP = 0.25  # px: brush radii are rounded to this, so nearby sizes share one brush
PIXELS_A_THREAD = 2_000_000  # stamp pixels worth a band thread of their own
# Brushes kept, with their stamps. The ladder's (the sizes every photo's layers land on: painter.py) come back photo
# after photo: its rungs, rounded to RADIUS_STEP, give at most 22 radii (up to 10 px) in two shapes, and a folder of
# 512 px portraits used 42 of those 44 (about 50 MB). Kept in one cache of 40 with a large photo's broadest brushes
# (its own, tens of MB each at 12 MP), the ladder's stamps were made afresh every few photos (about a twentieth of
# the strokes' CPU time); those broadest are kept only a few.
KEPT_LADDER = 64
KEPT_BROAD = 6


class Stamp(NamedTuple):
    """One stroke's mark: 'L' planes, as the Pillow cores the painter pastes with (Image.im, cut straight from the
    brush's planes: wrapping each in an Image cost more than cutting it, thousands of stamps a photo), cut to where
    the mark has paint (a stroke at a slant fills a third of the square round it, and pasting costs by the pixel);
    and where their top left corner lies from the stroke's centre."""

    alpha: Any
    relief: Any
    pickup: Any  # 0 at the head, where the brush is fully loaded, to 255 at the tail
    left: int
    top: int


def brush(radius: float, seed: int, flat: bool = False, ladder: bool = True) -> Brush:
    """The brush of this radius (rounded to RADIUS_STEP), seed and shape, made once and kept: layers and photos
    of the same sizes share their stamps. `ladder`: a size of the painter's ladder, used photo after photo; else a
    large photo's broadest layer's own."""
    return (_ladder_brush if ladder else _broad_brush)(round(radius / RADIUS_STEP), seed, flat, ladder)


def _made_brush(steps: int, seed: int, flat: bool, ladder: bool) -> Brush:
    return Brush(steps * RADIUS_STEP, seed + steps, flat, ladder)


# Each cache lets the least recently used go first; both are safe across finishing threads.
_ladder_brush = functools.lru_cache(maxsize=KEPT_LADDER)(_made_brush)
_broad_brush = functools.lru_cache(maxsize=KEPT_BROAD)(_made_brush)


class Brush:
    """Stamps of one radius (px at the layer's scale); `seed` fixes the bristle patterns. A round-ended filbert
    (the painter's for flesh); `flat`: a flat hog brush (for everything else: hair, clothes, ground), its ends
    square and ragged, its load uneven and dragging dry, so its strokes read as paint pulled across the canvas
    rather than as rounded pebbles."""

    def __init__(self, radius: float, seed: int, flat: bool = False, ladder: bool = True):
        self.radius = radius
        self.seed = seed
        self.flat = flat
        self.ladder = ladder
        rng = np.random.default_rng(seed)
        count = max(4, int(2 * radius / BRISTLE_PITCH) + 2)
        # Per bristle: paint load, how far past the body it reaches, how early it runs dry.
        load = [_smooth(rng.uniform(0, 1, count)) for _ in range(VARIANTS)]
        reach = [_smooth(rng.uniform(0, 1, count)) for _ in range(VARIANTS)]
        dry = [rng.uniform(0, 1, count) for _ in range(VARIANTS)]
        self.profiles = (load, reach, dry)
        self._stamps: dict[tuple[int, int, int, int], Stamp] = {}
        # Per (length, bend, variant) of a ladder's brush: its first quarter's stamps, every angle's turned from them
        self._quarters: dict[tuple[int, int, int], _Quarter] = {}

    def stamp(self, length: int, angle: int, variant: int, bend: int = STRAIGHT) -> Stamp:
        """The stamp for LENGTHS[length], ANGLES[angle] and BENDS[bend]."""
        key = (length, bend, angle, variant)
        if key not in self._stamps:
            self.prepare(length, bend, variant, [angle])
        return self._stamps[key]

    def prepare(self, length: int, bend: int, variant: int, angles) -> None:
        """Make the stamps of these angles (indices into ANGLES) not made yet. A stroke turned a quarter turn is
        its stamp turned a quarter turn (the grid is square and centred), so only the first quarter's angles are
        computed, in one pass (for a brush of the ladder, used photo after photo, all of them the first time any
        is asked for; for a broader one, only those asked for): a layer asks for hundreds of small stamps, and made a
        few at a time numpy's per-call overhead would cost several times the arithmetic."""
        angles = [angle for angle in dict.fromkeys(angles) if (length, bend, angle, variant) not in self._stamps]
        if not angles:
            return
        quarter, shape = ANGLES // 4, (length, bend, variant)
        if self.ladder:
            if shape not in self._quarters:
                self._quarters[shape] = _Quarter(self._ladder_planes(length, bend, variant), range(quarter))
            firsts = self._quarters[shape]
        else:
            wanted = sorted({angle % quarter for angle in angles})
            firsts = _Quarter(self._made(LENGTHS[length] * self.radius, wanted, variant, BENDS[bend]), wanted)
        for angle in angles:
            self._stamps[(length, bend, angle, variant)] = firsts.turned(angle % quarter, angle // quarter)

    def _ladder_planes(self, length: int, bend: int, variant: int) -> tuple:
        """The first quarter's planes of one shape of a ladder's brush: the same in every run, so kept on disk from one
        run to the next (brush_cache.py)."""
        name = f"{self.radius!r}-{self.seed}-{'flat' if self.flat else 'filbert'}-{length}-{bend}-{variant}"
        body, quarter = LENGTHS[length] * self.radius, ANGLES // 4
        planes = brush_cache.load(name, self._half(body), quarter)
        if planes is None:
            planes = self._made(body, list(range(quarter)), variant, BENDS[bend])
            for plane in planes[:3]:  # as read-only as the planes read back from the cache
                plane.setflags(write=False)
            brush_cache.save(name, planes)
        return planes

    def _half(self, body: float) -> int:
        """Half the side of the square a stroke of this body length is made in (its round or ragged ends in it)."""
        return int(math.ceil(body / 2 + 1.6 * self.radius)) + 1

    def _made(self, body: float, angles: list[int], variant: int, bending: float) -> tuple:
        """`_make`, its angles shared among the band threads (bands.py) where the stamps are large: a 12 MP photo's
        broadest brushes are made afresh for it, hundreds of pixels a side."""
        side = 2 * self._half(body) + 1
        parts = min(threads(), len(angles), side * side * len(angles) // PIXELS_A_THREAD)
        if parts <= 1:
            return self._make(body, angles, variant, bending)
        made = each(
            [list(part) for part in np.array_split(angles, parts)],
            lambda part: self._make(body, part, variant, bending),
        )
        return (*(np.concatenate(planes) for planes in zip(*(part[:3] for part in made))), made[0][3])

    def _make(self, body: float, angles: list[int], variant: int, bending: float = 0.0) -> tuple:
        """Alpha, relief and pick-up (uint8, one [side, side] plane per angle) and the half side, for one body length
        whose direction turns `bending` radians from head to tail (towards +y at angle 0). The bend fits the same box:
        its sag, at most a tenth of the body, stays inside the corners a straight stamp leaves empty."""
        radius = self.radius
        half = self._half(body)
        ys, xs = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
        turns = [2 * math.pi * angle / ANGLES for angle in angles]
        cos = np.array([math.cos(theta) for theta in turns], np.float32)[:, None, None]
        sin = np.array([math.sin(theta) for theta in turns], np.float32)[:, None, None]
        along = xs * cos + ys * sin  # from the head (negative) to the tail (positive)
        # Across is measured from the stroke's centre line: an arc (a parabola, this short) turning `bending`.
        across = -xs * sin + ys * cos - bending / body * np.minimum(along**2, (body / 2 + radius) ** 2) / 2
        # Bristle profiles across the stroke, interpolated between bristles so streaks have no stair-steps.
        count = len(self.profiles[0][variant])
        position = np.clip((across / radius + 1) / 2 * (count - 1), 0, count - 1)
        load, reach, dry = (np.interp(position, np.arange(count), profile[variant]) for profile in self.profiles)
        end = body / 2 + radius * (0.3 + 0.6 * reach)  # each bristle ends at its own place: ragged ends
        past_body = np.clip(np.abs(along) - body / 2, 0, None) / (end - body / 2)
        # A flat's bristles thin out over this many px at their tips instead of ending at a cut: broad strokes are
        # painted small and enlarged, and their cut tips, each bristle a few px wide, read as stair-steps.
        fade = max(1.0, 0.35 * radius) if self.flat else 1.0
        lengthwise = np.clip((end - np.abs(along)) / fade + 0.5, 0, 1)
        # The band narrows a little along the body; a filbert rounds off over the ends, a flat stays squarer.
        ends = np.sqrt(np.clip(1 - past_body ** (4 if self.flat else 2), 0, 1))  # a flat's corners: worn round
        width = radius * (1 - 0.12 * np.clip(np.abs(along) / (body / 2 + radius), 0, 1)) * ends
        crosswise = np.clip(width - np.abs(across) + 0.5, 0, 1)
        # Past a bristle's dry point towards the tail its paint breaks up (a flat drags drier, and its bristles
        # carry more unequal loads: streaks the paint below shows through).
        tail = np.clip((along - (0.1 + 0.5 * dry) * (body / 2 + radius)) / (body / 2 + radius), 0, 1)
        spread, dryness = (0.35, 0.7) if self.flat else (0.15, 0.45)
        alpha = lengthwise * crosswise * (1 - spread + spread * load) * (1 - dryness * tail)
        relief = lengthwise * crosswise * (0.35 + 0.65 * load) * (1 - 0.5 * tail)
        pickup = np.clip((along + body / 2 + radius) / (body + 2 * radius), 0, 1)
        return _bytes(alpha), _bytes(relief), _bytes(pickup), half


class _Quarter:
    """The stamps of one stroke shape's first quarter of angles, from which every angle's stamp is cut and turned.

    Each plane kind (alpha, relief, pick-up) is one tall 'L' image, the angles' planes one below the other, so a
    stamp is a crop of it (cut to where the alpha has paint: a stroke at a slant fills a third of the square round
    it, and pasting costs by the pixel), turned by Pillow where its angle lies in another quarter. Turning the
    small crop rather than the whole planes in numpy cut a process's first stamps from 0.24 to 0.17 CPU-s on a
    512 px photo (thousands of stamps)."""

    def __init__(self, planes: tuple, firsts):
        *kinds, self.half = planes
        self.side = 2 * self.half + 1
        self.place = {first: place for place, first in enumerate(firsts)}
        self.talls = [_tall(kind).im for kind in kinds]
        painted = kinds[0] > 0
        self.boxes = np.concatenate([_extents(painted.any(axis=1)), _extents(painted.any(axis=2))], axis=1).tolist()

    def turned(self, first: int, turns: int) -> Stamp:
        """The stamp of first-quarter angle `first` turned `turns` quarter turns clockwise (y points down)."""
        place, side = self.place[first], self.side
        left, right, top, bottom = self.boxes[place]
        cut = [tall.crop((left, place * side + top, right, place * side + bottom)) for tall in self.talls]
        if turns:
            cut = [core.transpose(_CLOCKWISE[turns]) for core in cut]
        for _ in range(turns):  # a quarter turn clockwise takes (x, y) to (side - 1 - y, x)
            left, right, top, bottom = side - bottom, side - top, left, right
        return Stamp(*cut, left - self.half, top - self.half)


_CLOCKWISE = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}


def _extents(painted: np.ndarray) -> np.ndarray:
    """[count, 2]: the first and one past the last True of each row of `painted` ([count, n]); a 1-pixel extent
    where a row has none."""
    has = painted.any(axis=1)
    first = np.where(has, painted.argmax(axis=1), 0)
    end = np.where(has, painted.shape[1] - painted[:, ::-1].argmax(axis=1), 1)
    return np.stack([first, end], axis=1)


def _smooth(values: np.ndarray) -> np.ndarray:
    """Neighbouring bristles carry similar loads: a little averaging keeps streaks from looking like noise."""
    padded = np.concatenate([values[:1], values, values[-1:]])
    return (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4


def _bytes(values: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(values, 0, 1) * 255).astype(np.uint8)


def _tall(planes: np.ndarray) -> Image.Image:
    """[count, side, side] uint8 planes as one 'L' image, the planes one below the other."""
    return Image.fromarray(np.ascontiguousarray(planes).reshape(-1, planes.shape[2]))
