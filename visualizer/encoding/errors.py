"""The errors of writing files: a path that cannot be written, and a writer that failed.

Both are :class:`surfaces.errors.LossvizError` s, with one-line messages; the CLI maps
them to exit statuses::

    LossvizError
    ├── SpecError (ValueError)         bad input, exit 2: nothing was written
    │   └── OutputPathError            an output path that cannot be written
    └── WriterError (RuntimeError)     a fault outside the input, exit 1: the encoder
                                       failed, the disk is full; old files are kept
"""

from __future__ import annotations

from surfaces.errors import LossvizError, SpecError

__all__ = ["OutputPathError", "WriterError"]


class OutputPathError(SpecError):
    """An output path that cannot be written: bad suffix, name too long, folder missing
    or not writable. Bad input, checked before any work starts."""


class WriterError(LossvizError, RuntimeError):
    """Writing a file failed for a reason outside the input: the encoder failed, the
    disk is full, a frame was malformed. Any file already at the output path is kept."""
