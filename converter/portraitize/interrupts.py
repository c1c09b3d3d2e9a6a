"""Ctrl-C kept off a block that must not be cut short, where this is the main thread (which alone may set signal
handlers; elsewhere the block runs as it is)."""

from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def presses_ignored():
    """Ctrl-C ignored for the block, then as before."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def presses_held():
    """Ctrl-C ignored for the block, as by `presses_ignored`, by any process the block starts (it inherits the
    ignored signal; a blocked one does not reach it, a spawn clears the mask); here it is blocked meanwhile too, so
    a press during the block is held, not lost, and reaches this process's own handler as the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with presses_ignored():
            yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
