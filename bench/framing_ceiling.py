"""How much of the KID gap can a translator that keeps each photo's framing close, at best?

    python bench/framing_ceiling.py --photo-faces FACES.csv [--photos DIR] [--real DIR] [--train DIR]
        [--painting-faces CSV] [--framings 1.3,2.0]

`evaluate`'s gap compares translated photos with whole paintings. A translator keeps the photo's framing, so a
tight face crop stays a tight face crop however well it is painted. The best it could do is a real painting
framed like the photo: this script cuts the training paintings (never the test folders' paintings) as the
photos are framed, each painting taking the framing (side / face size) of one photo in turn, at that photo's
size, and scores them with `evaluate`'s KID against the held-out paintings. Their gap closed is the ceiling for
that photo set. `--framings` adds fixed framings, to show how much framing alone moves KID. FACES.csv is
`python -m trainer detect-faces PHOTOS FACES.csv`. Square photos (the humans set) are what it models.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"

from trainer.data import read_face_boxes, read_rgb, square_crop  # noqa: E402
from trainer.evaluate import distance, embed, folder_images, load_feature_network  # noqa: E402


def photo_framings(photo_faces: Path, photos: Path) -> list[tuple[float, int]]:
    """(side / face size, side) of each photo under `photos` with a face box, sorted by path."""
    framings = []
    for path, box in sorted(read_face_boxes(photo_faces).items()):
        if path.is_relative_to(photos.resolve()):
            with Image.open(path) as image:
                side = min(image.size)
            framings.append((side / max(box.x2 - box.x1, box.y2 - box.y1), side))
    if not framings:
        sys.exit(f"{photo_faces}: no face boxes of photos under {photos}")
    return framings


def framed_paintings(painting_faces: Path, train: Path, framings: list[tuple[float, int]]) -> list[np.ndarray]:
    """Each painting under `train` with a face box, cut square at the next photo's framing, resized to its side."""
    crops = []
    boxes = sorted(
        (path, box) for path, box in read_face_boxes(painting_faces).items() if path.is_relative_to(train.resolve())
    )
    for index, (path, box) in enumerate(boxes):
        framing, side = framings[index % len(framings)]
        image = read_rgb(path)
        crop = image.crop(square_crop(image.width, image.height, box, framing))
        crops.append(np.asarray(crop.resize((side, side), Image.Resampling.LANCZOS)))
    return crops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=DATA / "photos" / "test" / "humans")
    parser.add_argument("--photo-faces", type=Path, required=True, help="face boxes of the photos (detect-faces)")
    parser.add_argument("--real", type=Path, default=DATA / "paintings" / "test", help="held-out paintings")
    parser.add_argument("--train", type=Path, default=DATA / "paintings" / "train", help="the floor, and the crops")
    parser.add_argument("--painting-faces", type=Path, default=DATA / "paintings" / "faces.csv")
    parser.add_argument("--framings", default="", help="fixed framings to add, e.g. 1.3,2.0")
    args = parser.parse_args()

    network = load_feature_network(REPO.parent / "shared" / "weights" / "mobilenet_v2_imagenet.pth")
    real = embed(folder_images(args.real)[1], network)

    def kid(images: list[np.ndarray]) -> float:
        return distance(real, embed(images, network)).kid

    photos, floor = kid(folder_images(args.photos)[1]), kid(folder_images(args.train)[1])
    framings = photo_framings(args.photo_faces, args.photos)
    side = int(np.median([side for _, side in framings]))
    cases = [(f"training paintings framed as the photos (median {np.median([f for f, _ in framings]):.2f})", framings)]
    cases += [(f"training paintings framed at {f}", [(float(f), side)]) for f in args.framings.split(",") if f]
    print(f"KID x1000 against {args.real}: photos as they are {photos:.1f}, floor ({args.train}) {floor:.1f}")
    for label, case in cases:
        framed = kid(framed_paintings(args.painting_faces, args.train, case))
        print(f"  {label:<62} KID {framed:6.1f}  gap closed {(photos - framed) / (photos - floor):5.2f}")


if __name__ == "__main__":
    main()
