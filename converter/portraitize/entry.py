"""The `portraitize` command's entry (the console script and `python -m portraitize`): Ctrl-C at any moment, even
while the CLI's own libraries load (before cli.py's handling is in place), ends it with one line and exit code 130,
never a traceback."""

from __future__ import annotations

import signal
import sys

from .arenas import limit_arenas

EXIT_INTERRUPTED = 130


def run() -> None:
    limit_arenas()
    try:
        from .cli import main

        main()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second press while Python shuts down must not cut in
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
