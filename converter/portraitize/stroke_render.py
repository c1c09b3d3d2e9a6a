"""Stamping a layer's strokes (painter.py) and lighting their relief.

Each stroke is a bristle stamp (brush.py) composited over what is there, in the order its layer sets, with its
relief lit from the top left: the relief thin in the darks and thick in the lights, a lit ridge never lightening
the paint past its headroom; where a painted ground's strokes go into wet priming, each picks it up towards its tail.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

from .brush import ANGLES, STRAIGHT, Brush
from .filters import by_rows, gradient, luminance

RELIEF = 0.7  # brightness change per unit of relief slope at the layer's scale
MAX_SHADE = 0.25
RELIEF_BLUR = 1.4  # px (a Gaussian's sigma): the relief is this smooth before it is lit
THIN_DARKS = 0.25  # the relief of the darkest paint, as a share of the lightest's


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
    layer = Image.fromarray(np.dstack([base, np.zeros(base.shape[:2], np.uint8)]), "RGBA").copy()  # its own pixels
    relief = Image.new("L", layer.size, 0)
    pickup = None if priming is None else Image.new("L", layer.size, 0)
    turns = np.rint(angle / (2 * math.pi) * ANGLES).astype(int) % ANGLES
    # A bent stroke keeps one bristle pattern: its arc already sets it apart, and each pattern is a stamp to make.
    variants = np.where(bend == STRAIGHT, variant, 0)
    stamps, stamp_of = _stamps(brushes, kind, body, bend, turns, variants)
    order = np.argsort(rank, kind="stable")
    left, top = np.rint(x[order]).astype(int).tolist(), np.rint(y[order]).astype(int).tolist()
    paint = [(red, green, blue, 255) for red, green, blue in colour[order].tolist()]
    # Thousands of small stamps: Pillow's core paste, without Image.paste's per-call checks (profiled, those
    # checks cost several times the paste itself on stamps this small), and plain Python numbers in the loop;
    # both images are this function's own, loaded and writable, and the core clips boxes at the edges.
    layer_core, relief_core = layer.im, relief.im
    pickup_core = None if pickup is None else pickup.im
    for stamp, centre_x, centre_y, rgba in zip(stamp_of[order].tolist(), left, top, paint):
        alpha, height, taken, half = stamps[stamp]
        box = (centre_x - half, centre_y - half, centre_x + half + 1, centre_y + half + 1)
        layer_core.paste(rgba, box, alpha)
        relief_core.paste(height, box, alpha)
        if pickup_core is not None:
            pickup_core.paste(taken, box, alpha)
    # Pillow's 8-bit blur: the numpy one's float passes cost about ten times as long on a 12 MP sitter's layers,
    # and a 255th of the relief is far below a visible change of shade.
    heights = np.asarray(relief.filter(ImageFilter.GaussianBlur(RELIEF_BLUR)), np.float32) / 255
    slope_y, slope_x = gradient(heights)
    shade = np.clip(RELIEF * (slope_x + slope_y) / math.sqrt(2), -MAX_SHADE, MAX_SHADE)
    if relief_share is not None:  # the light on it, not the paint's height: a scaled height would slope at the
        shade *= relief_share  # face's outline and light a rim there that no stroke made
    taken_up = None if pickup is None else np.asarray(pickup)

    def lit(block: np.ndarray, rows: slice) -> np.ndarray:
        if priming is not None:
            # The pick-up was composited as the paint was, weighted by each stamp's alpha: divided by the layer's
            # alpha it is the covering strokes' own pick-up, which keeps rising into a flat brush's dry tail.
            beneath, share = priming
            along = taken_up[rows] / np.maximum(block[..., 3], 1)
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

    return Image.fromarray(by_rows(np.asarray(layer), lit), "RGBA")


def _stamps(brushes: list[Brush], kind, body, bend, turns, variants) -> tuple[list[tuple], np.ndarray]:
    """The distinct stamps the strokes need, made (each brush's lengths, bends and variants in one pass apiece,
    Brush.prepare), as Pillow cores (alpha, relief, pick-up) and half sides; and each stroke's index among them."""
    unique, stamp_of = np.unique(np.stack([kind, body, bend, variants, turns], axis=1), axis=0, return_inverse=True)
    for shape, length, bent, variant in np.unique(unique[:, :4], axis=0).tolist():
        same = (unique[:, :4] == (shape, length, bent, variant)).all(axis=1)
        brushes[shape].prepare(length, bent, variant, unique[same, 4].tolist())
    stamps = []
    for shape, length, bent, variant, turn in unique.tolist():
        stamps.append(brushes[shape].stamp(length, turn, variant, bent))
    return stamps, stamp_of.ravel()
