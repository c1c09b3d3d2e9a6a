"""Config dataclasses are their own CLI: each field carries its help (and, rarely, a shorter flag name), and
becomes one option of its command (`config_parameters`), which gives the dataclass back (`build_config`)."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any, List, Optional

import typer


def option(
    default: Any = dataclasses.MISSING,
    *,
    help: str,  # noqa: A002 (the CLI's word)
    flag: str | None = None,
    min: float | None = None,  # noqa: A002 (typer's word)
) -> Any:
    """A config field and the help its `python -m trainer train RECIPE --field` option shows.

    `flag` renames the option where the field's name is longer than users should type (e.g. --faces for
    face_boxes); the field keeps its name, so checkpoints written before stay readable. `min`: the least value
    the option takes (typer refuses less, naming the option, before any work).
    """
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag, "min": min})


def config_parameters(config_class: type, panel: str | None = None) -> list[inspect.Parameter]:
    """One keyword parameter per config field, with the field's default, help and flag.

    A tuple field (e.g. face_boxes) is a repeatable option; the command turns the list back into a tuple.
    """
    hints = typing.get_type_hints(config_class)
    parameters = []
    for field in dataclasses.fields(config_class):
        annotation, default = hints[field.name], field.default
        if typing.get_origin(annotation) is tuple:
            annotation, default = Optional[List[typing.get_args(annotation)[0]]], None
        flags = [field.metadata["flag"]] if field.metadata.get("flag") else []
        option = typer.Option(
            ... if default is dataclasses.MISSING else default,
            *flags,
            help=field.metadata.get("help", ""),
            min=field.metadata.get("min"),
            rich_help_panel=panel,
        )
        parameters.append(
            inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=option)
        )
    return parameters


def build_config(config_class: type, values: dict):
    """The dataclass from a command's keyword arguments (repeatable options back to tuples)."""
    fields = {field.name: field for field in dataclasses.fields(config_class)}
    hints = typing.get_type_hints(config_class)
    return config_class(
        **{
            name: tuple(str(item) for item in value or ()) if typing.get_origin(hints[name]) is tuple else value
            for name, value in values.items()
            if name in fields
        }
    )


def with_signature(command, parameters: list[inspect.Parameter]):
    """A `**kwargs` command with the signature typer reads its options from (config fields as options)."""
    command.__signature__ = inspect.Signature(parameters)
    command.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return command
