"""--resume continues a run exactly: the recipe and settings given must be the ones its checkpoint was made with,
but for those that do not change what the next step computes."""

import dataclasses
from pathlib import Path

# Settings that do not change what the next step computes: a run folder may be copied or moved (out), and the
# weights a run started from (init_from) are in its checkpoint by now.
RESUMABLE_CHANGES = {
    "steps",
    "time_budget_minutes",
    "export_to",
    "sample_every",
    "checkpoint_every",
    "keep_every",
    "log_every",
    "out",
    "init_from",
}


def _defaults(config_class) -> dict:
    return {
        field.name: field.default
        for field in dataclasses.fields(config_class)
        if field.default is not dataclasses.MISSING
    }


def check_resume_matches(recipe_name: str, config, loop) -> None:
    """--resume continues a run exactly, so its recipe and data must be the ones the checkpoint was made with."""
    from .checkpoint import load_checkpoint

    state = load_checkpoint(Path(loop.out))
    # A setting added after the checkpoint was written is absent from it: the run had its default behaviour.
    saved = {
        "recipe": state["recipe"],
        **_defaults(type(config)),
        **state["recipe_config"],
        **{k: v for k, v in {**_defaults(type(loop)), **state["loop_config"]}.items() if k not in RESUMABLE_CHANGES},
    }
    given = {
        "recipe": recipe_name,
        **dataclasses.asdict(config),
        **{k: v for k, v in dataclasses.asdict(loop).items() if k not in RESUMABLE_CHANGES},
    }
    if _decay_still_ahead(state, config, loop):
        given.pop("decay_fraction")
    changed = [f"{key}: {saved.get(key)!r} -> {value!r}" for key, value in given.items() if saved.get(key) != value]
    if changed:
        raise ValueError(f"--resume with other settings than the checkpoint's ({'; '.join(changed)})")


def _decay_still_ahead(state: dict, config, loop) -> bool:
    """Whether the learning rate's decay begins at or after the checkpoint's step, as saved and as now given: then
    a changed --decay-fraction alters only steps the run has not taken, and a resumed run may take it up (a GAN
    whose snapshots wander late, slowed down for the rest of its run)."""
    from .recipes.base import decay_begins

    if not hasattr(config, "decay_fraction"):
        return False
    step = state["counters"]["step"]
    saved_fraction = state["recipe_config"].get("decay_fraction", _defaults(type(config))["decay_fraction"])
    saved_steps = state["loop_config"].get("steps", _defaults(type(loop))["steps"])
    return min(decay_begins(saved_steps, saved_fraction), decay_begins(loop.steps, config.decay_fraction)) >= step
