"""The stroke painter: the paint chain's last painting stage, at the output's own resolution.

The translator paints the palette and the modelling; this stage lays the paint as a painter does, in layers of
discrete strokes from broad to fine (Hertzmann, SIGGRAPH 1998; anchors, flow and brush templates as in Im2Oil,
Tong et al. 2022, and Paint Transformer, Liu et al. 2021, written afresh here):

1. What to paint (ground.py): the painting, its sitter lit as a painter would, on a painted ground.
2. How fine (fineness.py): a brush radius for every part: features, face, person, ground, each a share of a
   face's size.
3. Layers, broadest first: each layer's strokes go where the fineness asks for that radius or a finer one, so
   the ground keeps its broad strokes and the eyes get every layer down to the finest; but a finer layer skips
   what the broader strokes already paint as the picture shows it, and on the faces it also goes wherever they
   miss it (Hertzmann's refinement). Each stroke takes its colour from the picture blurred to the brush's scale
   and runs where stroke_paths.py says: along the contours, bending with them, stopping at edges and at the
   sitters' outline.
4. Each stroke is a bristle stamp (brush.py) composited over what is there and lit by its relief
   (stroke_render.py), with a portrait model the sitter's darkest first in each layer, so that its lights lie over
   its shadows: a round-ended filbert on the flesh, a flat hog brush (square ends, dry drags) everywhere
   else, the relief low on the faces (flesh is blended paint). A painted ground's strokes go on a primed, lighter
   canvas that shows where they drag dry, and into it while it is wet: each leaves the brush fully loaded and
   picks up the priming as it goes, so towards its tail its colour is up to PICKUP of the priming's, and the
   ground shows loose, broken brushwork instead of a flat fill; the sitters' strokes stay crisp and separate
   (blind viewers of 12 MP details chose both; a kept background is the photo's own, which a pick-up would bring
   back). A layer is painted at the scale where its brush is WORK_RADIUS px (at most MIN_SCALE smaller), then
   brought to the output's size: broad strokes cost little more than fine ones, and their edges soften a little
   with their size. Each stroke's brush is 0.8, 1 or 1.25 times its layer's.
5. Small eyes, whose iris is no wider than the finest stroke, are finished from the picture itself (eyes.py).
   Last, the canvas's weave shows through the thin paint (weave.py).

The same picture, faces and settings give the same painting (every random choice is seeded).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .bands import each, resize_bands, resized, resized_rows
from .brush import BENDS, LENGTHS, VARIANTS, brush
from .eyes import finish_eyes
from .faces import Face
from .filters import blur, gradient, luminance
from .fineness import Regions, radius_map, regions
from .ground import target, toned_canvas
from .painter_settings import FINENESS, PainterSettings
from .stroke_draws import AnchorDraws
from .stroke_paths import anchors, bends, directions, flow_field, index_of, lengths
from .stroke_render import render
from .weave import woven

RUNG = 2 ** (1 / 6)  # brush radii at the layers' scales are WORK_RADIUS times whole powers of this (_layer_scale)
# A stroke's brush, times its layer's: two rungs down or up, so every brush stays on the ladder.
BRUSH_SIZES, BRUSH_SIZE_ODDS = (RUNG**-2, 1.0, RUNG**2), (0.3, 0.45, 0.25)
LAYER_STEP = 0.58  # each layer's brush radius is this share of the one before
WORK_RADIUS = 8.0  # px: the brush radius at the scale a layer is painted at
MIN_SCALE = 1 / 4  # ... but no layer is painted smaller than this, so broad strokes keep crisp bristles at 100%
LADDER_TOLERANCE = 1.001  # a layer's brush radius is on the ladder up to WORK_RADIUS times this (float rounding)
MAX_PIXELS = 16_000_000  # the most pixels strokes are laid at: larger pictures are painted smaller, then enlarged
MIN_SIDE = 512  # the shortest long side strokes are laid at: smaller pictures are painted larger, then reduced
TEXTURE = 0.02  # of the face's size: detail finer than this does not make strokes finer
REGION_SIDE = 384  # long side of the grid the fineness and the ground are planned on
SPACING = 1.15  # anchor spacing in layer radii: strokes at least 1.6 radii wide overlap, so they cover the canvas
FINER_SPACING = 1.3  # the finer layers paint over a covered canvas: a little sparser
COLOUR_BLUR = 0.35  # a stroke's colour: the picture blurred over this many brush radii
JITTER_VALUE = 0.045  # hand tremor in the paint's value
FLESH_CALM = 1.0  # on the face no value tremor: its strokes' values are the modelling's (painter 9; 0.85 before)
GROUND_CALM = 0.6  # ... and on the painted ground this much
# The relief on the faces, as a share of elsewhere: flesh is blended paint, and its strokes' full relief read as
# "busy, squiggly", "scratchy filter-like" texture to blind viewers, who chose the calmer faces (painter 12, pairs89)
FLESH_RELIEF = 0.4
PICKUP = 0.5  # a painted ground's stroke at its tail: this share of its colour is the wet priming's
INSIDE_GAIN = 1.6  # a finer layer keeps all its paint where the person mask is above 1 / INSIDE_GAIN
# A finer layer paints only where the strokes so far miss the picture (_missing: mean of RGB, 0..1): not where they
# miss it by less than SETTLED, whatever the fineness asked (a smooth cheek or a plain sleeve stays in its broader
# strokes instead of breaking into crazy paving), and wherever they miss it by more than LOST (Hertzmann, SIGGRAPH
# 1998): on a face down to the finest layer (an eyelid, a nostril, the rim of glasses that broader strokes ran
# over); on the rest of the sitter only down to brushes BODY_REFINE of the fineness's there, one layer finer (a tie,
# a collar, fingers that the broad flats had smeared into pale blocks: blind viewers chose it 27 to 4, forced
# choice 161; down to the finest layer it painted back every badge and stripe, which made panel 31 rate lower).
LOST, SETTLED = 0.06, 0.02
BODY_REFINE = 0.55
# A layer's strokes on the sitter are stacked darkest first, so the lights lie over the half-tones and the darks show
# only where no lighter stroke covers them, as a painter lays the shadows thin and the lights over them; in a
# random stack a dark stroke landed on a lit cheek as often as under it, the "choppy patches" viewers named (painter
# 18: forced choice 147). Each stroke's place drifts by up to this share of the value range, so strokes of one
# value still cross each other at random. A painted ground's strokes stay in a random stack, its value being one
# tone (a kept background is painted, and stacked, as the sitter is). So do all of a style model's strokes: its dark
# lines, a woodblock's or a gilded pattern's, lie over its colour (stacked under the lights, MTCNN lost 8 of
# the-kiss's 50 NASA faces).
STACKING_TREMOR = 0.1


@dataclasses.dataclass
class Strokes:
    """One layer's strokes in output pixels: centres, direction at the centre (radians, y down), body length, how
    far the direction turns from head to tail (radians), the layer's brush radius, colour (uint8 RGB), and each
    stroke's brush as a share of the layer's (a hand picks up a slightly smaller or larger brush now and then:
    strokes of one size read as tiles)."""

    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray
    length: np.ndarray
    bend: np.ndarray
    radius: float
    colour: np.ndarray
    size: np.ndarray
    covered: float = 0.0  # share of the pixels of the layer's box that got paint (the first layer's box: all)

    def as_records(self) -> list[dict]:
        return [
            {
                "x": round(float(x), 1),
                "y": round(float(y), 1),
                "angle": round(math.degrees(float(angle)), 1),
                "length": round(float(length), 1),
                "bend": round(math.degrees(float(bend)), 1),
                "width": round(float(width), 1),
                "colour": "#{:02x}{:02x}{:02x}".format(*map(int, colour)),
            }
            for x, y, angle, length, bend, width, colour in zip(
                self.x, self.y, self.angle, self.length, self.bend, self.widths(), self.colour
            )
        ]

    def widths(self) -> np.ndarray:
        return 2 * self.radius * self.size


def paint_strokes(
    painted: np.ndarray,
    faces: list[Face],
    settings: PainterSettings,
    photo: np.ndarray | None = None,
    person: np.ndarray | None = None,
    landmarks: list[np.ndarray | None] | None = None,
) -> tuple[np.ndarray, list[Strokes]]:
    """uint8 RGB -> the same size painted in strokes, and the strokes, broadest layer first. `photo`: the photo
    at the same size (the faces' colour comes back from it); `person`: a person mask at any size (0..1);
    `landmarks`: each face's face-mesh points in the painting's pixels, or None (fineness.regions). Above
    MAX_PIXELS the strokes are laid on a copy of that many pixels and the result enlarged, so memory stays bounded
    (a 12 MP phone photo is painted at its own resolution); below MIN_SIDE on the long side they are laid on a copy
    that long and the result reduced, so a thumbnail shows its strokes as finely as its pixels allow instead of
    as blobs a few pixels wide. The canvas's weave is laid last, at the output's own size."""
    height, width = painted.shape[:2]
    factor = min(max(1.0, MIN_SIDE / max(height, width)), math.sqrt(MAX_PIXELS / (height * width)))
    if abs(factor - 1) > 0.01:
        result, layers = _paint_rescaled(painted, faces, settings, photo, person, landmarks, factor)
    else:
        result, layers = _lay_strokes(painted, faces, settings, photo, person, landmarks)
    return woven(result, settings.seed), layers


def _lay_strokes(painted, faces, settings, photo, person, landmarks) -> tuple[np.ndarray, list[Strokes]]:
    """`paint_strokes` at the picture's own size, but for the weave."""
    height, width = painted.shape[:2]
    work = min(1.0, REGION_SIDE / max(width, height))
    grid = (max(1, round(width * work)), max(1, round(height * work)))
    if person is not None:
        person = np.asarray(Image.fromarray(np.float32(person), "F").resize(grid, Image.Resampling.BILINEAR))
    photo_image = None if photo is None else Image.fromarray(photo)
    photo_grid = None if photo_image is None else photo_image.resize(grid, Image.Resampling.BOX)  # reduced once
    found = regions((width, height), faces, work, person, landmarks, photo_grid)
    grounded = bool(faces) and settings.background == "ground"  # a painted ground replaces the background
    picture = target(Image.fromarray(painted), photo_image, photo_grid, found, faces, work, grounded, settings.portrait)
    radii = radius_map(found, _detail(picture, grid, TEXTURE * found.face_size * work)) * FINENESS[settings.fineness]
    canvas = (toned_canvas(picture, found) if grounded else picture).convert("RGBA")
    # The painted ground is hatched across, not along its own light's fall-off (which would swirl round the
    # head); a kept background is painted along its own contours like the sitter.
    hatched = found.person < 0.5 if grounded else np.zeros(found.person.shape, bool)
    on_grid = np.asarray(picture.resize(grid, Image.Resampling.BOX), np.float32) / 255
    layers = []
    layer_radii = _layer_radii(radii)
    # Each layer's random choices come from its own stream (children of the seed, apart from the weave's): a
    # layer's draws never depend on how many anchors the layers before it had (stroke_draws.py).
    # Two each: the anchors' jitter and their choices.
    streams = [tuple(layer.spawn(2)) for layer in np.random.SeedSequence(settings.seed).spawn(len(layer_radii))]
    for index, radius in enumerate(layer_radii):
        first = index == 0
        inside = found.person if faces and not first else None  # the finer layers paint the sitters only
        wet = 1 - found.person if grounded and first else None  # ... the first the ground, into wet priming
        missing = None if first else _missing(canvas, on_grid, radius * work)
        strokes = _paint_layer(
            canvas,
            picture,
            radii,
            found,
            hatched,
            work,
            radius,
            first,
            streams[index],
            settings.seed,
            inside,
            wet,
            missing,
            darks_first=settings.portrait,
        )
        layers.append(strokes)
    finished = canvas.convert("RGB")
    if faces and settings.portrait:  # a style model's eyes are its style's
        finish_eyes(finished, picture, found)
    return np.asarray(finished), layers


def _missing(canvas: Image.Image, on_grid: np.ndarray, radius: float) -> np.ndarray:
    """How far the strokes laid so far are from what the picture shows at this layer's scale (`radius`, grid
    px), on the working grid (mean of RGB, 0..1, over about a stroke's area, but never less than a grid cell:
    at 12 MP a fine layer's miss is that of a cell about 10 px wide). The signed difference is blurred to the
    layer's scale as one image, not the canvas and the picture apart (the same by linearity, at half the cost),
    then its size over the stroke's area."""
    # Reduced first, then made RGB: at 12 MP a full-size RGB copy per layer is 36 MB more at the peak.
    painted = np.asarray(resized(canvas, on_grid.shape[1::-1], Image.Resampling.BOX).convert("RGB"), np.float32)
    return blur(np.abs(blur(painted / 255 - on_grid, radius / 2)).mean(axis=2), radius)


def _detail(picture: Image.Image, grid: tuple[int, int], texture: float) -> np.ndarray:
    """Edge strength on the working grid, 0..1 (1 at the strongest twentieth of the picture's edges), of the
    picture blurred over `texture` grid px: a painter draws the edges of masses, not every strand of hair or
    thread of a weave, which would break the hair and the clothes into a mosaic of small strokes."""
    grey = blur(luminance(np.asarray(picture.resize(grid, Image.Resampling.BOX), np.float32) / 255), texture)
    gy, gx = gradient(grey)
    strength = blur(np.hypot(gx, gy), 2.0)
    return np.clip(strength / max(float(np.percentile(strength, 95)), 1e-6), 0, 1)


def stroke_map(layers: list[Strokes], size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Which layer shows on top at each point (0: none) once every stroke is laid, each stroke taken as a disc of
    its radius, on a grid at most 512 px long; and that grid's scale."""
    scale = min(1.0, 512 / max(size))
    top = Image.new("L", (max(1, round(size[0] * scale)), max(1, round(size[1] * scale))), 0)
    draw = ImageDraw.Draw(top)
    for index, layer in enumerate(layers):
        for x, y, radius in zip(layer.x * scale, layer.y * scale, layer.widths() * scale / 2):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=index + 1)
    return np.asarray(top), scale


def visible(layers: list[Strokes], size: tuple[int, int]) -> list[np.ndarray]:
    """For each layer, which of its strokes still show at their centre once the finer layers are painted: what
    a viewer sees of the painting's stroke sizes."""
    top, scale = stroke_map(layers, size)
    return [
        top[
            np.clip((layer.y * scale).astype(int), 0, top.shape[0] - 1),
            np.clip((layer.x * scale).astype(int), 0, top.shape[1] - 1),
        ]
        == index + 1
        for index, layer in enumerate(layers)
    ]


def _paint_rescaled(
    painted, faces, settings, photo, person, landmarks, factor: float
) -> tuple[np.ndarray, list[Strokes]]:
    """`_lay_strokes` on a copy `factor` times the size, brought back to size; the strokes in the output's
    pixels."""
    height, width = painted.shape[:2]
    size = (max(1, int(width * factor)), max(1, int(height * factor)))
    # The strokes go back by each axis's own factor: a few pixels wide, a strip's width rounds far off the factor
    # its length has. The faces are scaled by the factor across (a face is tens of pixels each way, where the two
    # agree to a fraction of a percent, and the paintings stay as they were).
    across, down = size[0] / width, size[1] / height

    def resized(rgb: np.ndarray | None) -> np.ndarray | None:
        return None if rgb is None else np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))

    faces = [face.scaled(across) for face in faces]
    landmarks = [None if points is None else points * across for points in landmarks or []] or None
    small, layers = _lay_strokes(resized(painted), faces, settings, resized(photo), person, landmarks)
    restored = np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.LANCZOS))
    mean = math.sqrt(across * down)
    for layer in layers:
        layer.x, layer.y, layer.length = layer.x / across, layer.y / down, layer.length / mean
        layer.radius /= mean
    return restored, layers


