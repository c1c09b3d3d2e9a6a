"""Messages for the user: one line each, whatever the library that raised them."""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """A one-line reason from an exception (libraries often raise multi-line or empty messages)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
