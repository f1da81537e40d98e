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


def show(value: object, limit: int = 60) -> str:
    """``value`` for a one-line message: its repr (a list's for any sequence), shortened."""
    text = repr(list(value)) if isinstance(value, (list, tuple)) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_path(path: object, limit: int = 100) -> str:
    """A path for a one-line message: quoted, its middle cut when long (its end is the name).

    Examples
    --------
    >>> show_path("scenes/ravine.toml")
    "'scenes/ravine.toml'"
    >>> show_path("d/" * 100 + "bad.toml", limit=30)
    "'d/d/d/d/d/d/d/…/d/d/d/bad.toml'"
    """
    text = str(path)
    if len(text) > limit:
        head = limit // 2 - 1
        text = text[:head] + "…" + text[len(text) - (limit - head - 1) :]
    return f"'{text}'"


def parse_int(
    key: str,
    raw: object,
    *,
    owner: str | None = None,
    lo: int | None = None,
    hi: int | None = None,
) -> int:
    """Parse an integer (``"32"``, ``32`` or ``32.0``) within ``lo..hi``, with a one-line error.

    Parameters
    ----------
    key
        The key, for the message.
    raw
        The value as given (text from a spec or a flag, a number from a scene file).
    owner
        What the key belongs to (``"sgd"``); messages start with ``"owner: "`` when given.
    lo, hi
        Inclusive bounds; both or neither.

    Examples
    --------
    >>> parse_int("steps", "120", lo=1, hi=1000)
    120
    >>> parse_int("steps", 0, lo=1, hi=1000)
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: steps must be 1..1000, got 0
    >>> parse_int("batch", "3.5", owner="sgd")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: sgd: batch must be an integer, got '3.5'
    """
    prefix = f"{owner}: " if owner is not None else ""
    bad = SpecError(f"{prefix}{key} must be an integer, got {show(raw)}")
    if isinstance(raw, bool):
        raise bad
    if isinstance(raw, int):
        n = raw
    elif isinstance(raw, str) and raw.strip().lstrip("+-").isdigit():
        n = int(raw)  # exact, also beyond 2**53
    else:
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad from None
        if not math.isfinite(value) or value != int(value):
            raise bad
        n = int(value)
    if lo is not None and hi is not None and not lo <= n <= hi:
        raise SpecError(f"{prefix}{key} must be {lo}..{hi}, got {n}")
    return n


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
    choices
        The words a non-numeric parameter accepts (``data=moons``); its ``default``
        is then one of them.
    """

    name: str
    default: float | str
    check: Callable[[float], bool]
    rule: str
    integer: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()

    def parse(self, raw: str | float | int, *, owner: str) -> float | str:
        """Parse and check a raw value; a one-line :class:`SpecError` otherwise.

        A parameter with ``choices`` takes one of those words instead of a number.
        """
        if self.choices:
            if raw not in self.choices:
                raise SpecError(
                    f"{owner}: {self.name} must be one of {', '.join(self.choices)}, got {raw!r}"
                )
            return str(raw)
        value: float = (
            parse_int(self.name, raw, owner=owner)
            if self.integer
            else parse_float(self.name, raw, owner=owner)
        )
        if not self.check(value):
            raise SpecError(f"{owner}: {self.name} must be {self.rule}, got {raw!r}")
        return value


def check_plain_text(key: str, value: object, *, max_chars: int, lines: bool = False) -> str:
    """A string of at most ``max_chars`` characters without control characters.

    ``lines=True`` allows line breaks and tabs (a caption); NUL never.

    Examples
    --------
    >>> check_plain_text("title", "a\\x00b", max_chars=10)
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: title must not contain control characters (U+0000)
    """
    if not isinstance(value, str):
        raise SpecError(f"{key} must be a string, got {show(value)}")
    if len(value) > max_chars:
        raise SpecError(f"{key} is {len(value)} characters long; at most {max_chars}")
    allowed = "\n\t" if lines else ""
    bad = next((c for c in value if _is_control(c) and c not in allowed), None)
    if bad is not None:
        raise SpecError(f"{key} must not contain control characters (U+{ord(bad):04X})")
    return value


def _is_control(char: str) -> bool:
    return char < " " or "\x7f" <= char <= "\x9f"
