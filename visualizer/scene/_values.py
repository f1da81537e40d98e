"""The value parsers of the option table: pairs, windows, step ranges, sizes.

Re-exported by :mod:`visualizer.scene.options`, which builds its kinds from them.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import Any

from surfaces.errors import SpecError
from surfaces.params import parse_int, show
from visualizer.maths.bounds import MAX_STEPS

MIN_SIZE_PX, MAX_SIZE_PX = 64, 7680
MAX_FRAMES = 100_000
#: Largest coordinate of a start or window, and the narrowest window relative to its size.
MAX_COORDINATE = 1e12
MIN_WINDOW_FRACTION = 1e-9


def _items(value: Any) -> list[Any]:
    """Comma-separated text or a list/tuple as a list; anything else is malformed.

    A list holds numbers, not text: ``["1", 2]`` in a scene file is a type error.
    """
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, (list, tuple)) and not any(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError


def _finite(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError
    f = float(v.strip()) if isinstance(v, str) else float(v)
    if not math.isfinite(f):
        raise ValueError
    return f


def _check_coordinates(values: Sequence[float], text: Any, *, what: str) -> None:
    if any(abs(v) > MAX_COORDINATE for v in values):
        raise SpecError(f"{what} {show(text)}: coordinates must be within ±{MAX_COORDINATE:g}")


def parse_pair(text: str | Sequence[Any], *, what: str) -> tuple[float, float]:
    """Parse ``"X,Y"`` or ``[X, Y]`` into two finite floats."""
    try:
        items = _items(text)
        if len(items) != 2:
            raise ValueError
        x, y = (_finite(v) for v in items)
    except (TypeError, ValueError):
        raise SpecError(f"malformed {what} {show(text)}: expected X,Y (two numbers)") from None
    _check_coordinates((x, y), text, what=what)
    return x, y


def parse_window(text: str | Sequence[Any]) -> tuple[float, float, float, float]:
    """Parse ``"XMIN,XMAX,YMIN,YMAX"`` (or a list) into a valid window."""
    try:
        items = _items(text)
        if len(items) != 4:
            raise ValueError
        xmin, xmax, ymin, ymax = (_finite(v) for v in items)
    except (TypeError, ValueError):
        raise SpecError(
            f"malformed window {show(text)}: expected XMIN,XMAX,YMIN,YMAX (four numbers)"
        ) from None
    if not (xmin < xmax and ymin < ymax):
        raise SpecError(f"window {show(text)}: need XMIN < XMAX and YMIN < YMAX")
    _check_coordinates((xmin, xmax, ymin, ymax), text, what="window")
    for lo, hi in ((xmin, xmax), (ymin, ymax)):
        if hi - lo < MIN_WINDOW_FRACTION * max(1.0, abs(lo), abs(hi)):
            raise SpecError(f"window {show(text)}: too narrow to draw")
    return xmin, xmax, ymin, ymax


def parse_step_range(text: str | Sequence[Any], *, what: str) -> tuple[int, int]:
    """Parse ``"FIRST,LAST"`` (or ``[FIRST, LAST]``) into two steps ``0 <= FIRST <= LAST``.

    Examples
    --------
    >>> parse_step_range("2,8", what="slow"), parse_step_range([0, 0], what="slow")
    ((2, 8), (0, 0))
    >>> parse_step_range("8,2", what="slow")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: slow '8,2': need FIRST <= LAST
    """
    try:
        items = _items(text)
    except ValueError:
        items = []
    if len(items) != 2 or any(isinstance(v, bool) or isinstance(v, float) for v in items):
        raise SpecError(f"malformed {what} {show(text)}: expected FIRST,LAST (two steps)")
    first, last = (parse_int(what, v, lo=0, hi=MAX_STEPS) for v in items)
    if first > last:
        raise SpecError(f"{what} {show(text)}: need FIRST <= LAST")
    return first, last


def parse_size(text: str | Sequence[Any]) -> tuple[int, int]:
    """Parse ``"WxH"`` (or ``[W, H]``) into a size within 64..7680 pixels."""
    if isinstance(text, str):
        m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", text)
        if not m:
            raise SpecError(f"malformed size {text!r}: expected WxH, e.g. 1280x720")
        w, h = int(m.group(1)), int(m.group(2))
    else:
        if not isinstance(text, (list, tuple)):
            raise SpecError(f"malformed size {show(text)}: expected WxH, e.g. 1280x720")
        items = list(text)
        if len(items) != 2 or not all(_is_int(v) for v in items):
            raise SpecError(f"malformed size {items!r}: expected [W, H] (two integers)")
        w, h = (int(v) for v in items)
    for v in (w, h):
        if not MIN_SIZE_PX <= v <= MAX_SIZE_PX:
            raise SpecError(f"size {w}x{h}: each side must be {MIN_SIZE_PX}..{MAX_SIZE_PX} pixels")
    return w, h


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _numbers(values: Sequence[float]) -> str:
    """Numbers as short text that parses back to the same floats."""
    return ",".join(f"{v:g}" if float(f"{v:g}") == v else repr(float(v)) for v in values)
