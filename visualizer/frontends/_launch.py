"""The ``lossviz`` command's entry point: the command imported and run inside a guard.

Importing the command (numpy, the option table, the surfaces) takes a few tenths of a
second; a Ctrl-C then would otherwise end in a ``KeyboardInterrupt`` traceback. Here
it is the command's own "interrupted" line and exit status 130, as later.
"""

from __future__ import annotations

import signal
import sys


def run() -> None:
    """Run ``lossviz`` (:func:`visualizer.frontends.cli.run`); Ctrl-C at any time is one line."""
    try:
        from visualizer.frontends.cli import run as command

        command()
    except KeyboardInterrupt:
        _interrupted()


def _interrupted() -> None:
    """Say so, and exit with status 130 (raises ``SystemExit``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot cut the line short
    try:
        sys.stderr.write("lossviz: interrupted\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # no standard error: say nothing
        pass
    raise SystemExit(130)
