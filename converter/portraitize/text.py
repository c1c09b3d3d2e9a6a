"""Messages for the user: one line each, whatever the library that raised them."""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """A one-line reason from an exception (libraries often raise multi-line or empty messages)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
