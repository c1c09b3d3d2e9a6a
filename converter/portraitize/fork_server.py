"""Imported only in the stroke workers' fork server, which preloads it (stroke_workers.py): the painter is loaded there
once for every worker forked from it, and a worker that fails as it starts (Ctrl-C while it was being forked: the
run that asked for it is gone, and with it the semaphores the worker opens first) leaves without a traceback on the
user's terminal; the run, if still there, sees a broken pool and says so in its own words. PORTRAITIZE_DEBUG=1
keeps the traceback."""

from __future__ import annotations

import sys

from . import stroke_workers  # noqa: F401 (the painter, loaded once for every worker)
from .text import debugging

if not debugging():
    sys.excepthook = lambda *failure: None
