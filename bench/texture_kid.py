"""Does a change of brush texture move the translator's KID? A paired comparison through `convert`'s chain.

    python bench/texture_kid.py BEFORE.onnx AFTER.onnx [--photos DIR ...] [--real DIR] [--draws 200]

`evaluate` gives each KID with the spread over random subsets of the paintings, which is far wider than the
change one setting of the texture makes: two runs whose spreads overlap can still differ every time. Here the
same photos go through the default chain (the bundled translator and upscaler) once with each texture, and
the change in KID is bootstrapped with photos and paintings drawn together, so each draw compares the two
textures on the same pictures. It prints each KID and the change with its 95% interval (x1000; a positive
change: AFTER looks less like the paintings to MobileNetV2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
WEIGHTS = REPO.parent / "shared" / "weights" / "mobilenet_v2_imagenet.pth"

from trainer.evaluate import embed, folder_images, load_feature_network, translate_with_converter  # noqa: E402


def kid(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Unbiased KID x1000 on whole sets (cubic polynomial kernel, as `evaluate`'s subsets use). Not
    `evaluate.distance`: it averages random subsets, whose own noise would swamp a paired change, and
    torchmetrics' `poly_mmd` assumes sets of one size (297 photos against 254 paintings here)."""
    dimensions = real.shape[1]

    def kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a @ b.T / dimensions + 1) ** 3

    def within(x: torch.Tensor) -> torch.Tensor:
        k, n = kernel(x, x), len(x)
        return (k.sum() - k.diagonal().sum()) / (n * (n - 1))

    return float(within(real) + within(fake) - 2 * kernel(real, fake).mean()) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path, help="texture model (.onnx) to compare against")
    parser.add_argument("after", type=Path, help="texture model (.onnx) to compare")
    parser.add_argument("--photos", type=Path, action="append", help="photo folders (default: the test sets)")
    parser.add_argument("--real", type=Path, default=DATA / "paintings" / "test")
    parser.add_argument("--draws", type=int, default=200, help="bootstrap draws")
    options = parser.parse_args()
    network = load_feature_network(WEIGHTS)
    real = embed(folder_images(options.real)[1], network)
    translator = REPO / "exported" / "oil-portrait.onnx"
    for folder in options.photos or [DATA / "photos" / "test" / "humans", DATA / "photos" / "test" / "nasa"]:
        photos = folder_images(folder)[1]
        before, after = (
            embed(translate_with_converter(translator, photos, texture=str(texture)), network)
            for texture in (options.before, options.after)
        )
        rng = np.random.default_rng(0)
        changes = []
        for _ in range(options.draws):
            fakes = torch.from_numpy(rng.integers(0, len(photos), len(photos)))
            reals = torch.from_numpy(rng.integers(0, len(real), len(real)))
            changes.append(kid(real[reals], after[fakes]) - kid(real[reals], before[fakes]))
        low, high = np.percentile(changes, [2.5, 97.5])
        print(
            f"{folder.name} ({len(photos)} photos): KID x1000 {kid(real, before):.1f} -> {kid(real, after):.1f}; "
            f"paired change {np.mean(changes):+.2f} (95% interval {low:+.2f} to {high:+.2f})",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
