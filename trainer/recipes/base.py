"""What a recipe is: which networks, which optimisers, one training step, a preview and an export.

A recipe never loops, saves or logs: the one loop in `trainer.loop` does that for every recipe.
Its config is a dataclass whose fields are its whole description; the checkpoint stores it, so a
checkpoint rebuilds its recipe with nothing else.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Iterator
from typing import Any, ClassVar

import torch
from torch import nn

from portraitize.contract import ModelInfo

from ..data import DataRole


@contextlib.contextmanager
def frozen(*nets: nn.Module) -> Iterator[None]:
    """Critics judging the generator's output: what runs inside passes gradients through them to the generator
    without recording any for their own weights, which only their own step trains. Each weight's flag is
    restored afterwards, so parts that are always frozen (a fixed backbone) stay frozen."""
    flags = [(parameter, parameter.requires_grad) for net in nets for parameter in net.parameters()]
    for parameter, _ in flags:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)


@dataclasses.dataclass
class ExportSpec:
    """The generator to export, an example input, and the contract fields that follow from the network."""

    module: nn.Module
    example: torch.Tensor
    kind: str  # "translator", "sampler" or "upscaler"
    native_size: int
    size_multiple: int = 1
    latent_size: int = 0
    factor: int = 0  # upscalers
    face_size: int = 0  # translators: the face size (px) of their training photos

    def info(
        self, name: str, description: str, family: str, training_summary: str, data_licence: str, quality: str = ""
    ) -> ModelInfo:
        return ModelInfo(
            kind=self.kind,
            name=name,
            description=description,
            family=family,
            native_size=self.native_size,
            size_multiple=self.size_multiple,
            latent_size=self.latent_size,
            factor=self.factor,
            face_size=self.face_size,
            training_summary=training_summary,
            data_licence=data_licence,
            quality=quality,
        )


def decay_begins(total_steps: int, fraction: float) -> int:
    """The step from which decayed_rate falls below `lr` (total_steps when `fraction` is 0: never)."""
    return total_steps - max(1, round(total_steps * fraction)) if fraction > 0 else total_steps


def decayed_rate(lr: float, step: int, total_steps: int, fraction: float) -> float:
    """`lr`, constant until the last `fraction` of a run of `total_steps`, then falling linearly to 0 at its end
    (`fraction` 0: constant)."""
    if fraction <= 0:
        return lr
    return lr * min(1.0, max(0, total_steps - step) / (total_steps - decay_begins(total_steps, fraction)))


class Recipe:
    name: ClassVar[str]
    Config: ClassVar[type]
    description: ClassVar[str]  # default model description for the export

    def __init__(self, config: Any, device: torch.device, training: bool = True):
        """training=False builds only the networks (for export and previews): no losses, data or optimisers."""
        self.config = config
        self.device = device
        self.training = training
        self.nets: dict[str, nn.Module] = {}  # trainable networks (the loop may wrap them for DDP)
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.total_steps = 0  # set by the loop, for schedules that depend on the run's length

    # -- what each recipe defines ------------------------------------------------------------------
    def data_roles(self) -> dict[str, str | DataRole]:
        """role -> image folder (e.g. {"photos": "..."}) or a DataRole: the loop builds one batch stream per role."""
        raise NotImplementedError

    def train_step(self, batches: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        """One optimisation step on a batch per role; returns the losses and statistics to log."""
        raise NotImplementedError

    def preview(self, fixed: dict[str, torch.Tensor], seed: int = 0) -> torch.Tensor:
        """Images in [-1, 1] for the sample grid, from fixed images per role and latents drawn from `seed`."""
        raise NotImplementedError

    def export_specs(self) -> dict[str, ExportSpec]:
        """Exportable parts by name; the first is what `export` writes unless --part names another."""
        raise NotImplementedError

    # -- shared plumbing ---------------------------------------------------------------------------
    def set_learning_rate(self, lr: float) -> None:
        """Every optimizer's rate for this step (a schedule sets it each step, so a resumed run keeps it)."""
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = lr

    def unwrapped(self, name: str) -> nn.Module:
        net = self.nets[name]
        return net.module if hasattr(net, "module") else net  # DDP keeps the real network in .module

    def extra_state(self) -> dict[str, Any]:
        """Training state beyond networks and optimisers (e.g. an image pool), for exact resumes."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    def init_extra_from(self, state: dict[str, Any]) -> None:
        """What --init-from carries over besides the networks (given the other run's extra state): nothing by
        default, since pools and the like belong to that run's training."""

    def state_dict(self) -> dict[str, Any]:
        return {
            "nets": {name: self.unwrapped(name).state_dict() for name in self.nets},
            "optimizers": {name: optimizer.state_dict() for name, optimizer in self.optimizers.items()},
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, weights in state["nets"].items():
            self.unwrapped(name).load_state_dict(weights)
        for name, optimizer_state in state.get("optimizers", {}).items():
            self.optimizers[name].load_state_dict(optimizer_state)
        self.load_extra_state(state.get("extra", {}))

    def parameter_count(self, name: str) -> int:
        return sum(parameter.numel() for parameter in self.unwrapped(name).parameters())


class TranslatorRecipe(Recipe):
    """A recipe whose product is a photo -> painting network in self.nets["generator"], run on "photos"."""

    size_multiple: ClassVar[int]

    def preview(self, fixed: dict[str, torch.Tensor], seed: int = 0) -> torch.Tensor:
        """The fixed photos above their translations."""
        generator = self.unwrapped("generator")
        was_training = generator.training
        painted = generator.eval()(fixed["photos"])
        generator.train(was_training)
        return torch.cat([fixed["photos"], painted])

    def export_specs(self) -> dict[str, ExportSpec]:
        size, multiple = self.config.size, self.size_multiple
        # Non-square, so tracing cannot tie height to width; at least 2 blocks, which torch.export can keep dynamic.
        height = max(size, 2 * multiple)
        example = torch.rand(1, 3, height, height + multiple, device=self.device) * 2 - 1
        generator = self.unwrapped("generator")
        if getattr(generator, "brushwork", None) is not None:
            # The file holds the generator only: the converter's paint chain paints the strokes (chain.py).
            generator = copy.deepcopy(generator)
            generator.brushwork = None
        return {"generator": ExportSpec(generator, example, "translator", size, size_multiple=multiple)}
