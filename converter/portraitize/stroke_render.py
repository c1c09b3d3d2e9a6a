"""Stamping a layer's strokes (painter.py) and lighting their relief.

Each stroke is a bristle stamp (brush.py) composited over what is there, in the order its layer sets, with its
relief lit from the top left: the relief thin in the darks and thick in the lights, a lit ridge never lightening
the paint past its headroom; where a painted ground's strokes go into wet priming, each picks it up towards its tail.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

from .bands import each, threads
from .brush import ANGLES, BENDS, LENGTHS, STRAIGHT, VARIANTS, Brush
from .filters import by_rows, gradient, luminance

RELIEF = 0.7  # brightness change per unit of relief slope at the layer's scale
MAX_SHADE = 0.25
RELIEF_BLUR = 1.4  # px (a Gaussian's sigma): the relief is this smooth before it is lit
THIN_DARKS = 0.25  # the relief of the darkest paint, as a share of the lightest's
PIXELS_A_BAND = 4_000_000  # the fewest stamped pixels worth a band thread of their own (about 20 ms of pasting)


def render(
    base: np.ndarray,
    brushes: list[Brush],
    kind,
    x,
    y,
    angle,
    body,
    bend,
    colour,
    variant,
    rank,
    priming=None,
    relief_share=None,
) -> Image.Image:
    """The strokes stamped in the order of their `rank` (lowest first) onto a transparent layer (its colour underneath
    the picture's, so half-covered pixels blend with what they cover), lit by their relief; each stroke's brush
    is brushes[kind], its bristle pattern `variant` (of VARIANTS). `priming`: (the wet priming beneath, uint8 RGB
    at the layer's size; the share of it a stroke's tail picks up there, 0..1): each stroke's colour is mixed
    with it, the more the nearer its tail.
    `relief_share`: how strongly the relief is lit at each pixel of the layer, as a share of the full light."""
    turns = np.rint(angle / (2 * math.pi) * ANGLES).astype(int) % ANGLES
    # A bent stroke keeps one bristle pattern: its arc already sets it apart, and each pattern is a stamp to make.
    variants = np.where(bend == STRAIGHT, variant, 0)
    stamps, stamp_of = _stamps(brushes, kind, body, bend, turns, variants)
    order = np.argsort(rank, kind="stable")
    # Each stroke's box (left, top, right, bottom): its stamp's, placed by its centre.
    sides = np.array([(stamp.left, stamp.top, *stamp.alpha.size) for stamp in stamps])[stamp_of[order]]
    corners = np.rint(np.stack([x, y], axis=1)[order]).astype(int) + sides[:, :2]
    boxes = np.concatenate([corners, corners + sides[:, 2:]], axis=1)
    strokes = (stamp_of[order], boxes, colour[order])
    parts = each(_stroke_bands(boxes, base.shape[0]), lambda rows: _stamped(base, rows, stamps, strokes, priming))
    layer, relief, pickup = (_joined(planes) for planes in zip(*parts))
    # Pillow's 8-bit blur: the numpy one's float passes cost about ten times as long on a 12 MP sitter's layers,
    # and a 255th of the relief is far below a visible change of shade.
    heights = np.asarray(Image.fromarray(relief).filter(ImageFilter.GaussianBlur(RELIEF_BLUR)), np.float32) / 255
    shade, slope_x = gradient(heights)
    del heights, relief  # a fine layer at 12 MP is the photo's size: each float plane here is ~50 MB, so the shade is
    shade += slope_x  # worked out in place, in the same operations and order as RELIEF * (x + y) / sqrt(2)
    del slope_x
    shade *= RELIEF
    shade /= math.sqrt(2)
    np.clip(shade, -MAX_SHADE, MAX_SHADE, out=shade)
    if relief_share is not None:  # the light on it, not the paint's height: a scaled height would slope at the
        shade *= relief_share  # face's outline and light a rim there that no stroke made

    def lit(block: np.ndarray, rows: slice) -> np.ndarray:
        if priming is not None:
            # The pick-up was composited as the paint was, weighted by each stamp's alpha: divided by the layer's
            # alpha it is the covering strokes' own pick-up, which keeps rising into a flat brush's dry tail.
            beneath, share = priming
            along = pickup[rows] / np.maximum(block[..., 3], 1)
            block[..., :3] += (beneath[rows] - block[..., :3]) * (along * share[rows])[..., None]
        # Thin darks, thick lights: a painter lays shadows in thin paint and builds the lights up, so the
        # relief (and its lit ridges) grows with the paint's value.
        thickness = THIN_DARKS + (1 - THIN_DARKS) * luminance(block[..., :3]) / 255
        # A lit ridge lightens the paint by at most what its headroom allows (a multiplied light clipped light
        # skin to white: the "thin pale swirl lines" viewers named); a ridge's shadow darkens it in proportion.
        gain = (shade[rows] * thickness)[..., None]
        rgb = block[..., :3]
        rgb += gain * np.where(gain > 0, np.minimum(rgb, 255 - rgb), rgb)
        return block

    return Image.fromarray(by_rows(layer, lit), "RGBA")


def _stroke_bands(boxes: np.ndarray, height: int) -> list[slice]:
    """The layer's rows split for the band threads (bands.py), as many bands as threads, each with about as many
    strokes (`boxes`: each stroke's, left, top, right, bottom); one band where the strokes cover too few pixels to
    share out. A band's pixels come out the same however the rows are split: each pixel takes the same strokes in
    the same order."""
    stamped = float(np.sum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), dtype=np.float64))
    count = min(threads(), int(stamped // PIXELS_A_BAND))  # pixels pasted over: about what the stamping costs
    if count <= 1:
        return [slice(0, height)]
    centres = np.clip((boxes[:, 1] + boxes[:, 3]) // 2, 0, height)
    cuts = np.quantile(centres, np.arange(1, count) / count).astype(int).tolist()
    edges = [0, *sorted(set(cuts) - {0, height}), height]
    return [slice(top, bottom) for top, bottom in zip(edges, edges[1:])]


def _stamped(base: np.ndarray, rows: slice, stamps: list, strokes: tuple, priming) -> tuple:
    """Rows `rows` of the layer with every stroke that reaches them stamped, in order: its paint (RGBA, the colour
    underneath `base`'s), relief and, with `priming`, pick-up (uint8 arrays; the pick-up None without)."""
    stamp_of, boxes, colour = strokes
    reach = (boxes[:, 3] > rows.start) & (boxes[:, 1] < rows.stop)
    layer = Image.fromarray(np.dstack([base[rows], np.zeros(base[rows].shape[:2], np.uint8)]), "RGBA").copy()
    relief = Image.new("L", layer.size, 0)
    pickup = None if priming is None else Image.new("L", layer.size, 0)
    paint = [(red, green, blue, 255) for red, green, blue in colour[reach].tolist()]
    # Thousands of small stamps: Pillow's core paste, without Image.paste's per-call checks (profiled, those
    # checks cost several times the paste itself on stamps this small), and plain Python numbers in the loop;
    # the images are this function's own, loaded and writable, and the core clips boxes at the edges. The core
    # lets go of the GIL while it pastes, so bands stamp side by side.
    layer_core, relief_core = layer.im, relief.im
    pickup_core = None if pickup is None else pickup.im
    placed = boxes[reach] - (0, rows.start, 0, rows.start)
    for stamp, box, rgba in zip(stamp_of[reach].tolist(), map(tuple, placed.tolist()), paint):
        alpha, height, taken = stamps[stamp][:3]
        layer_core.paste(rgba, box, alpha)
        relief_core.paste(height, box, alpha)
        if pickup_core is not None:
            pickup_core.paste(taken, box, alpha)
    return np.asarray(layer), np.asarray(relief), None if pickup is None else np.asarray(pickup)


def _joined(planes: tuple) -> np.ndarray | None:
    """A plane's bands one below the other (one band: as it is)."""
    if planes[0] is None or len(planes) == 1:
        return planes[0]
    return np.concatenate(planes)


def _stamps(brushes: list[Brush], kind, body, bend, turns, variants) -> tuple[list[tuple], np.ndarray]:
    """The distinct stamps the strokes need, made (each brush's lengths, bends and variants in one pass apiece,
    Brush.prepare), as brush.Stamp (Pillow cores cut to their paint, and where that lies from the stroke's centre);
    and each stroke's index among them."""
    # One number a stroke, its digits its kind, length, bend, variant and direction: unique numbers sort as their
    # rows of digits would, and np.unique of numbers costs a fraction of np.unique of rows.
    bases = np.array([len(brushes), len(LENGTHS), len(BENDS), VARIANTS, ANGLES], np.int64)
    places = np.cumprod(bases[::-1])[::-1] // bases
    numbers = np.stack([kind, body, bend, variants, turns], axis=1).astype(np.int64) @ places
    keys, stamp_of = np.unique(numbers, return_inverse=True)
    unique = keys[:, None] // places % bases

    def prepared(kind: list[int]) -> None:
        shape, length, bent, variant = kind
        same = (unique[:, :4] == kind).all(axis=1)
        brushes[shape].prepare(length, bent, variant, unique[same, 4].tolist())

    # Each kind's stamps apart, side by side on the band threads: a process's first photos make dozens of kinds.
    each(np.unique(unique[:, :4], axis=0).tolist(), prepared)
    stamps = []
    for shape, length, bent, variant, turn in unique.tolist():
        stamps.append(brushes[shape].stamp(length, turn, variant, bent))
    return stamps, stamp_of.ravel()
