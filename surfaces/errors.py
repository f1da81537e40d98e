"""Errors raised for bad user input."""

# Every error lossviz raises on purpose, in one place (the CLI maps them to exit statuses):
#
#     LossvizError                       one-line message: "lossviz: error: <message>"
#     ├── SpecError (ValueError)         bad input, exit 2: nothing was written
#     │   └── OutputPathError            an output path that cannot be written
#     └── WriterError (RuntimeError)     a fault outside the input, exit 1: the encoder
#                                        failed, the disk is full; old files are kept


class LossvizError(Exception):
    """Base of every error lossviz raises on purpose; the message is one line."""


class SpecError(LossvizError, ValueError):
    """Bad user input: an unknown name, key or value, or a malformed spec.

    The message is one line, suitable for ``lossviz: error: <message>``.
    """


class OutputPathError(SpecError):
    """An output path that cannot be written: bad suffix, name too long, folder missing
    or not writable. Bad input, checked before any work starts."""


class WriterError(LossvizError, RuntimeError):
    """Writing a file failed for a reason outside the input: the encoder failed, the
    disk is full, a frame was malformed. Any file already at the output path is kept."""
