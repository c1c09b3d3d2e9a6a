"""A blind panel: numbered tiles of our paintings, earlier ones and real oil portraits, shuffled, for viewers
who rate each "looks like a real oil painting" and "I would hang it as a portrait" from 1 to 5.

    python bench/panel.py make --set now=DIR --set before=DIR --real PAINTINGS --out TILES --key KEY.json
    python bench/panel.py score --key KEY.json --ratings VIEWER1.json VIEWER2.json [--json OUT]
    python bench/panel.py pool --panels DIR1 DIR2 ... [--rename OLD=NEW] [--json OUT]
    python bench/panel.py pairs --set trial=DIR --set shipped=DIR --out PAIRS --key KEY.json
    python bench/panel.py prefer --key KEY.json --choices VIEWER1.json VIEWER2.json [--json OUT]

make: each picture of each --set folder, and as many real paintings (drawn at random from PAINTINGS, at least
500 px), become tile_NN.png: the whole picture at 384 px beside a 100% crop of its upper middle (where a
portrait's face is). The key (which tile is what) is written apart, never beside the tiles, and the viewers are
shown the tiles only. score: a ratings file is the viewer's table, {"1": [A, B], "2": [A, B], ...}; the means
per set, over viewers and tiles, are printed (and written as JSON). pool: panels that showed the same pictures
to different viewers (each folder a key.json and its viewer*.json), pooled by set, with each panel's own means;
--rename joins a set another panel named differently.

pairs / prefer: a forced choice, for changes too small to move a rating from 1 to 5 (viewers of a panel that
shows two versions of each photo mostly rate the two alike, panels 12 to 37). Each picture the two --set folders
share becomes two pair_NN.png, its two versions as tiles one above the other ("A" and "B"), once in each order,
all shuffled: viewers lean hard towards one place (in the first forced choices, three viewers chose the top one
21 times in 24), so only a viewer who chooses the same version in both orders has a preference; one who does not
has none. A choices file is the viewer's {"1": {"choice": "A" or "B", ...}, ...}; prefer counts the preferences
for each set, the pictures without one, how often the top one was chosen, and the chance of a split of the
preferences at least that uneven if viewers were tossing coins (two-sided sign test). pairs records how much of
each picture its two versions differ in (a trial that changes only the ground leaves a detail of a face as it
was), and prefer counts again over the pictures that differ: a choice between two copies of one picture is a
coin toss, and counted with the rest it only dilutes the test.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageOps

TILE = 384
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
CHANGED_LEVELS = 4  # a pixel differs between two versions where their mean RGB differs by more than this (0..255)
DIFFERING = 0.01  # two versions differ where this share of the picture's pixels does (JPEG noise stays far below)


def make(sets: dict[str, Path], real: Path, out: Path, key_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    items = [(name, path) for name, folder in sets.items() for path in _images(folder)]
    per_set = max(len(_images(folder)) for folder in sets.values())
    paintings = [path for path in _images(real, recursive=True) if min(Image.open(path).size) >= 500]
    items += [("real", path) for path in rng.sample(paintings, per_set)]
    rng.shuffle(items)
    out.mkdir(parents=True, exist_ok=True)
    key = {}
    for number, (name, path) in enumerate(items, 1):
        _tile(path, number).save(out / f"tile_{number:02d}.png")
        key[str(number)] = [name, str(path)]
    key_path.write_text(json.dumps(key, indent=1) + "\n")
    print(f"{len(items)} tiles in {out}; key in {key_path}")


def make_pairs(sets: dict[str, Path], out: Path, key_path: Path, seed: int) -> None:
    if len(sets) != 2:
        raise SystemExit(f"pairs needs two --set folders, not {len(sets)}")
    rng = random.Random(seed)
    (first, first_dir), (second, second_dir) = sets.items()
    names = sorted({path.name for path in _images(first_dir)} & {path.name for path in _images(second_dir)})
    if not names:
        raise SystemExit(f"{first_dir} and {second_dir} share no picture (pairs are matched by file name)")
    orders = [
        (name, order)
        for name in names
        for order in ([(first, first_dir), (second, second_dir)], [(second, second_dir), (first, first_dir)])
    ]
    rng.shuffle(orders)
    differs = {name: _differs(first_dir / name, second_dir / name) for name in names}
    out.mkdir(parents=True, exist_ok=True)
    key = {}
    for number, (name, order) in enumerate(orders, 1):
        tiles = [_tile(folder / name, number, label) for (_, folder), label in zip(order, ("A (top)", "B (bottom)"))]
        sheet = Image.new("RGB", (max(tile.width for tile in tiles), sum(tile.height for tile in tiles) + 8), "white")
        sheet.paste(tiles[0], (0, 0))
        sheet.paste(tiles[1], (0, tiles[0].height + 8))
        sheet.save(out / f"pair_{number:02d}.png")
        key[str(number)] = {
            "A": order[0][0],
            "B": order[1][0],
            "picture": name,
            "differs": differs[name],
            "sources": {set_name: str(folder / name) for set_name, folder in order},
        }
    key_path.write_text(json.dumps(key, indent=1) + "\n")
    print(f"{len(orders)} pairs ({len(names)} pictures, each in both orders) in {out}; key in {key_path}")


def _differs(first: Path, second: Path) -> float:
    """The share of pixels two versions of a picture differ in (CHANGED_LEVELS), each turned upright as its tile
    shows it."""
    with Image.open(first) as one, Image.open(second) as other:
        one, other = (ImageOps.exif_transpose(image).convert("RGB") for image in (one, other))
    if one.size != other.size:
        return 1.0
    summed = np.asarray(ImageChops.difference(one, other), np.uint16).sum(axis=2)  # 16 bits: a 12 MP picture fits
    return round(float((summed > 3 * CHANGED_LEVELS).mean()), 4)


def prefer(key_path: Path, choices: list[Path]) -> dict:
    """Each viewer's preference on each picture (the same set chosen in both orders), counted by set; the pictures
    without one; the share of choices of the top tile; the two-sided sign test on the preferences; and where the
    key says which pictures' versions differ (pairs), the same counts over those pictures ("differing"). A choices
    file must answer every pair with "A" or "B" (a picture answered in one order only would turn one choice, of
    the kind viewers make by place, into a preference)."""
    key = json.loads(key_path.read_text())
    sets = sorted({entry[place] for entry in key.values() for place in "AB"})
    verdicts: list[tuple[str, str | None]] = []  # (picture, the set a viewer chose in both orders, or None)
    top = answers = 0
    for path in choices:
        given = json.loads(path.read_text())
        if sorted(given, key=int) != sorted(key, key=int):
            raise SystemExit(f"{path}: answers pairs {sorted(given, key=int)}, the key has {sorted(key, key=int)}")
        picked: dict[str, list[str]] = {}
        for number, answer in given.items():
            place = str(answer.get("choice", "")).strip().upper()[:1]
            if place not in ("A", "B"):
                raise SystemExit(f"{path}: pair {number}'s choice is {answer.get('choice')!r}, not A or B")
            picked.setdefault(key[number]["picture"], []).append(key[number][place])
            top, answers = top + (place == "A"), answers + 1
        verdicts += [(picture, chosen[0] if len(set(chosen)) == 1 else None) for picture, chosen in picked.items()]
    figures = {"viewers": len(choices), **_counted(verdicts, sets), "top_chosen_share": top / max(answers, 1)}
    differs = {entry["picture"]: entry["differs"] for entry in key.values() if "differs" in entry}
    if differs:
        differing = [verdict for verdict in verdicts if differs[verdict[0]] >= DIFFERING]
        pictures = sum(share >= DIFFERING for share in differs.values())
        figures["differing"] = {"pictures": pictures, **_counted(differing, sets)}
    return figures


def _counted(verdicts: list[tuple[str, str | None]], sets: list[str]) -> dict:
    """Preferences by set, the verdicts without one, and the two-sided sign test on the preferences."""
    preferred = {name: sum(chosen == name for _, chosen in verdicts) for name in sets}
    total, most = sum(preferred.values()), max(preferred.values())
    tail = sum(math.comb(total, k) for k in range(most, total + 1)) / 2**total
    return {
        "judgements": len(verdicts),  # a viewer's verdict on a picture, from its two pairs
        "preferred": preferred,
        "undecided": len(verdicts) - total,
        "p_two_sided": min(1.0, 2 * tail),
    }


def _images(folder: Path, recursive: bool = False) -> list[Path]:
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(path for path in paths if path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith("."))


def _tile(path: Path, number: int, label: str = "") -> Image.Image:
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    whole = image.copy()
    whole.thumbnail((TILE, TILE), Image.Resampling.LANCZOS)
    side = min(TILE, *image.size)
    left = max(0, min(image.width - side, image.width // 2 - side // 2))
    top = max(0, min(image.height - side, int(image.height * 0.38) - side // 2))
    sheet = Image.new("RGB", (TILE + 8 + side, TILE + 24), "white")
    sheet.paste(whole, ((TILE - whole.width) // 2, 24 + (TILE - whole.height) // 2))
    sheet.paste(image.crop((left, top, left + side, top + side)), (TILE + 8, 24))
    name = f"{number} {label}" if label else f"tile {number}"
    ImageDraw.Draw(sheet).text((4, 4), f"{name}: whole picture (left), a 100% detail (right)", fill="black")
    return sheet


def score(key_path: Path, ratings: list[Path]) -> dict:
    """The mean ratings of each set of tiles."""
    return _means(_sums(key_path, ratings, {}))


def pool(panels: list[Path], rename: dict[str, str]) -> dict:
    """Every rating of every panel folder (its key.json and viewer*.json) pooled by set, and each panel's own
    means: several panels that showed the same pictures to different viewers, read as one larger panel."""
    totals: dict[str, list[float]] = {}
    per_panel, viewers = {}, 0
    for folder in panels:
        ratings = sorted(folder.glob("viewer*.json"))
        viewers += len(ratings)
        sums = _sums(folder / "key.json", ratings, rename)
        per_panel[folder.name] = _means(sums)
        for name, (looks, hang, count) in sums.items():
            total = totals.setdefault(name, [0.0, 0.0, 0])
            total[0], total[1], total[2] = total[0] + looks, total[1] + hang, total[2] + count
    return {"viewers": viewers, "panels": len(panels), "sets": _means(totals), "per_panel": per_panel}


def _sums(key_path: Path, ratings: list[Path], rename: dict[str, str]) -> dict[str, list[float]]:
    key = json.loads(key_path.read_text())
    sums: dict[str, list[float]] = {}
    for path in ratings:
        for number, (looks, hang) in json.loads(path.read_text()).items():
            name = key[number][0]
            total = sums.setdefault(rename.get(name, name), [0.0, 0.0, 0])
            total[0], total[1], total[2] = total[0] + looks, total[1] + hang, total[2] + 1
    return sums


def _means(sums: dict[str, list[float]]) -> dict:
    return {
        name: {"looks_like_oil": looks / count, "would_hang": hang / count, "ratings": count}
        for name, (looks, hang, count) in sorted(sums.items())
    }


def _verdict(counts: dict) -> str:
    """A count of preferences (prefer's figures, or their "differing" part) as "shipped 3, trial 0; no
    preference 29"."""
    preferred = ", ".join(f"{name} {count}" for name, count in counts["preferred"].items())
    return f"{preferred}; no preference {counts['undecided']}"


def _named_folders(items: list[str]) -> dict[str, Path]:
    """--set NAME=DIR options as {NAME: DIR}."""
    return {name: Path(folder) for name, folder in (item.split("=", 1) for item in items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    maker = commands.add_parser("make")
    maker.add_argument("--set", action="append", required=True, help="NAME=DIR, repeatable")
    maker.add_argument("--real", type=Path, required=True)
    maker.add_argument("--out", type=Path, required=True)
    maker.add_argument("--key", type=Path, required=True)
    maker.add_argument("--seed", type=int, default=0)
    scorer = commands.add_parser("score")
    scorer.add_argument("--key", type=Path, required=True)
    scorer.add_argument("--ratings", type=Path, nargs="+", required=True)
    scorer.add_argument("--json", type=Path)
    pooler = commands.add_parser("pool", help="several panels that showed the same pictures, pooled by set")
    pooler.add_argument("--panels", type=Path, nargs="+", required=True, help="folders with key.json, viewer*.json")
    pooler.add_argument("--rename", action="append", default=[], help="OLD=NEW: a set another panel named OLD")
    pooler.add_argument("--json", type=Path)
    pairer = commands.add_parser("pairs", help="two versions of each picture, one above the other, for a forced choice")
    pairer.add_argument("--set", action="append", required=True, help="NAME=DIR, twice")
    pairer.add_argument("--out", type=Path, required=True)
    pairer.add_argument("--key", type=Path, required=True)
    pairer.add_argument("--seed", type=int, default=0)
    preferrer = commands.add_parser("prefer", help="count a forced choice's answers")
    preferrer.add_argument("--key", type=Path, required=True)
    preferrer.add_argument("--choices", type=Path, nargs="+", required=True)
    preferrer.add_argument("--json", type=Path)
    options = parser.parse_args()
    if options.command == "pairs":
        make_pairs(_named_folders(options.set), options.out, options.key, options.seed)
        return
    if options.command == "make":
        make(_named_folders(options.set), options.real, options.out, options.key, options.seed)
        return
    if options.command == "prefer":
        figures = prefer(options.key, options.choices)
        print(
            f"preferred: {_verdict(figures)} ({figures['viewers']} viewers); sign test "
            f"p = {figures['p_two_sided']:.3f}; the top tile chosen {figures['top_chosen_share']:.0%} of the time"
        )
        if "differing" in figures:
            differing = figures["differing"]
            print(
                f"on the {differing['pictures']} pictures whose versions differ: preferred {_verdict(differing)}; "
                f"sign test p = {differing['p_two_sided']:.3f}"
            )
    else:
        if options.command == "pool":
            figures = pool(options.panels, dict(item.split("=", 1) for item in options.rename))
        else:
            figures = {"viewers": len(options.ratings), "sets": score(options.key, options.ratings)}
        for name, mean in figures["sets"].items():
            print(
                f"{name:8} looks like oil {mean['looks_like_oil']:.2f}, would hang {mean['would_hang']:.2f} ({mean['ratings']} ratings)"
            )
    if options.json:
        options.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
