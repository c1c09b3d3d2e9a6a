"""What the strokes paint: the translator's painting with its sitter lit as a painter would, on a painted ground.

- The ground. Behind the sitter the photo's background (a curtain, a flag, a shop) gives way to a painter's
  ground: a dark umber turned towards the hue of the photo's background (olive, slate, red-brown), lightest
  beside the head on the side the light comes from and falling off into darkness towards the edges, with a
  quarter of the photo's own colours, blurred past all detail, echoing through it. `keep` paints the photo's
  own background instead (loosely, as the broad strokes there make it).
- The light on the sitter falls off gently away from the faces (a mild chiaroscuro): never so far that the
  person changes; its colours stay the translator's (fuller ones, a saturation of 1.15, painted the faces a
  garish orange, and blind viewers chose the plainer colour, painter 9).
- The sitter keeps its colour: the translator greys skin, browns teeth, empties irises, turns red hair brown and
  darkens the modelling until sitters look older, so on the faces and wherever the sitter's colour in the photo
  is warm (skin, red or fair hair, a red coat) half of the photo's own colour and a third of its light come back,
  and in the eyes more of both (the translator sees every face at its training size, where an eye is a few px,
  and paints it a pale blank); cool colours (a blue shirt) keep the translator's muted palette. Off the faces,
  where the photo's warm colour is well above the faces' saturation (copper hair, a red dress), most of the rest
  of it comes back too: half of it had still painted red hair auburn-brown. So do its whites (a shirt, a collar,
  white hair), which the translator's warm palette painted cream or tan.

All in Pillow's 8-bit images: a 12 MP target costs tens of MB, not the hundreds float arrays would.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from .bands import resized
from .faces import Face
from .fineness import Regions
from .palette import painters_light

UMBER = np.array([96, 76, 58], np.float32)  # the ground's colour where the light is full
HUE_SHARE = 0.6  # how far the ground's hue turns from the umber's towards the photo background's
HUE_CHROMA = 22.0  # the colourfulness (largest channel's distance from the grey, 0..255) of that hue
ECHO = 0.25  # share of the photo's own (blurred) background colour in the ground
PRIMING_LIGHT, PRIMING_WARMTH = 1.3, np.array([18, 6, -8], np.float32)  # the imprimatura under the ground
GROUND_LIGHT = (0.3, 1.05)  # the ground's light at the edges and at its centre (LIGHT_FROM)
LIGHT_REACH = 2.4  # face sizes from its centre at which the ground's light has fallen to 1/e
# Its centre, from the face's, in face sizes: to the upper left, the side light comes from in most portraits,
# so the head is set against light on one side and dark on the other, not ringed by a halo.
LIGHT_FROM = (-0.9, -0.4)
SITTER_SHADE = 0.2  # the sitter's light falls by at most this far from the faces
SITTER_COLOUR = 0.5  # share of the photo's colour that comes back on the faces and the sitter's warm colours
# ... off the faces, a share rising from none where the photo's red-difference equals its blue-difference (YCbCr)
# to all of it where it exceeds it by this much: on the faces alone (painter 9) red hair stayed brown, and on the
# whole sitter blind viewers chose the red hair but rejected a shirt in the photo's blue ("saturated, photo-like")
# for the translator's muted one ("a painter's limited palette"), so skin, hair and warm clothes get their colour
# back and cool ones keep the painting's
WARM = 24.0
# ... and off the faces, where the photo's colour is more saturated than the faces' by over VIVID_FROM (a lit ear or
# a neck in shadow stays within it), this share of the colour and light still missing comes back too, rising to all
# of it at VIVID_FROM + VIVID_RAMP (blind viewers did not reject it, pairs108 to pairs111; from the faces' own
# saturation, two of them named a red ear)
VIVID_COLOUR, VIVID_LIGHT = 0.85, 0.6
VIVID_FROM, VIVID_RAMP = 0.08, 0.12
# ... and so do the photo's whites off the faces (a shirt, a collar, white hair): the translator's warm, muted
# palette painted them cream or tan. White: its brightest channel above WHITE_FROM (0..1), rising over WHITE_RAMP, and
# its saturation below GREY_BELOW, falling over GREY_RAMP (blind viewers saw no difference, pairs146: a fault mended,
# not a gain)
WHITE_FROM, WHITE_RAMP = 0.62, 0.15
GREY_BELOW, GREY_RAMP = 0.25, 0.1
# The photo's blue, where its darks keep the painter's cool shift rather than turn warm (palette.py)
BLUE_FROM, BLUE_RAMP = 4.0, 12.0
GREEN_RAMP = 10.0  # levels of green above red and blue over which the photo counts as green (palette.OLIVE_MARGIN)
EYE_COLOUR = 0.7  # and in the eyes, this share of the photo's own colour on top: irises keep their colour
# ... and of its light, where the colour comes back: the translator's darker modelling aged faces and dulled skin
SITTER_LIGHT = 0.3
# In the eyes, this share of the photo's light on top too: the translator paints a small eye (an iris a few px
# across) as a pale blank without pupil or lid line, and its colour alone gave a pale blue smear (painter 24)
EYE_LIGHT = 0.6


def target(
    painted: Image.Image,
    photo: Image.Image | None,
    on_grid: Image.Image | None,
    found: Regions,
    faces: list[Face],
    work: float,
    grounded: bool,
    portrait: bool = True,
) -> Image.Image:
    """The picture the strokes paint, at the painting's size. `on_grid`: the photo reduced to the working grid
    (`found`'s size); `grounded`: a painted ground replaces the background (else the translator's own is kept);
    `portrait`: the faces' colour and the light on the sitter are a portrait translator's to fix (a style model's
    colours are its style)."""
    if not faces:
        return painted
    size = painted.size
    sitter, blue, not_green = painted, None, None
    if portrait:
        if photo is not None:
            bluer = _blue_over_red(on_grid)
            blue = _mask(_blueness(bluer), size)
            warm_sitter = found.person * _warmth(bluer)
            brightest, saturation = _brightest_and_saturation(on_grid)
            warm_vivid = warm_sitter * _vividness(saturation, found)
            vivid = (1 - found.face) * np.maximum(warm_vivid, found.person * _whiteness(brightest, saturation))
            sitter = _sitter_colour(sitter, photo, np.maximum(found.face, warm_sitter), vivid, found.eyes)
            not_green = _mask(1 - _greenness(on_grid), size)  # the sitter alone is composited from `sitter`
        distance = _distance_to_faces(found.face.shape, faces, work)
        light = 1 - SITTER_SHADE * np.clip((distance - 0.6) / 2.5, 0, 1)
        sitter = ImageChops.multiply(sitter, _mask(light, size).convert("RGB"))
        sitter = painters_light(sitter, blue, not_green)
    if not grounded:  # the photo's own background, as the translator painted it
        return Image.composite(sitter, painted, _mask(found.person, size)) if portrait else painted
    return Image.composite(sitter, _ground(painted, found, faces, work, size), _mask(found.person, size))


def toned_canvas(picture: Image.Image, found: Regions) -> Image.Image:
    """The canvas the first strokes go on: the picture, with the ground's part primed lighter and warmer (an
    imprimatura), so that where the broad strokes drag dry or thin it shows through them as a painter's toned
    canvas does."""
    grid = found.person.shape[::-1]
    small = np.asarray(picture.resize(grid, Image.Resampling.BOX), np.float32)
    primed = np.clip(small * PRIMING_LIGHT + PRIMING_WARMTH, 0, 255).astype(np.uint8)
    primed_image = resized(Image.fromarray(primed), picture.size, Image.Resampling.BICUBIC)
    return Image.composite(picture, primed_image, _mask(found.person, picture.size))


def _ground(painted: Image.Image, found: Regions, faces: list[Face], work: float, size) -> Image.Image:
    height, width = found.person.shape
    small = painted.resize((width, height), Image.Resampling.BOX)
    echo = np.asarray(small.filter(ImageFilter.GaussianBlur(0.4 * found.face_size * work)), np.float32)
    colour = (1 - ECHO) * _ground_colour(np.asarray(small, np.float32), found.person) + ECHO * echo * (
        UMBER.mean() / max(echo.mean(), 1.0)
    )
    low, high = GROUND_LIGHT
    lit_from = _distance_to_faces(found.person.shape, faces, work, LIGHT_FROM)
    light = low + (high - low) * np.exp(-((lit_from / LIGHT_REACH) ** 2))
    ground = np.clip(colour * light[..., None], 0, 255).astype(np.uint8)
    return resized(Image.fromarray(ground), size, Image.Resampling.BICUBIC)


def _ground_colour(picture: np.ndarray, person: np.ndarray) -> np.ndarray:
    """The umber turned towards the hue of the photo's own background (its mean colour off the sitter): a
    grey-blue studio gives a cool olive-slate ground, a red curtain a warm red-brown one, each as dark as the
    umber, so no two sitters get the same ground."""
    weight = np.clip(1 - person, 0, 1)[..., None]
    mean = (picture * weight).sum(axis=(0, 1)) / max(float(weight.sum()), 1.0)
    chroma = mean - mean.mean()
    scale = HUE_CHROMA / max(float(np.abs(chroma).max()), HUE_CHROMA)  # a faint cast is never enlarged
    return UMBER + HUE_SHARE * (chroma * scale - (UMBER - UMBER.mean()))


def _sitter_colour(
    sitter: Image.Image, photo: Image.Image, back: np.ndarray, vivid: np.ndarray, eyes: np.ndarray
) -> Image.Image:
    """The photo's colour and light mixed back into the sitter, in one pass over its YCbCr bands; the shares, on
    the working grid: SITTER_COLOUR and SITTER_LIGHT where `back` says, most of what is still missing
    (VIVID_COLOUR, VIVID_LIGHT) where `vivid` says, and in the `eyes` EYE_COLOUR and EYE_LIGHT of what is still
    missing. Each share takes its part of what the ones before left, so one pass mixes what
    three passes in turn would; and it clips to RGB once, at the end (in turn, the eyes took the photo's whole
    colour on the painting's light, clipped, then a share of that: a saturated iris on dark paint lost its hue).
    Pixels no share reaches are the sitter's own, not a round trip through YCbCr."""
    left_light = (1 - SITTER_LIGHT * back) * (1 - VIVID_LIGHT * vivid) * (1 - EYE_LIGHT * eyes)
    left_colour = (1 - SITTER_COLOUR * back) * (1 - VIVID_COLOUR * vivid) * (1 - EYE_COLOUR * eyes)
    light, colour = _mask(1 - left_light, sitter.size), _mask(1 - left_colour, sitter.size)
    ours, theirs = sitter.convert("YCbCr").split(), photo.convert("YCbCr").split()
    mixed = [
        Image.composite(photo_band, own, mask) for own, photo_band, mask in zip(ours, theirs, (light, colour, colour))
    ]
    touched = _mask(np.float32(np.minimum(left_light, left_colour) < 1), sitter.size)
    return Image.composite(Image.merge("YCbCr", mixed).convert("RGB"), sitter, touched)


def _warmth(bluer: np.ndarray) -> np.ndarray:
    """How warm the photo's colour is (`bluer`: _blue_over_red on the working grid): 0 where its red-difference
    (YCbCr) is at most its blue-difference, rising to 1 where it exceeds it by WARM."""
    return np.clip(-bluer / WARM, 0, 1)


def _blueness(bluer: np.ndarray) -> np.ndarray:
    """How blue the photo's colour is: 0 up to a blue-difference BLUE_FROM above its red-difference (a black
    hair's faint violet), rising to 1 over BLUE_RAMP more (a navy suit)."""
    return np.clip((bluer - BLUE_FROM) / BLUE_RAMP, 0, 1)


def _blue_over_red(photo: Image.Image) -> np.ndarray:
    """YCbCr's blue-difference of `photo` less its red-difference, what both its warmth and its blueness read."""
    blue, red = (np.asarray(band, np.float32) for band in photo.convert("YCbCr").split()[1:])
    return blue - red


def _greenness(photo: Image.Image) -> np.ndarray:
    """How green the photo is: 0 where its green is at most its red and its blue, rising to 1 GREEN_RAMP above."""
    rgb = np.asarray(photo.convert("RGB"), np.float32)
    return np.clip((rgb[..., 1] - np.maximum(rgb[..., 0], rgb[..., 2])) / GREEN_RAMP, 0, 1)


def _brightest_and_saturation(photo: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The photo's (on the working grid) brightest channel (0..255) and saturation (HSV's, not chroma, so that red
    hair in shadow counts as red as it does in the light; near-black has no colour to speak of)."""
    rgb = np.asarray(photo.convert("RGB"), np.float32)
    brightest = rgb.max(axis=2)
    return brightest, (brightest - rgb.min(axis=2)) / np.maximum(brightest, 24.0)


def _vividness(saturation: np.ndarray, found: Regions) -> np.ndarray:
    """0 where the photo's `saturation` is at most VIVID_FROM above the faces' (the median over their masks,
    features and all: mostly skin), rising to 1 at VIVID_RAMP beyond; 0 everywhere if no face covers a cell."""
    skin = found.face > 0.5
    if not skin.any():  # no skin to measure against: nothing is known to be more vivid than it
        return np.zeros(skin.shape, np.float32)
    skin_saturation = float(np.median(saturation[skin]))
    return np.clip((saturation - skin_saturation - VIVID_FROM) / VIVID_RAMP, 0, 1)


def _whiteness(brightest: np.ndarray, saturation: np.ndarray) -> np.ndarray:
    """1 where the photo is white or a light grey (WHITE_FROM, GREY_BELOW), 0 where it is dark or coloured."""
    light = np.clip((brightest / 255 - WHITE_FROM) / WHITE_RAMP, 0, 1)
    return light * np.clip((GREY_BELOW - saturation) / GREY_RAMP, 0, 1)


def _distance_to_faces(
    shape: tuple[int, int], faces: list[Face], work: float, offset: tuple[float, float] = (0.0, -0.15)
) -> np.ndarray:
    """Distance from the nearest face's centre moved by `offset` face sizes (by default a little above it,
    where the head is), in face sizes."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32) / work
    nearest = np.full(shape, np.inf, np.float32)
    for face in faces:
        (centre_x, centre_y), (dx, dy) = face.centre, offset
        distance = np.hypot(xs - centre_x - dx * face.size, ys - centre_y - dy * face.size) / face.size
        nearest = np.minimum(nearest, distance)
    return nearest


def _mask(values: np.ndarray, size: tuple[int, int]) -> Image.Image:
    return resized(
        Image.fromarray(np.rint(np.clip(values, 0, 1) * 255).astype(np.uint8), "L"), size, Image.Resampling.BILINEAR
    )
