"""Errors raised for bad user input."""


class SpecError(ValueError):
    """Bad user input: an unknown name, key or value, or a malformed spec.

    The message is one line, suitable for ``lossviz: error: <message>``.
    """
