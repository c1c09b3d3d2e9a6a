"""Self-describing checkpoints: networks, optimisers, step, RNG states and the full config, written atomically."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from portraitize.files import write_atomically

CHECKPOINT_NAME = "checkpoint.pt"


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Written atomically (temp file, then rename): a crash never leaves a torn checkpoint."""
    write_atomically(path, lambda file: torch.save(state, file))


def load_checkpoint(path: Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint there")
    # Our own files hold RNG states and config dicts (Python objects), so weights_only cannot be used.
    state = read_torch_file(
        path, "a readable checkpoint", lambda: torch.load(path, map_location="cpu", weights_only=False)
    )
    if not isinstance(state, dict) or "recipe" not in state:
        raise CheckpointError(f"{path}: not a portraitize checkpoint (no recipe recorded)")
    return state


class CheckpointError(ValueError):
    """A file that is there but is not a checkpoint this trainer wrote (damaged, or something else)."""


def read_torch_file(path: Path, what: str, read: Callable[..., Any], *args: Any) -> Any:
    """`read(*args)`'s result: a torch file (a checkpoint, weights, a TorchScript network) read from `path`; where
    it is not `what` (damaged, or another file), CheckpointError naming the file, in one line."""
    try:
        return read(*args)
    except Exception as error:  # torch's readers raise whatever a wrong file trips over
        reason = next(iter(str(error).splitlines()), "")  # torch's reasons run to several lines
        raise CheckpointError(f"{path}: not {what} ({type(error).__name__}: {reason})") from None


def training_summary(state: dict[str, Any]) -> str:
    """One line of provenance for a model card: steps, images, time, hardware, data, and the run it started from."""
    counters, loop = state["counters"], state["loop_config"]
    data = "; ".join(
        f"{role}: {entry['folder']} ({entry['images']} images)" for role, entry in state.get("data", {}).items()
    )
    if counters["step"] == 0 and state.get("started_from"):  # a run that only exported the weights it started from
        summary = f"{state['recipe']} recipe, no training of its own (exported again); data: {data}"
    else:
        summary = (
            f"{state['recipe']} recipe, {counters['step']} steps x batch {loop['batch_size']} "
            f"({counters['images_seen']} images seen), {counters['wall_seconds'] / 60:.1f} min on "
            f"{state['hardware']}; data: {data}"
        )
    # A fine-tuned run's cost and recipe include those of the run it started from.
    summary += f"; networks started from [{state['started_from']}]" if state.get("started_from") else ""
    return summary + (f"; weights: {state['averaged_from']}" if state.get("averaged_from") else "")
