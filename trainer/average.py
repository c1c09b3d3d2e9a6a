"""The mean of a run's snapshots: the weights `export` reads, averaged after training over a long window.

A GAN's generator keeps wandering among equally good solutions; the run's own moving average (FastGAN's EMA,
decay 0.999: about the last thousand steps) smooths the last minutes of that wander, while the mean of
snapshots thousands of steps apart averages the wander itself (post-hoc averaging, as in Karras et al. 2024,
"Analyzing and Improving the Training Dynamics of Diffusion Models"; Polyak averaging for GANs: Yazici et al.
2019, "The Unusual Effectiveness of Averaging in GAN Training"). Floating-point weights and batch-norm statistics
are averaged; counters (batches seen) come from the newest snapshot. Spectral norm's power-iteration vectors are
re-estimated for the averaged weights, since the mean of each snapshot's vectors is not the mean weight's
singular vector.

The result is the newest snapshot's checkpoint with the averaged weights, and its training summary names the
snapshots, so `export` reads it like any other and the card can say what it is.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from torch.nn.utils import parametrize

from .checkpoint import save_checkpoint
from .export import ExportError, load_for_inference

POWER_ITERATIONS = 100  # from the snapshots' mean vectors, already close: converges well within this


def average_snapshots(snapshots: list[Path], out: Path, part: str | None = None) -> int:
    """Write to `out` the checkpoint whose exported network (`part`, default the recipe's first) is the mean of
    the snapshots'; returns how many spectral-norm layers were re-estimated."""
    if len(snapshots) < 2:
        raise ExportError("give at least two snapshots to average")
    modules, states, recipes = [], [], []
    for snapshot in snapshots:
        recipe, state = load_for_inference(snapshot)
        specs = recipe.export_specs()
        if part is not None and part not in specs:
            raise ExportError(f"--part {part!r}: {snapshot} has {', '.join(specs)}")
        if recipes and (state["recipe"], _settings(recipe)) != (states[0]["recipe"], _settings(recipes[0])):
            raise ExportError(f"{snapshot} is not a snapshot of the same recipe and settings as {snapshots[0]}")
        modules.append(specs[part or next(iter(specs))].module)
        states.append(state)
        recipes.append(recipe)
    newest = max(range(len(states)), key=lambda index: states[index]["counters"]["step"])  # in any order given
    target = modules[newest]
    weights = [module.state_dict() for module in modules]
    with torch.no_grad():
        for name, value in target.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.stack([w[name].float() for w in weights]).mean(0).to(value.dtype))
        estimated = reestimate_spectral_norms(target)
    state, recipe = states[newest], recipes[newest]
    # The averaged module is one of the recipe's networks (or its moving average): the recipe's own state
    # carries it to wherever export looks for it.
    fresh = recipe.state_dict()
    state["recipe_state"] = {**state["recipe_state"], "nets": fresh["nets"], "extra": fresh["extra"]}
    steps = ", ".join(str(step) for step in sorted(snapshot_state["counters"]["step"] for snapshot_state in states))
    state["averaged_from"] = f"the mean of {len(states)} snapshots, at steps {steps}"
    save_checkpoint(out, state)
    return estimated


def reestimate_spectral_norms(module: torch.nn.Module) -> int:
    """Run the power iteration of every spectral-norm parametrization on its (new) weight."""
    count = 0
    for layer in module.modules():
        if not parametrize.is_parametrized(layer, "weight"):
            continue
        for norm in layer.parametrizations.weight:
            if hasattr(norm, "_power_method"):
                weight = layer.parametrizations.weight.original
                norm._power_method(norm._reshape_weight_to_matrix(weight), POWER_ITERATIONS)
                count += 1
    return count


def _settings(recipe) -> dict:
    """A snapshot's settings as its recipe was rebuilt with them (a setting added since has its default), but for
    the learning rate's decay, which a run may take up when resumed: snapshots before and after are one run's."""
    return {key: value for key, value in dataclasses.asdict(recipe.config).items() if key != "decay_fraction"}
