"""Parsing of ``NAME:key=value,key=value`` specs, shared by surfaces and optimizers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from surfaces.errors import SpecError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def split_spec(text: str, *, kind: str) -> tuple[str, dict[str, str]]:
    """Split ``"NAME:key=value,key=value"`` into the name and a dict of raw values.

    Parameters
    ----------
    text
        The spec string.
    kind
        What is being parsed (``"optimizer"``, ``"surface"``), for error messages.

    Returns
    -------
    tuple
        ``(name, {key: raw_value})``; values are stripped strings.

    Raises
    ------
    SpecError
        On an empty name, a malformed ``key=value`` item or a repeated key.

    Examples
    --------
    >>> split_spec("momentum:lr=0.01,beta=0.9", kind="optimizer")
    ('momentum', {'lr': '0.01', 'beta': '0.9'})
    """
    text = text.strip()
    name, sep, rest = text.partition(":")
    name = name.strip()
    if not name or not _NAME.match(name):
        raise SpecError(f"malformed {kind} spec {text!r}: expected NAME or NAME:key=value,...")
    values: dict[str, str] = {}
    if sep and not rest.strip():
        raise SpecError(f"malformed {kind} spec {text!r}: nothing after ':'")
    if sep:
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not eq or not _KEY.match(key) or not value:
                raise SpecError(
                    f"malformed {kind} spec {text!r}: {item.strip()!r} is not key=value"
                )
            if key in values:
                raise SpecError(f"malformed {kind} spec {text!r}: key {key!r} given twice")
            values[key] = value
    return name, values


def parse_float(key: str, raw: str | float | int, *, owner: str) -> float:
    """Parse a finite float, with a one-line error naming ``owner`` and ``key``."""
    if isinstance(raw, bool):
        raise SpecError(f"{owner}: {key} must be a number, got {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SpecError(f"{owner}: {key} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise SpecError(f"{owner}: {key} must be finite, got {raw!r}")
    return value


def parse_int(key: str, raw: str | float | int, *, owner: str) -> int:
    """Parse an integer (``"32"``, ``32`` or ``32.0``), with a one-line error."""
    value = parse_float(key, raw, owner=owner)
    if value != int(value):
        raise SpecError(f"{owner}: {key} must be an integer, got {raw!r}")
    return int(value)


@dataclass(frozen=True)
class Param:
    """A named numeric parameter (of a surface or an optimizer) with its valid range.

    Attributes
    ----------
    name
        The key in specs (``lr``, ``kappa``).
    default
        Value when the key is not given.
    check
        Whether a parsed value is valid.
    rule
        The valid range in words, for error messages (``"> 0"``).
    integer
        Whether only whole numbers are allowed.
    help
        One line on what it is.
    """

    name: str
    default: float
    check: Callable[[float], bool]
    rule: str
    integer: bool = False
    help: str = ""

    def parse(self, raw: str | float | int, *, owner: str) -> float:
        """Parse and check a raw value; a one-line :class:`SpecError` otherwise."""
        value: float = (
            parse_int(self.name, raw, owner=owner)
            if self.integer
            else parse_float(self.name, raw, owner=owner)
        )
        if not self.check(value):
            raise SpecError(f"{owner}: {self.name} must be {self.rule}, got {raw!r}")
        return value
