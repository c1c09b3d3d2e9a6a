"""Messages for the user: one line each, whatever the library that raised them."""

from __future__ import annotations

import os

DEBUG_ENV = "PORTRAITIZE_DEBUG"  # set: unexpected errors show their traceback, and a Ray cluster its own log lines


def debugging() -> bool:
    return bool(os.environ.get(DEBUG_ENV))


def first_line(error: BaseException) -> str:
    """A one-line reason from an exception (libraries often raise multi-line or empty messages)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def counted(count: int, noun: str) -> str:
    """`1 photo`, `2 photos`: a count with its noun in the right number (nouns taking an -s only)."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
