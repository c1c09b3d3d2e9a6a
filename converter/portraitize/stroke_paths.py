"""Where each stroke runs (painter.py's layers): anchors on a jittered grid, the picture's contour flow, and each
stroke's direction, bend and length from them.

A stroke runs along the picture's contours (the structure tensor's flow; a painter's slant where there is none),
bends as the flow turns along it, and stops where the colour under it changes, so strokes end at edges and are
long on plain ground; a finer layer's stroke never runs out past the sitters' outline. All in a layer's own
pixels, where its brush is painter.WORK_RADIUS px.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .brush import BENDS, LENGTHS
from .filters import flow, luminance
from .stroke_draws import AnchorDraws

JITTER = 0.35  # anchors move up to this share of the spacing off the grid
# A stroke stops where the colour under it differs from its own by this much (mean of RGB, 0..1): on the face a
# filbert's stroke runs on over the small changes of a cheek's modelling (painter 9; 0.06 cut flesh into dabs)
EDGE = 0.09
# ... a flat brush's stroke, where this much: it simplifies, pulled on through the folds of a sleeve (with the
# broader ground, painter 9: blind viewers chose its "distinct, decisive strokes" over painter 8's 0.085, 14 to 4)
FLAT_EDGE = 0.12
FLAT_SHORTEST = 2  # the index in LENGTHS of a flat brush's shortest stroke
FLOW_SCALE = 3.0  # brush radii the flow is smoothed over: strokes follow the form's planes, not every wrinkle
FLOW_SIGMA = 3.0  # px: the smoothing the flow is found at, on a copy reduced to it
COHERENT = 0.25  # below this coherence the picture has no direction and the painter's slant takes over
SLANT, SLANT_SPREAD = math.radians(-60), math.radians(35)  # "/", a right-handed painter's hatching, turning
JITTER_ANGLE = math.radians(8)  # hand tremor in a stroke's direction
END = 1.0  # radii a stroke's stamp reaches past its body at each end (brush.LENGTHS)
BENT_FROM = 2  # the index in LENGTHS of the shortest stroke that bends: a shorter one's arc would not show
GROUND_HATCH = math.radians(30)  # the spread of the painted ground's hatching about the slant


def anchors(size: tuple[int, int], radius: float, spacing: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """A jittered grid, `spacing` brush radii apart, over the whole picture (output pixels); at SPACING neighbours
    never drift more than two radii apart, so even the round part of each stroke (the narrowest brush's: 1.6
    radii wide, and longer than that) covers the canvas."""
    step = spacing * radius
    ys, xs = np.mgrid[step / 2 : size[1] + step / 2 : step, step / 2 : size[0] + step / 2 : step]
    x = xs.ravel() + rng.uniform(-JITTER, JITTER, xs.size) * step
    y = ys.ravel() + rng.uniform(-JITTER, JITTER, ys.size) * step
    return np.clip(x, 0, size[0] - 1), np.clip(y, 0, size[1] - 1)


@dataclasses.dataclass
class Flow:
    """The picture's contour directions and their coherence on a copy `reduce` times smaller than the layer's."""

    along: np.ndarray
    coherence: np.ndarray
    reduce: int

    def at(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        row, col = index_of(self.along, y / self.reduce, x / self.reduce)
        return self.along[row, col], self.coherence[row, col]


def flow_field(reference: np.ndarray, brush_radius: float) -> Flow:
    """The flow, varying over FLOW_SCALE brush radii: found on a copy reduced to about FLOW_SIGMA px per such
    scale."""
    reduce = max(1, int(FLOW_SCALE * brush_radius / FLOW_SIGMA))
    along, coherence = flow(luminance(reference[::reduce, ::reduce]), FLOW_SCALE * brush_radius / reduce)
    return Flow(along, coherence, reduce)


def directions(field: Flow, where, size, x, y, on_ground, draws: AnchorDraws) -> np.ndarray:
    """Along the contours where the picture has them; a painter's slowly turning slant where it has none (set
    by the position in the whole picture, `where`, so it turns the same way in every layer), and on the
    painted ground (`on_ground`), loosely hatched about that slant."""
    out_x, out_y = where
    along, coherence = field.at(x, y)
    slant = SLANT + SLANT_SPREAD * np.sin(2 * math.pi * (out_x / size[0] * 0.7 + out_y / size[1] * 0.4))
    angle = np.where(coherence >= COHERENT, along, slant)
    tremor = np.where(on_ground, GROUND_HATCH, JITTER_ANGLE)
    angle = np.where(on_ground, slant, angle) + tremor * draws.tremor
    return angle + math.pi * draws.flip  # strokes start from either end


def bends(field: Flow, x, y, angle, body, brush_radius, straight) -> np.ndarray:
    """Each stroke's index in BENDS: how far the contour's direction turns between the stroke's head and tail,
    where it and both its ends lie on a clear contour and it is long enough for its arc to show (BENT_FROM);
    straight where `straight` says (the ground's hatching; the flesh's filberts, which follow the face's small
    planes: every bent stamp is one more to make per photo, and there an arc is rarely seen)."""
    length = np.array(LENGTHS)[body] * brush_radius
    reach_x, reach_y = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    head, head_clear = field.at(x - reach_x, y - reach_y)
    tail, tail_clear = field.at(x + reach_x, y + reach_y)
    turned = (tail - head + math.pi / 2) % math.pi - math.pi / 2  # contours have no head: turns of under a right angle
    _, centre_clear = field.at(x, y)
    clear = np.minimum(np.minimum(head_clear, tail_clear), centre_clear) >= COHERENT
    follows = clear & ~straight & (body >= BENT_FROM)
    bending = np.where(follows, turned, 0.0)
    return np.abs(bending[:, None] - np.array(BENDS)[None, :]).argmin(axis=1)


def lengths(reference, brush_radius, x, y, angle, flat, sitter=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each stroke grown both ways along its direction while the colour under it stays its own: its centre
    moved to the middle of what it covers, and the index of the stamp length that fits (in radii of its own
    brush, `brush_radius`, one per stroke). A flat brush's strokes are pulled further (they simplify) and are
    never shorter than FLAT_SHORTEST, or their square ends read as blocks. `sitter` (bool, the reference's
    pixels: inside the sitters' outline): no stroke, its ends included, crosses the outline where a stamp fits
    (the longest that fits; where none does, the shortest, centred in the room)."""
    edge, shortest = np.where(flat, FLAT_EDGE, EDGE), np.where(flat, FLAT_SHORTEST, 0)
    row, col = index_of(reference, y, x)
    own = reference[row, col]
    own_side = None if sitter is None else sitter[row, col]
    dx, dy = np.cos(angle), np.sin(angle)
    step = 0.5 * brush_radius
    most = int(round(LENGTHS[-1] / 2 / 0.5))  # steps each way to the longest body
    ends = int(round(END / 0.5))  # and on to the end of its stamp
    reach, room = [], []
    for sign in (1, -1):
        going, free = np.ones(len(x), bool), np.ones(len(x), bool)
        steps, free_steps = np.zeros(len(x)), np.zeros(len(x))
        for index in range(1, most + (ends if own_side is not None else 0) + 1):
            row, col = index_of(reference, y + sign * index * step * dy, x + sign * index * step * dx)
            if own_side is not None:
                free &= sitter[row, col] == own_side
                free_steps += free
            if index <= most:
                going &= (np.abs(reference[row, col] - own).mean(axis=1) < edge) & free
                steps += going
        reach.append(steps * step)
        room.append(free_steps * step)
    forward, backward = reach
    shift = (forward - backward) / 2
    body = (forward + backward) / brush_radius
    bucket = np.maximum(np.abs(body[:, None] - np.array(LENGTHS)[None, :]).argmin(axis=1), shortest)
    if own_side is not None:
        ahead, behind = room
        fits = ((ahead + behind) / brush_radius)[:, None] >= np.array(LENGTHS)[None, :] + 2 * END
        bucket = np.minimum(bucket, np.maximum(fits.sum(axis=1) - 1, 0))
        half = (np.array(LENGTHS)[bucket] / 2 + END) * brush_radius  # the stamp's reach from its centre
        low, high = half - behind, ahead - half
        shift = np.where(low <= high, np.clip(shift, low, high), (ahead - behind) / 2)
    height, width = reference.shape[:2]  # a stroke may run off the canvas, but its centre stays on it
    return np.clip(x + shift * dx, 0, width - 1), np.clip(y + shift * dy, 0, height - 1), bucket


def index_of(reference: np.ndarray, y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest pixel rows and columns, clipped to the picture."""
    row = np.clip(np.rint(y).astype(int), 0, reference.shape[0] - 1)
    col = np.clip(np.rint(x).astype(int), 0, reference.shape[1] - 1)
    return row, col
