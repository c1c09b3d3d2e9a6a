"""A section of the results file (bench/report.py): a measuring command and how its JSON becomes values."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Section:
    """A measuring command (or several, the last writing the JSON) and how its JSON becomes values."""

    name: str
    about: str
    commands: Callable[[str], list[list[str]]]  # given the JSON path, the commands to run in order
    read: Callable[[dict], dict]  # the last command's JSON -> the values kept
    # A section that measures one earlier commit (a predecessor beside its successor): run at that commit and
    # filled with --from --commit; measure at any other checkout refuses it rather than time the wrong code.
    at_commit: str = ""

    def command_line(self, out: str) -> str:
        return " && ".join(shlex.join(command) for command in self.commands(out))


def script(path: str, *options: str) -> Callable[[str], list[list[str]]]:
    return lambda out: [["python", path, *options, "--json", out]]
