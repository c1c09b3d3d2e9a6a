"""A sampler's latent check (contract.ModelInfo.latent_check): a linear score of the latent that foresees the
face check's verdict on the portrait the sampler would paint from it, so `sample` can step over latents that tend
to give a broken face before painting them (microseconds a latent, where painting and the face check take ~20 ms).

On portrait-gan a plain logistic regression of the face check's pass on the latent separates well (held-out
AUC about 0.84 on 4,000 latents; a hidden layer predicted the face check better but broken faces by eye no
better): whether the face holds together is largely one direction in its latent space.

The direction is fitted to the face check's verdicts on latents of FIT_SEED, apart from the seeds portraits are
counted on (seed 0: the held-out count by eye; seed 1: the labelled portraits the share kept was chosen on). The
bias is then set so that a share `keep` of the fitting latents score at least 0: the share is a choice made by eye
(bench/face_check.py reports it on the labelled portraits), the direction is fitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from portraitize.contract import ModelInfo, sample_latents, tensor_to_images
from portraitize.files import write_atomically

if TYPE_CHECKING:  # not at run time: `python -m trainer` imports this module for every command
    from portraitize.session import ModelSession

FIT_SEED, FIT_COUNT = 100, 20_000  # the fitting latents: seed, how many
HELD_OUT = 0.2  # the share of fitting latents the reported AUC is measured on (the written check uses them all)
L2 = 1e-4  # a little weight decay: 128 weights from thousands of verdicts need little
BATCH = 64
FEWEST_KEPT = 0.05  # the least share of latents a check may keep (`sample` refuses one keeping under 1%)
LATENTS_PER_WEIGHT = 10  # fitting latents per number fitted, at least: fewer and the line fits their noise
# The face check need not look at portraits of latents scoring where it passed this share of the fitting ones,
# judged on this many at least. On portrait-gan that is the top sixth of latents, over half of those kept: the face
# check passed all 58 such seed-1 portraits, and where it turns down a kept one it is mostly a fine face (on seed 1,
# 8 of its 10), so looking at them would cost time and variety for next to no broken face.
SURE_PASSED, SURE_FEWEST = 0.95, 100

# uint8 RGB portraits [S, S, 3] -> whether each one's face is good (the face check: face_check.FaceCheck + PASSES)
Verdicts = Callable[[list[np.ndarray]], list[bool]]


@dataclasses.dataclass
class LatentCheck:
    weights: np.ndarray  # float64 [latent_size]
    bias: float
    sure: float  # from this score up the face check passed at least SURE_PASSED of the fitting latents
    passed: float  # share of the fitting latents the face check passed
    held_out_auc: float  # how well a fit on the other latents ranks the held-out ones' verdicts (0.5: chance)

    def metadata(self) -> str:
        return ",".join(f"{value:.9g}" for value in [*self.weights, self.bias, self.sure])


def verdicts_of(model: ModelSession, count: int, verdicts: Verdicts, seed: int = FIT_SEED, on_batch=None):
    """(latents float32 [count, latent_size], the face check's verdict on each one's portrait)."""
    latents, good = [], []
    for start in range(0, count, BATCH):
        batch = sample_latents(min(BATCH, count - start), model.info.latent_size, seed, None, start)
        good += verdicts(list(tensor_to_images(model.run(batch), model.info)))
        latents.append(batch)
        if on_batch:
            on_batch(start + len(batch))
    return np.concatenate(latents), np.array(good, bool)


def check_count(count: int, latent_size: int) -> None:
    """ValueError where `count` latents are too few to fit a check of `latent_size` weights."""
    fewest = LATENTS_PER_WEIGHT * (latent_size + 1)
    if count < fewest:
        raise ValueError(f"{count} latents fit {latent_size + 1} numbers poorly: give --latents {fewest} or more")


def fit(latents: np.ndarray, good: np.ndarray, keep: float) -> LatentCheck:
    if not FEWEST_KEPT <= keep <= 1:
        raise ValueError(f"keep must lie in [{FEWEST_KEPT}, 1], not {keep}: `sample` refuses a check keeping few")
    check_count(len(latents), latents.shape[1])
    if good.all() or not good.any():
        raise ValueError(f"the face check passed {good.sum()} of {len(good)} portraits: nothing to tell apart")
    split = int(len(good) * (1 - HELD_OUT))
    if good[split:].all() or not good[split:].any():
        raise ValueError(f"the held-out {len(good) - split} latents are all judged alike: give more --latents")
    held_out = _direction(latents[:split], good[:split])
    auc = area_under_curve(latents[split:] @ held_out, good[split:])
    weights = _direction(latents, good)
    scores = latents.astype(np.float64) @ weights
    bias = -float(np.quantile(scores, 1 - keep))  # keeps the share `keep` that scores highest: score + bias >= 0
    # sure only of latents it keeps: where the face check passes nearly all, it passes the kept ones too
    sure = max(_sure_score(scores + bias, good), 0.0)
    return LatentCheck(weights, bias, sure, float(good.mean()), auc)


def _sure_score(scores: np.ndarray, good: np.ndarray) -> float:
    """The lowest score from which up the face check passed at least SURE_PASSED of the fitting latents (at least
    SURE_FEWEST of them); above the highest score where there is none."""
    order = np.argsort(-scores, kind="stable")
    passed = np.cumsum(good[order]) / np.arange(1, len(order) + 1)
    enough = np.flatnonzero(passed[SURE_FEWEST - 1 :] >= SURE_PASSED) + SURE_FEWEST - 1
    return float(scores[order[enough[-1]]]) if len(enough) else float(scores.max()) + 1.0


def _direction(latents: np.ndarray, good: np.ndarray) -> np.ndarray:
    """Logistic regression weights (the bias is set apart from them, by the share kept)."""
    x, y = torch.from_numpy(latents.astype(np.float64)), torch.from_numpy(good.astype(np.float64))
    weights = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([weights, bias], max_iter=500, line_search_fn="strong_wolfe")

    def loss():
        optimiser.zero_grad()
        value = (
            torch.nn.functional.binary_cross_entropy_with_logits(x @ weights + bias, y) + L2 * weights.square().sum()
        )
        value.backward()
        return value

    optimiser.step(loss)
    return weights.detach().numpy()


def area_under_curve(scores: np.ndarray, good: np.ndarray) -> float:
    """The chance that a good one outscores a bad one (scores are continuous: ties, rare, are broken by order)."""
    scores, good = np.asarray(scores, np.float64), np.asarray(good, bool)
    ranks = np.argsort(np.argsort(scores, kind="stable"), kind="stable") + 1.0
    positives = good.sum()
    return float((ranks[good].sum() - positives * (positives + 1) / 2) / (positives * (len(good) - positives)))


def without_latent_check(path: Path) -> bytes:
    """The model file's bytes with no latent check: the one being fitted anew is the only one that counts, and an
    old one the contract refuses (damaged, or from a sampler of another latent size) must not stop its refit."""
    return _with_latent_check(path, None)


def write_latent_check(path: Path, check: LatentCheck) -> None:
    """Set the model's latent_check metadata (everything else kept), checked against the contract, atomically."""
    data = _with_latent_check(path, check)
    write_atomically(path, lambda file: file.write(data))


def _with_latent_check(path: Path, check: LatentCheck | None) -> bytes:
    import onnx  # here, not above: `python -m trainer` imports this module for every command

    from .export import ExportError, load_onnx

    model = load_onnx(path)
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    if metadata.get("kind") != "sampler":  # before the contract, whose checks of other kinds would speak of them
        raise ExportError(f"{path}: a {metadata.get('kind') or 'model of no kind'}, but latent-check fits a sampler's")
    metadata.pop("latent_check", None)
    if check is not None:
        metadata["latent_check"] = check.metadata()
    ModelInfo.from_metadata(metadata)  # a ContractError here leaves the file as it was
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, metadata)
    return model.SerializeToString()
