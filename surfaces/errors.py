"""Errors raised for bad user input, and the "did you mean" of their messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Every error lossviz raises on purpose, in one place (the CLI maps them to exit statuses):
#
#     LossvizError                       one-line message: "lossviz: error: <message>"
#     ├── SpecError (ValueError)         bad input, exit 2: nothing was written
#     │   └── OutputPathError            an output path that cannot be written
#     └── WriterError (RuntimeError)     a fault outside the input, exit 1: the encoder
#                                        failed, the disk is full; old files are kept
#
# (the last two are the writers': visualizer.encoding.errors)


class LossvizError(Exception):
    """Base of every error lossviz raises on purpose; the message is one line."""


class SpecError(LossvizError, ValueError):
    """Bad user input: an unknown name, key or value, or a malformed spec.

    The message is one line, suitable for ``lossviz: error: <message>``.
    """


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``" (did you mean 'X'?)"`` for the known name closest to ``name``, or ``""``.

    Case is ignored, so a wrongly capitalised name is always matched.

    Examples
    --------
    >>> did_you_mean("ravene", ["bowl", "ravine", "saddle"])
    " (did you mean 'ravine'?)"
    >>> did_you_mean("Ravine", ["bowl", "ravine"])
    " (did you mean 'ravine'?)"
    >>> did_you_mean("volcano", ["bowl", "ravine"])
    ''
    """
    names = {k.lower(): k for k in known}
    close = difflib.get_close_matches(str(name).lower(), list(names), n=1, cutoff=0.6)
    return f" (did you mean {names[close[0]]!r}?)" if close else ""
