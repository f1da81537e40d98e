"""The ``lossviz`` command: a thin layer over the library.

This module owns the command line: the subcommands, their flags (the scene's
come from the option table, :mod:`visualizer.scene.options`), their examples, output
folders, progress and messages. Parse, call the library, print one-line errors.
Exit status: 0 success, 2 usage errors (bad input), 1 runtime failures, 130
interrupted.

Input is checked before anything heavy is imported: matplotlib, Pillow and the
encoders load only once a render starts, so a typo is reported at once.

The parser is :mod:`visualizer.frontends._cli_parser`, the subcommands
:mod:`visualizer.frontends._cli_commands`; this module runs them.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from surfaces.errors import SpecError
from visualizer.encoding.files import Terminated
from visualizer.frontends._cli_commands import COMMANDS, Output, import_plotting, progress_bar
from visualizer.frontends._cli_parser import (
    EXAMPLES,
    PROG,
    UsageError,
    build_parser,
    gallery_scene,
    join_negative_values,
    parse_command,
    scene_from_args,
    version,
)
from visualizer.frontends._formula import plain_formula

__all__ = [
    "COMMANDS",
    "EXAMPLES",
    "PROG",
    "Output",
    "UsageError",
    "build_parser",
    "gallery_scene",
    "import_plotting",
    "join_negative_values",
    "main",
    "parse_command",
    "plain_formula",
    "progress_bar",
    "run",
    "scene_from_args",
    "version",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lossviz``; returns the exit status."""
    _guard_standard_streams()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        build_parser().print_help(sys.stderr)
        return 2
    try:
        args = parse_command(argv)
        return COMMANDS[args.command](args)
    except (UsageError, SpecError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:  # SIGTERM or SIGHUP during a write, cleaned up
        print(f"{PROG}: stopped by {signal.Signals(exc.signum).name}", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        return 1
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (OSError, RuntimeError, ValueError, ArithmeticError) as exc:
        # a runtime failure (the encoder, the file system, drawing a degenerate surface)
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def run() -> NoReturn:
    """The ``lossviz`` console command: :func:`main`, then an ordinary exit with its status.

    The standard streams are flushed first: one that cannot be (a closed pipe, as in
    ``lossviz list | head -1``) makes the status 1, and is pointed at ``/dev/null`` so
    that Python's own flush at exit has nothing left to complain about.
    """
    status = main()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 1
            with contextlib.suppress(OSError, ValueError):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, stream.fileno())
                os.close(null)
    raise SystemExit(status)


def _guard_standard_streams() -> None:
    """Give closed standard file descriptors ``/dev/null``.

    Otherwise the next file opened (a temporary file, a pipe to ffmpeg) would take
    descriptor 0, 1 or 2, and messages meant for the terminal would land in it.
    With stderr closed, messages are dropped; with stdout closed, ``sys.stdout``
    stays ``None`` so that ``trace`` can say where its CSV cannot go.
    """
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, mode)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)


#: The longest error line; longer ones echo input, and are cut (quoted parts first).
MAX_MESSAGE_CHARS = 400


def _one_line(exc: BaseException) -> str:
    """The first line of an error's message, cut to :data:`MAX_MESSAGE_CHARS`.

    Examples
    --------
    >>> _one_line(ValueError("bad 'x" + "y" * 1000 + "'; choose from a, b"))
    "bad 'xyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…'; choose from a, b"
    """
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    if len(line) > MAX_MESSAGE_CHARS:  # first the quoted input, then the line itself
        line = re.sub(r"'([^']{60})[^']{2,}'", r"'\1…'", line)
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - 1] + "…"
    return line


if __name__ == "__main__":  # pragma: no cover
    run()
