"""The results file's sections for the blind panels and forced choices of bench/panels/ (bench/panel.py pool and
prefer over each folder's ratings): what the README's panel figures are rendered from."""

from __future__ import annotations

from section import REPO, Section, script

SECTIONS: dict[str, Section] = {}


def _add(section: Section) -> None:
    # A name given twice kept only the later section's figures, and the earlier one's spans showed the wrong trial.
    assert section.name not in SECTIONS, f"two sections are named {section.name}"
    SECTIONS[section.name] = section


def read_panel_pooled(raw: dict) -> dict:
    """bench/panel.py pool: the pooled means of each set, and for each set every panel showed, the lowest and
    highest panel's mean of "looks like oil" (how far one panel's viewers stray from the pool)."""
    values = {"viewers": raw["viewers"], "panels": raw["panels"], **raw["sets"]}
    panels = list(raw["per_panel"].values())
    for name in sorted(set.intersection(*(set(means) for means in panels))) if panels else ():
        means = [panel[name]["looks_like_oil"] for panel in panels]
        values[f"{name}_looks_like_oil_lowest"], values[f"{name}_looks_like_oil_highest"] = min(means), max(means)
    return values


# The default's own panels: each default alone beside real oils, the eight panel photos (painter 8 and 9: a new draw
# of oils each panel; painter 9's two panels pooled).
for _name, _painter, _folders in (
    ("panel", "painter 5", ["2026-12-05-painter5-panel29"]),
    ("panel-painter8", "painter 8", ["2026-12-05-painter8-panel52"]),
    ("panel-painter9", "painter 9", ["2026-12-06-painter9-panel67", "2026-12-06-painter9-panel81"]),
    ("panel-painter11", "painter 11", ["2026-12-06-painter11-panel85"]),
    ("panel-painter12", "painter 12", ["2026-12-06-painter12-panel91"]),
    ("panel-painter14", "painter 14", ["2026-12-06-painter14-panel105"]),
    ("panel-painter15", "painter 15", ["2026-12-06-painter15-panel112"]),
    ("panel-painter16", "painter 16", ["2026-12-06-painter16-panel121"]),
    ("panel-painter18", "painter 18", ["2026-12-06-painter18-panel150"]),
    ("panel-painter20", "painter 20", ["2026-12-07-painter20-panel156"]),
    ("panel-painter23", "painter 23", ["2026-12-07-painter23-panel162"]),
    ("panel-painter24", "painter 24", ["2026-12-07-painter24-panel165"]),
    ("panel-double-load", "a trial: brushes loaded with two colours (not shipped)", ["2026-12-06-painter16-panel129"]),
    (
        "panel-stack-near-faces",
        "a trial: only the faces and a margin round them stacked darkest first (painter 22, not shipped)",
        ["2026-12-07-painter22-panel160"],
    ),
):
    _add(
        Section(
            _name,
            f"blind panels of convert's default ({_painter}) alone beside real oils",
            script("bench/panel.py", "pool", "--panels", *(f"bench/panels/{folder}" for folder in _folders)),
            read_panel_pooled,
        )
    )
# Every panel that showed painter 3's paintings (the same files), each beside one trial and real oils.
PAINTER3_PANELS = [
    *(f"bench/panels/2026-12-05-painter4-panel{n}" for n in range(16, 28)),
    "bench/panels/2026-12-05-painter5-panel28",
]
_add(
    Section(
        "panel-pooled",
        "every panel that showed painter 3's paintings, its ratings pooled: painter 3's rating from the most viewers",
        script("bench/panel.py", "pool", "--panels", *PAINTER3_PANELS, "--rename", "before=painter3"),
        read_panel_pooled,
    )
)
# Panels of one trial each against painter 5 (bench/panels/README.md): what its marks do to real oils, and two
# trials that did not ship.
for _name, _about, _panel in (
    ("panel-repainted", "painter 5 alone on real oils (bench/repaint.py) beside untouched ones", 30),
    ("panel-refine-photos", "a trial: finer strokes where the canvas misses the picture, on the photos", 31),
    ("panel-refine-paintings", "the same trial on the repainted oils", 32),
    ("panel-dark-ground", "a trial: a darker, warmer ground", 33),
    ("panel-marks-photos", "a trial: brush sizes on five rungs by the detail under each stroke, longer strokes", 34),
    ("panel-marks-paintings", "the same trial on the repainted oils", 35),
    ("panel-samples", "portrait-gan's first eight portraits as `sample --size 512` paints them, beside real oils", 36),
):
    _add(
        Section(
            _name,
            _about,
            script("bench/panel.py", "pool", "--panels", f"bench/panels/2026-12-05-painter5-panel{_panel}"),
            read_panel_pooled,
        )
    )
