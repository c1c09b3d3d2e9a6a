"""Config dataclasses are their own CLI: each field carries its help (and, rarely, a shorter flag name)."""

from __future__ import annotations

import dataclasses
from typing import Any


def option(default: Any = dataclasses.MISSING, *, help: str, flag: str | None = None) -> Any:  # noqa: A002 (the CLI's word)
    """A config field and the help its `python -m trainer train RECIPE --field` option shows.

    `flag` renames the option where the field's name is longer than users should type (e.g. --faces for
    face_boxes); the field keeps its name, so checkpoints written before stay readable.
    """
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag})