def _layer_radii(radii: np.ndarray) -> list[float]:
    """Brush radii from the broadest the picture asks for down to its finest, LAYER_STEP apart."""
    broadest, finest = float(radii.max()), float(radii.min())
    layers = [broadest]
    while layers[-1] * LAYER_STEP > finest * 1.05:
        layers.append(layers[-1] * LAYER_STEP)
    if layers[-1] > finest * 1.2:
        layers.append(finest)
    return layers


def _paint_layer(
    canvas: Image.Image,
    picture: Image.Image,
    radii: np.ndarray,
    found: Regions,
    hatched: np.ndarray,
    work: float,
    radius: float,
    first: bool,
    streams: tuple[np.random.SeedSequence, np.random.SeedSequence],
    seed: int,
    inside: np.ndarray | None = None,
    wet: np.ndarray | None = None,
    missing: np.ndarray | None = None,
    darks_first: bool = True,
) -> Strokes:
    """Paint one layer's strokes onto `canvas` (RGBA, the output's size) and return them. The layer is planned
    and painted only over the box its strokes reach, at the scale where its brush is WORK_RADIUS px. `inside`: a
    mask on the working grid outside which this layer's paint is wiped off (strokes that would spill past the
    sitter's outline into the ground, a halo of stray dabs, end at the outline instead); `wet`: a mask on the
    working grid where the strokes pick up the wet priming beneath them (PICKUP); `missing`: how far the canvas so far
    misses the picture, on the working grid (_missing), for a finer layer; `darks_first`: the sitter's strokes stacked
    by value (stacking), else all in a random stack."""
    jitter, choices = streams
    x, y = anchors(picture.size, radius, SPACING if first else FINER_SPACING, np.random.default_rng(jitter))
    draws = AnchorDraws.of_grid(choices, len(x))
    grid_row = np.minimum((y * work).astype(int), radii.shape[0] - 1)
    grid_col = np.minimum((x * work).astype(int), radii.shape[1] - 1)
    asks = radii[grid_row, grid_col]
    keep = np.ones(len(x), bool) if first else asks <= radius * (1 + 0.35 * draws.keep)
    if missing is not None:  # a finer layer: where the strokes so far miss the picture (LOST, SETTLED)
        miss = missing[grid_row, grid_col]
        on_face, on_sitter = found.face[grid_row, grid_col] >= 0.5, found.person[grid_row, grid_col] >= 0.5
        refine = on_face | (on_sitter & (radius >= BODY_REFINE * asks))
        keep = (keep & (miss >= SETTLED)) | ((miss > LOST) & refine)
    x, y, grid_row, grid_col, draws = x[keep], y[keep], grid_row[keep], grid_col[keep], draws.chosen(keep)
    on_flesh, on_ground = found.face[grid_row, grid_col], hatched[grid_row, grid_col]
    if len(x) == 0:
        return Strokes(x, y, x, x, x, radius, np.zeros((0, 3), np.uint8), x)
    # The farthest a stroke's paint gets from its anchor: its centre's shift (up to a quarter of the longest
    # body) and half that body with its end, with the largest brush; and the colour blur around that.
    longest = max(BRUSH_SIZES) * (LENGTHS[-1] / 2 + 1) + LENGTHS[-1] / 4
    reach = math.ceil((longest + 3 * COLOUR_BLUR) * radius) + 2
    box = (
        max(0, int(x.min()) - reach),
        max(0, int(y.min()) - reach),
        min(picture.width, int(x.max()) + reach + 1),
        min(picture.height, int(y.max()) + reach + 1),
    )
    crop = picture.crop(box)
    scale = _layer_scale(radius)
    small = resized(crop, (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.Resampling.BOX)
    sx, sy = small.width / crop.width, small.height / crop.height
    x, y = (x - box[0]) * sx, (y - box[1]) * sy  # in the small crop's pixels
    brush_radius = radius * scale  # on its rung (sx, the crop rounded to whole pixels, may be a hair off)
    ladder = brush_radius <= WORK_RADIUS * LADDER_TOLERANCE  # else a large photo's broadest layer, at MIN_SCALE
    blurred = small.filter(ImageFilter.GaussianBlur(COLOUR_BLUR * brush_radius)) if brush_radius >= 2 else small
    reference = np.asarray(blurred, np.float32) / 255
    where = (x / sx + box[0], y / sy + box[1])
    field = flow_field(reference, brush_radius)
    angle = directions(field, where, picture.size, x, y, on_ground, draws)
    flat = on_flesh < 0.5  # flesh is painted with a filbert, the rest with a flat
    size = draws.size(BRUSH_SIZE_ODDS)
    brush_scale = np.array(BRUSH_SIZES)[size]
    # The sitter's mask on the layer's pixels: its outline stops strokes (a dab of cheek or glasses run out into
    # the ground reads as a stray mark, the halo viewers pointed at) and wipes off what still spills past it.
    within = None if inside is None else _on_layer(inside, box, work, small.size)
    sitter = None if within is None else within >= 0.5
    x, y, body = lengths(reference, brush_radius * brush_scale, x, y, angle, flat, sitter)
    bend = bends(field, x, y, angle, body, brush_radius * brush_scale, on_ground | ~flat)
    row, col = index_of(reference, y, x)
    # Flesh is blended: its strokes vary less in value than the rest, or the face turns into crazy paving; the
    # ground is laid in one tone, its strokes seen by their edges and relief rather than as light and dark dabs.
    tremor = JITTER_VALUE * (1 - FLESH_CALM * on_flesh - GROUND_CALM * on_ground)[:, None]
    colour = reference[row, col] * (1 + tremor * draws.value[:, None])
    colour = np.rint(np.clip(colour, 0, 1) * 255).astype(np.uint8)
    kind = size * 2 + flat  # each stroke's brush: its size and shape
    used = set(kind.tolist())
    brushes = [
        brush(brush_radius * BRUSH_SIZES[k // 2], seed, bool(k % 2), ladder) if k in used else None
        for k in range(2 * len(BRUSH_SIZES))
    ]
    priming = None
    if wet is not None:
        beneath = np.asarray(canvas.resize(small.size, Image.Resampling.BOX, box=box).convert("RGB"))
        priming = (beneath, _on_layer(wet, box, work, small.size) * PICKUP)
    on_face = _on_layer(found.face, box, work, small.size)
    relief_share = 1 - (1 - FLESH_RELIEF) * on_face if on_face.any() else None
    layer = render(
        np.asarray(small),
        brushes,
        kind,
        x,
        y,
        angle,
        body,
        bend,
        colour,
        draws.variant(VARIANTS),
        stacking(colour, draws.rank, on_ground) if darks_first else draws.rank,
        priming,
        relief_share,
    )
    if within is not None:
        kept = Image.fromarray(np.uint8(np.clip(within * INSIDE_GAIN, 0, 1) * 255))
        layer.putalpha(ImageChops.multiply(layer.getchannel("A"), kept))
    covered = float((np.asarray(layer.getchannel("A")) > 0).mean())
    _lay(canvas, layer, box)
    stroke_lengths = np.array(LENGTHS)[body] * radius * brush_scale
    bent = np.array(BENDS)[bend]
    return Strokes(x / sx + box[0], y / sy + box[1], angle, stroke_lengths, bent, radius, colour, brush_scale, covered)


def _lay(canvas: Image.Image, layer: Image.Image, box: tuple[int, int, int, int]) -> None:
    """The layer's paint (RGBA) composited over `canvas`'s `box`, enlarged to it where painted smaller, band by band
    on the band threads (bands.py): a 12 MP photo's broad layers are each a full-size enlargement."""
    size = (box[2] - box[0], box[3] - box[1])
    parts = resize_bands(layer.height, size[1]) if layer.size != size else [slice(0, size[1])]

    def laid(rows: slice) -> Image.Image:
        paint = resized_rows(layer, size, Image.Resampling.BICUBIC, rows) if layer.size != size else layer
        return Image.alpha_composite(canvas.crop((box[0], box[1] + rows.start, box[2], box[1] + rows.stop)), paint)

    for rows, part in zip(parts, each(parts, laid)):
        canvas.paste(part, (box[0], box[1] + rows.start))


def stacking(colour: np.ndarray, rank: np.ndarray, on_ground: np.ndarray) -> np.ndarray:
    """Each stroke's place in its layer's stack, lowest first: the sitter's by their paint's value (`colour`, uint8
    RGB), darkest first, each moved by up to STACKING_TREMOR by its random `rank` (0..1); a painted ground's
    (`on_ground`) by `rank` alone."""
    value = luminance(colour.astype(np.float32)) / 255
    return np.where(on_ground, rank, value + STACKING_TREMOR * rank)


def _layer_scale(radius: float) -> float:
    """The scale a layer of brush `radius` (output px) is painted at: where its brush is WORK_RADIUS px (at most
    MIN_SCALE smaller); a finer layer is painted at its own size or up to a rung larger, so that its brush lands
    on a rung of the ladder. Brushes then repeat from layer to layer and photo to photo, and so do their stamps,
    which are costly to make (each photo's face sets its own radii: off the ladder, making stamps took a third of
    the painter's time on 512 px photos)."""
    if radius >= WORK_RADIUS:
        return max(WORK_RADIUS / radius, MIN_SCALE)
    rungs_down = math.floor(math.log(WORK_RADIUS / radius, RUNG) + 1e-9)
    return WORK_RADIUS / RUNG**rungs_down / radius


def _on_layer(mask: np.ndarray, box: tuple[int, int, int, int], work: float, size: tuple[int, int]) -> np.ndarray:
    """The part of a working-grid mask under a layer's box (output pixels), at the layer's `size`."""
    top, left = int(box[1] * work), int(box[0] * work)
    part = mask[top : max(int(np.ceil(box[3] * work)), top + 1), left : max(int(np.ceil(box[2] * work)), left + 1)]
    return np.asarray(Image.fromarray(np.float32(part), "F").resize(size, Image.Resampling.BILINEAR))