# Single trial panels: (name, what was shown, the panel's folder).
for _name, _about, _folder in (
    (
        "panel-facerefine",
        "a trial (painter 7, not shipped): finer layers only where the strokes miss the picture, refined on the "
        "faces; beside painter 6 on the panel photos",
        "2026-12-05-painter6-panel37",
    ),
    (
        "panel-twice-size",
        "painter 15 on the panel photos enlarged to twice their size first (Lanczos), so a 100% detail shows "
        "brushwork rather than pixels; panel 112's draw of oils and tile order, six new viewers",
        "2026-12-06-painter15-panel114",
    ),
    (
        "panel-repainted24",
        "painter 24 alone on panel 30's eight real oils (bench/repaint.py), beside untouched real paintings of a "
        "new draw and painter 24's paintings of the panel photos, six new viewers",
        "2026-12-07-painter24-panel166",
    ),
    (
        "panel-laid-in-ground",
        "a trial (not shipped): a calmer, laid-in ground, on panel 30's eight real oils repainted and on the panel "
        "photos, beside a new draw of real oils, six new viewers",
        "2026-12-07-painter24-panel167",
    ),
    (
        "panel-calm",
        "a trial (not shipped): the faces' skin smoothed by an edge-preserving filter before the strokes, the faces "
        "in painter 13's finer strokes (0.016 of the face), and pairs168's laid-in ground; on panel 30's eight real "
        "oils repainted and on the panel photos, in panel 166's tiles and draw of real oils, six new viewers",
        "2026-12-07-painter24-panel169",
    ),
    (
        "panel-painter25",
        "painter 25 (the default: painter 24 with small eyes finished) on panel 30's eight real oils repainted and on "
        "the panel photos, in panel 166's tiles and draw of real oils, six new viewers",
        "2026-12-07-painter25-panel170",
    ),
    (
        "panel-painter26",
        "painter 26 (the default: painter 25's paintings with less CPU, a few strokes apart) on panel 30's eight real "
        "oils repainted and on the panel photos, in panel 166's tiles and draw of real oils, six new viewers",
        "2026-12-07-painter26-panel172",
    ),
    (
        "panel-craquelure",
        "a trial (not shipped, a post-process never committed): painter 27's paintings of the panel photos under an "
        "old oil's surface, a craquelure (a warped Voronoi net of cells 1/110 of the long side, patchy, fuller and "
        "darker in the lights) and a warm varnish with grime towards the edges, beside the same paintings without "
        "it and a new draw of real oils, six new viewers",
        "2026-12-07-painter27-panel180",
    ),
):
    _add(
        Section(
            _name, _about, script("bench/panel.py", "pool", "--panels", f"bench/panels/{_folder}"), read_panel_pooled
        )
    )
# Forced choices (bench/panel.py pairs): each photo's two versions in both orders; a preference holds in both.
for _name, _about, _folder in (
    ("pairs-facerefine", "painter 7's refinement against painter 6, the panel photos", "2026-12-05-painter7-pairs38"),
    (
        "pairs-sharpen",
        "a trial: broad layers sharpened before they are enlarged, against painter 6",
        "2026-12-05-painter7-pairs39",
    ),
    (
        "pairs-facerefine-12mp",
        "painter 7 against painter 6: 100% details of the examples at 12 MP",
        "2026-12-05-painter7-pairs40",
    ),
    (
        "pairs-marks",
        "a trial: brushes on five rungs by the detail under them, against painter 7",
        "2026-12-05-painter7-pairs41",
    ),
    ("pairs-marks-12mp", "the same trial against painter 7 on the 12 MP details", "2026-12-05-painter7-pairs42"),
    (
        "pairs-noweave",
        "a trial: no weave where a thread would be under 3 px, against painter 7",
        "2026-12-05-painter7-pairs43",
    ),
    ("pairs-facerefine-8bit", "painter 7 in 8-bit against painter 6: the 12 MP details", "2026-12-05-painter7-pairs44"),
    (
        "pairs-painter8",
        "painter 8 (wet ground, painter 7's refinement) against painter 6, the panel photos",
        "2026-12-05-painter8-pairs49",
    ),
    ("pairs-painter8-12mp", "painter 8 against painter 6 on the 12 MP details", "2026-12-05-painter8-pairs50"),
    (
        "pairs-minscale",
        "a trial: broad layers at a third of the size, against painter 8, the 12 MP details",
        "2026-12-05-painter8-pairs51",
    ),
    (
        "pairs-calmflesh",
        "a trial: calmer, less saturated flesh, against painter 8, the panel photos",
        "2026-12-06-painter9-pairs61",
    ),
    (
        "pairs-calmflesh-on9",
        "calmer flesh (the second half of painter 9) on top of the longer flats, against them, the panel photos",
        "2026-12-06-painter9-pairs66",
    ),
    (
        "pairs-further",
        "a trial: flats pulled on further still and a broader ground still, against painter 9's longer flats",
        "2026-12-06-painter9-pairs65",
    ),
    (
        "pairs-taper",
        "a trial: strokes tapering to their tails, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs64",
    ),
    (
        "pairs-keyed",
        "a trial: the sitter's light falling off twice as far from the faces, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs69",
    ),
    (
        "pairs-painter9-whole-12mp",
        "painter 9 as shipped against painter 8 on the 12 MP details",
        "2026-12-06-painter9-pairs78",
    ),
    (
        "pairs-impasto",
        "a trial: impasto in the lights only, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs74",
    ),
    (
        "pairs-quietdarks",
        "a trial: quiet, blended darks, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs75",
    ),
    (
        "pairs-simplify-light",
        "a trial: the clothes simplified lightly (a median 0.12 of a face wide), against painter 9, the panel photos",
        "2026-12-06-painter9-pairs76",
    ),
    (
        "pairs-impasto-quietdarks",
        "a trial: impasto lights and quiet darks together, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs77",
    ),
    (
        "pairs-whole-sitter",
        "a trial: the photo's colour back on the whole sitter, not the faces alone, against painter 9, eight tuning "
        "photos (not a test folder)",
        "2026-12-06-painter10-pairs82",
    ),
    (
        "pairs-painter10",
        "painter 10: the photo's warm colours back on the whole sitter (skin, hair, warm clothes), against painter 9, "
        "the same eight tuning photos",
        "2026-12-06-painter10-pairs83",
    ),
    (
        "pairs-painter11",
        "painter 11: a lit ridge lightens the paint by at most its headroom, against painter 10, the tuning photos",
        "2026-12-06-painter11-pairs84",
    ),
    (
        "pairs-painter11-12mp",
        "painter 11 against painter 9 on the 12 MP details",
        "2026-12-06-painter11-pairs86",
    ),
    (
        "pairs-longflats",
        "a trial: the sitter's flat strokes up to 13 radii long, against painter 11, the tuning photos",
        "2026-12-06-painter11-pairs87",
    ),
    (
        "pairs-longflats-finer",
        "a trial: the same in the finer layers only, against painter 11, the tuning photos",
        "2026-12-06-painter11-pairs88",
    ),
    (
        "pairs-painter12",
        "painter 12: the strokes' relief on the faces 0.4 of elsewhere, against painter 11, the tuning photos",
        "2026-12-06-painter12-pairs89",
    ),
    (
        "pairs-painter12-12mp",
        "painter 12 against painter 11 on the 12 MP details",
        "2026-12-06-painter12-pairs90",
    ),
    (
        "pairs-smoothends-12mp",
        "a trial: smoother bristle ends in the layers painted below three quarters of the size, against painter 12, "
        "the 12 MP details",
        "2026-12-06-painter12-pairs92",
    ),
    (
        "pairs-im2oil",
        "Im2Oil (its README's setting, its 8x render reduced to our size) against painter 12, the tuning photos",
        "2026-12-06-painter12-pairs93",
    ),
    (
        "pairs-teeth",
        "a trial: the open mouth massed (the lines between teeth closed), against painter 12, the tuning photos",
        "2026-12-06-painter12-pairs94",
    ),
    (
        "pairs-huelit",
        "a trial: lit ridges that keep the paint's hue, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs95",
    ),
    (
        "pairs-hairfilberts",
        "a trial: the hair and neck round the face painted with filberts, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs96",
    ),
    (
        "pairs-photoflow-streaks",
        "a trial: strokes along the photo's own contours, hair and clothes smoothed along them, against painter 13, "
        "the tuning photos",
        "2026-12-06-painter13-pairs97",
    ),
    (
        "pairs-warmer",
        "a trial: more of the photo's warm colour off the faces, against the trial of pairs97, the tuning photos",
        "2026-12-06-painter13-pairs98",
    ),
    (
        "pairs-darkground",
        "a trial: the ground as dark as a dark photo background, against painter 13, the five tuning photos it changes",
        "2026-12-06-painter13-pairs99",
    ),
    (
        "pairs-photoflow",
        "a trial: strokes along the photo's own contours off the faces, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs100",
    ),
    (
        "pairs-groundvalue",
        "a trial: the ground's strokes varying more in value, against painter 13, the tuning photos",
        "2026-12-06-painter13-pairs101",
    ),
    (
        "pairs-painter14",
        "painter 14: the face's brush 0.028 of the face's size for 0.016, against painter 13, the tuning photos",
        "2026-12-06-painter14-pairs102",
    ),
    (
        "pairs-painter14-12mp",
        "painter 14 against painter 13 on the 12 MP details",
        "2026-12-06-painter14-pairs103",
    ),
    (
        "pairs-broaderface",
        "a trial: the face's brush 0.04 of the face's size, against painter 14, the tuning photos",
        "2026-12-06-painter14-pairs104",
    ),
    (
        "pairs-teeth-broad",
        "a trial: no finer strokes inside the lips, against painter 14, the tuning photos",
        "2026-12-06-painter14-pairs106",
    ),
    (
        "pairs-broaderperson",
        "a trial: the hair and clothes in broader strokes, against painter 14, the tuning photos",
        "2026-12-06-painter14-pairs107",
    ),
    (
        "pairs-vivid",
        "a trial: the photo's colour back where it is more saturated than the skin (copper hair, a red dress), "
        "against painter 14, the eight tuning photos it changes most",
        "2026-12-06-painter15-pairs108",
    ),
    (
        "pairs-vivid-ear",
        "the same, the ear's glow kept out (from 0.08 above the skin's saturation), against painter 14",
        "2026-12-06-painter15-pairs109",
    ),
    (
        "pairs-painter15",
        "painter 15 as committed (its own paintings), against painter 14, the same photos",
        "2026-12-06-painter15-pairs110",
    ),
    (
        "pairs-painter15-12mp",
        "painter 15 against painter 14 on the 12 MP details",
        "2026-12-06-painter15-pairs111",
    ),
    (
        "pairs-formwrap",
        "a trial: the faces' strokes, where the picture has no direction, wrapped round the head (concentric ellipses), "
        "against painter 15, the tuning photos",
        "2026-12-06-painter15-pairs113",
    ),
    (
        "pairs-inner-edge",
        "a trial: the ground meeting the sitter inside the person mask's soft rim (from 0.5 to 0.95), against "
        "painter 15, seven tuning photos and a backlit official portrait",
        "2026-12-06-painter15-pairs115",
    ),
    (
        "pairs-inner-edge-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter15-pairs116",
    ),
    (
        "pairs-inner-edge-steep",
        "the same with a steeper rise (0.5 to 0.7), against painter 15, the same photos",
        "2026-12-06-painter15-pairs117",
    ),
    (
        "pairs-inner-edge-steep-12mp",
        "the steeper rise on the 12 MP details",
        "2026-12-06-painter15-pairs118",
    ),
    (
        "pairs-facewrap-details",
        "a trial: painter 16 with the faces' strokes wrapped round the head where the picture has no direction, "
        "against painter 16 (the same random draws), the faces of the tuning photos at 100%",
        "2026-12-06-painter16-pairs119",
    ),
    (
        "pairs-feathered-tips-12mp",
        "a trial: painter 16 with a flat's bristle tips thinning out over a third of its radius instead of ending "
        "at a cut, against painter 16 (the same random draws), the 12 MP details",
        "2026-12-06-painter16-pairs120",
    ),
    (
        "pairs-double-load-streaks",
        "a trial: every stroke's brush loaded with two colours, the picture's either side of it, meeting in bristle "
        "streaks, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs122",
    ),
    (
        "pairs-double-load",
        "a trial: the two loads meeting in a smooth step across the stroke, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs123",
    ),
    (
        "pairs-double-load-again",
        "the same trial, new viewers and order, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs124",
    ),
    (
        "pairs-double-load-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs125",
    ),
    (
        "pairs-double-load-outline-12mp",
        "a trial: the two loads, none taken across the sitters' outline, against painter 16, the 12 MP details",
        "2026-12-06-painter16-pairs126",
    ),
    (
        "pairs-double-load-edges",
        "a trial: the two loads, none taken across the outline or an edge, against painter 16, the tuning photos",
        "2026-12-06-painter16-pairs127",
    ),
    (
        "pairs-double-load-edges-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs128",
    ),
    (
        "pairs-double-load-cover",
        "a trial: the two loads, the second recolouring a stroke without adding to its cover, against painter 16, "
        "the tuning photos",
        "2026-12-06-painter16-pairs130",
    ),
    (
        "pairs-double-load-cover-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs131",
    ),
    (
        "pairs-double-load-two-passes",
        "a trial: the two loads, the second laid as a second pass of paint over every stroke, against painter 16, "
        "the tuning photos",
        "2026-12-06-painter16-pairs133",
    ),
    (
        "pairs-double-load-two-passes-12mp",
        "the same trial on the 12 MP details",
        "2026-12-06-painter16-pairs134",
    ),
    (
        "pairs-close-up",
        "a trial: a close-up's body painted as if its face were at most 0.4 of the long side, against painter 16, "
        "six close-ups of the tuning photos and six of photos/train enlarged to 640 px",
        "2026-12-06-painter16-pairs135",
    ),
    (
        "pairs-dark-calm-ground",
        "a trial: a darker ground (umber 58/45/34) laid calmer (no value tremor, half the pick-up), against painter "
        "16, the sixteen tuning photos",
        "2026-12-06-painter16-pairs136",
    ),
    (
        "pairs-dark-calm-ground-oils",
        "the same trial on eight real oils of paintings/train repainted (bench/repaint.py)",
        "2026-12-06-painter16-pairs137",
    ),
    (
        "pairs-lively-ground",
        "a trial: the ground's brushwork livelier (more value tremor, more pick-up), against painter 16, the sixteen "
        "tuning photos",
        "2026-12-06-painter16-pairs138",
    ),
    (
        "pairs-dark-ground",
        "a trial: the darker ground of pairs136 with painter 16's brushwork, against painter 16, the sixteen tuning "
        "photos",
        "2026-12-06-painter16-pairs139",
    ),
    (
        "pairs-dragged-strokes",
        "a trial: each stroke of the sitter's finer layers taking up the picture under it towards its tail (0.6 of "
        "it, the picture blurred over one brush radius), against painter 16, the sixteen tuning photos",
        "2026-12-06-painter16-pairs140",
    ),
    (
        "pairs-mixed-palette",
        "a trial: the sitter's strokes (not its features) moved 0.7 of the way to the nearest of ten mixes (k-means "
        "of the sitter's colours), against painter 16, the sixteen tuning photos",
        "2026-12-06-painter16-pairs141",
    ),
    (
        "pairs-visible-canvas",
        "a trial: the canvas's weave showing through the paint at 2.5 times painter 16's depth, and through more of "
        "the light paint, its mean light kept, against painter 16, the sixteen tuning photos",
        "2026-12-06-painter16-pairs142",
    ),
    (
        "pairs-glazed-flesh",
        "a trial: the faces' skin (not their features) glazed after the strokes, 0.4 of the way (more in the darks) "
        "to the picture blurred over a face brush's radius, against painter 16, the sixteen tuning photos",
        "2026-12-06-painter16-pairs143",
    ),
    (
        "pairs-forehead",
        "a trial: the face's mask carried up the forehead over the photo's skin-coloured points, so a high "
        "forehead is painted as the face is, not as hair, against painter 16, the sixteen tuning photos",
        "2026-12-06-painter16-pairs144",
    ),
    (
        "pairs-settled-painter16",
        "a trial: the finer layers skipping where the strokes so far miss the picture by less than 0.035 (0.02), so "
        "more of the sitter stays in its broader strokes, against painter 16, the sixteen tuning photos",
        "2026-12-06-painter16-pairs145",
    ),
    (
        "pairs-white-clothes",
        "a trial: the photo's light, unsaturated colour (white shirts and collars) given back on the sitter off the "
        "faces as its vivid colour is, against painter 16, the eight tuning photos it changes most",
        "2026-12-06-painter16-pairs146",
    ),
    (
        "pairs-stacking",
        "a trial: a layer's sitter strokes stacked darkest first (painter 18, uncommitted then), against painter 16, "
        "the sixteen tuning photos",
        "2026-12-06-painter16-pairs147",
    ),
    (
        "pairs-stacking-again",
        "painter 18 as committed (e038a41, the same paintings as pairs147) against painter 16, new viewers and order, "
        "the sixteen tuning photos",
        "2026-12-06-painter16-pairs148",
    ),
    (
        "pairs-stacking-12mp",
        "painter 18 as committed (e038a41) against painter 16, eight 600 px details of the two README examples "
        "enlarged to 4032 px on their long side",
        "2026-12-06-painter16-pairs149",
    ),
    (
        "pairs-simplify-again",
        "the clothes simplified (9 px median) again, new viewers and order, against painter 9, the panel photos",
        "2026-12-06-painter9-pairs72",
    ),
    (
        "pairs-wet-painter18",
        "a trial: the sitter's finer strokes taking up the paint under them towards their tails (0.35 at the tail), "
        "against painter 18, the sixteen tuning photos",
        "2026-12-07-painter18-pairs151",
    ),
    (
        "pairs-no-upscaler",
        "a trial: the painting brought to size by a plain resize, not the painting-x4 upscaler, under painter 18's "
        "strokes, against painter 18, the sixteen tuning photos",
        "2026-12-07-painter18-pairs152",
    ),
    (
        "pairs-no-upscaler-12mp",
        "the same trial on the eight 12 MP details of pairs149",
        "2026-12-07-painter18-pairs153",
    ),
    (
        "pairs-calm-teeth",
        "a trial: each face's open mouth painted from the picture blurred over 0.012 of the face's size and darkened "
        "by 0.05 (the teeth as one light shape), against painter 19, the sixteen tuning photos",
        "2026-12-07-painter19-pairs154",
    ),
    (
        "pairs-no-small-weave",
        "a trial: no canvas weave on a picture under 1,500 px long (painter 20, uncommitted then), against painter 19, "
        "the sixteen tuning photos",
        "2026-12-07-painter19-pairs155",
    ),
    (
        "pairs-warm-darks",
        "a trial: the sitter's darks turned warm (7, 1, -7) where the photo is not blue there, instead of the "
        "half-tones' cool shift (painter 21, uncommitted then), against painter 20, the sixteen tuning photos",
        "2026-12-07-painter20-pairs157",
    ),
    (
        "pairs-stack-faces-only",
        "a trial: only the faces' strokes stacked darkest first, the rest of the sitter's in a random stack, against "
        "painter 21, the sixteen tuning photos",
        "2026-12-07-painter21-pairs158",
    ),
    (
        "pairs-stack-near-faces",
        "a trial: the sitter's strokes stacked darkest first only on and around the faces (a blur of 0.25 face sizes "
        "of the face mask, above 5%), elsewhere in a random stack (painter 22), against painter 21, the sixteen "
        "tuning photos",
        "2026-12-07-painter21-pairs159",
    ),
    (
        "pairs-body-refine",
        "a trial: off the faces, on the sitter, a finer layer also repaints where the strokes miss the picture by more "
        "than LOST, one layer finer than the fineness asks (painter 23), against painter 21, the sixteen tuning photos",
        "2026-12-07-painter21-pairs161",
    ),
    (
        "pairs-soft-flesh",
        "a trial: the faces' filbert thinning out over 0.9 of its radius at its sides, so the faces' strokes melt "
        "together, against painter 23, the sixteen tuning photos",
        "2026-12-07-painter23-pairs163",
    ),
    (
        "pairs-forehead-1024",
        "each face's mask carried up a high forehead over the photo's skin to the hairline (painter 24, uncommitted "
        "then), against painter 23, six tuning photos at 1024 px",
        "2026-12-07-painter23-pairs164",
    ),
    (
        "pairs-laid-in-ground",
        "a trial: a calmer, laid-in ground (its hatching 10 degrees about the slant for 30, GROUND_CALM 0.9 for 0.6, "
        "the priming 1.12 times the ground's light for 1.3 and half as warm), against painter 24, the sixteen tuning "
        "photos",
        "2026-12-07-painter24-pairs168",
    ),
    (
        "pairs-bare-skin",
        "a trial: the sitters' bare skin off the faces (the face's skin colour, on the person mask) painted as flesh, in "
        "the faces' filbert and calm at 0.04 of the face for the clothes' 0.055, with the strokes' colour blurred on "
        "each side of the faces' outline apart, against painter 26, the sixteen tuning photos",
        "2026-12-07-painter26-pairs171",
    ),
    (
        "pairs-key-light",
        "a trial: a painter's key light on each sitter (the half of each head away from the photo's brighter side "
        "shaded into a half-tone, to 0.4 darker at its far edge), against painter 27, the sixteen tuning photos",
        "2026-12-07-painter27-pairs173",
    ),
    (
        "pairs-key-light-flesh",
        "a trial: forced choice 173's key light with each face's skin in one flesh hue (its chroma for its light 0.7 "
        "of the way to its face's median, 1.3 times richer in the shadows), against painter 27, the sixteen tuning "
        "photos",
        "2026-12-07-painter27-pairs174",
    ),
    (
        "pairs-blended-flesh",
        "a trial: each face's skin (its features left out) blended once the strokes are laid, 0.85 of it by a guided "
        "filter guided by the painting itself (windows of 0.6 of the face's brush radius, eps 0.04), so that dabs of "
        "near values melt and the edges between values stay, against painter 27, thirteen of the tuning photos",
        "2026-12-07-painter27-pairs175",
    ),
    (
        "pairs-wrapped-flesh",
        "a trial: each face's strokes turned round the head's form (along an ellipse 1.3 times taller than wide about a "
        "point a tenth of the face above its centre, rolled with the eyes) wherever the picture's flow is less than 0.6 "
        "coherent, against painter 27, thirteen of the tuning photos",
        "2026-12-07-painter27-pairs176",
    ),
    (
        "pairs-flesh-colour-blur",
        "a trial: each face stroke's colour taken from the picture blurred over one brush radius (COLOUR_BLUR 0.35 "
        "elsewhere), so that neighbouring dabs of one plane carry one value, against painter 27, thirteen of the "
        "tuning photos",
        "2026-12-07-painter27-pairs177",
    ),
    (
        "pairs-accents-first-cut",
        "a trial: forced choice 177's calmer flesh, and a last layer of accents in strokes 0.8 of the finest layer's "
        "on the 4% of each face's points whose light stands out most from the light around them (0.04 of the face), "
        "anywhere on the face and on faces of any size, against painter 27, thirteen of the tuning photos",
        "2026-12-07-painter27-pairs178",
    ),
    (
        "pairs-accents",
        "a trial: forced choice 177's calmer flesh, and a last layer of accents in strokes 0.8 of the finest layer's "
        "on the quarter of the eyes', brows', nostrils' and lips' points whose light stands out most from the light "
        "around them (0.04 of the face), only on faces where that brush is at most 0.012 of the face, against "
        "painter 27, thirteen of the tuning photos",
        "2026-12-07-painter27-pairs179",
    ),
    (
        "pairs-accents-alone",
        "a trial: a last layer of accents alone (no calmer flesh), in strokes 0.8 of the finest layer's: darks on the "
        "tenth of the features' and lips' points furthest below the light around them (0.02 of the face), lights on "
        "the 2% of each face's points furthest above it, only on faces where that brush is at most 0.01 of the face, "
        "against painter 27, thirteen of the tuning photos",
        "2026-12-07-painter27-pairs181",
    ),
    (
        "pairs-unolived",
        "painter 28: the translator's olive taken out of the sitter's paint where the photo is not green (its green "
        "kept at least 6 levels below its red, or at its blue), the grey-green rim round a face against dark hair "
        "and the green fringes on shirts gone, against painter 27, thirteen of the tuning photos",
        "2026-12-07-painter27-pairs182",
    ),
    (
        "pairs-round-hair",
        "a trial: the sitters' hair (the person mask off the faces, within a face's size of a face's centre and not "
        "far below it) laid with the round-ended filbert instead of the square-ended flat, against painter 28, "
        "thirteen of the tuning photos",
        "2026-12-08-painter28-pairs183",
    ),
    (
        "pairs-long-hair",
        "a trial: the sitters' hair (as in forced choice 183, its neck left out) in round-ended strokes that run on "
        "through the strands, up to 13 radii (7.5 elsewhere) until the colour changes by 0.16 (0.12 for a flat), "
        "against painter 28, thirteen of the tuning photos",
        "2026-12-08-painter28-pairs184",
    ),
    # Trials shown twice, on the panel photos and on the 12 MP details: (name, the trial, against, the folders).
    *(
        section
        for name, trial, against, photos, details in (
            (
                "pairs-wet",
                "every stroke wet into wet",
                "painter 6",
                "2026-12-05-painter8-pairs45",
                "2026-12-05-painter8-pairs46",
            ),
            (
                "pairs-wetground",
                "the ground alone wet into wet",
                "painter 6",
                "2026-12-05-painter8-pairs47",
                "2026-12-05-painter8-pairs48",
            ),
            (
                "pairs-relief",
                "the strokes' relief twice as strong",
                "painter 8",
                "2026-12-05-painter8-pairs53",
                "2026-12-05-painter8-pairs54",
            ),
            (
                "pairs-broadface",
                "broader strokes on the faces",
                "painter 8",
                "2026-12-05-painter8-pairs55",
                "2026-12-05-painter8-pairs56",
            ),
            (
                "pairs-calm",
                "the ground's hatching calmer",
                "painter 8",
                "2026-12-05-painter8-pairs57",
                "2026-12-05-painter8-pairs58",
            ),
            (
                "pairs-settled",
                "finer layers skipping less",
                "painter 8",
                "2026-12-05-painter8-pairs59",
                "2026-12-05-painter8-pairs60",
            ),
            (
                "pairs-painter9",
                "longer flat strokes and a broader ground (painter 9)",
                "painter 8",
                "2026-12-06-painter9-pairs62",
                "2026-12-06-painter9-pairs63",
            ),
            (
                "pairs-simplify",
                "the clothes simplified away from the faces (a 9 px median)",
                "painter 9",
                "2026-12-06-painter9-pairs68",
                "2026-12-06-painter9-pairs73",
            ),
            (
                "pairs-longface",
                "longer face strokes (EDGE 0.12)",
                "painter 9",
                "2026-12-06-painter9-pairs79",
                "2026-12-06-painter9-pairs80",
            ),
            (
                "pairs-simplify15",
                "the clothes simplified away from the faces (a 15 px median)",
                "painter 9",
                "2026-12-06-painter9-pairs70",
                "2026-12-06-painter9-pairs71",
            ),
        )
        for section in (
            (name, f"a trial: {trial}, against {against}, the panel photos", photos),
            (f"{name}-12mp", f"the same trial against {against} on the 12 MP details", details),
        )
    ),
):
    _pairs = f"bench/panels/{_folder}"
    _add(
        Section(
            _name,
            _about,
            script(
                "bench/panel.py",
                "prefer",
                "--key",
                f"{_pairs}/key.json",
                "--choices",
                *(f"{_pairs}/{path.name}" for path in sorted((REPO / _pairs).glob("viewer*.json"))),
            ),
            lambda raw: raw,
        )
    )
