"""Scenes: every option of a ``trace`` or ``render``, from flags and TOML files.

One scene format is shared by ``lossviz trace``, ``lossviz render --config`` and
``lossviz gallery``. Keys are the long command-line options with ``_`` for ``-``::

    surface = "ravine:kappa=100"
    optimizers = ["gd", "sgd:noise=2", "momentum:lr=0.004,beta=0.9"]
    start = [-4.0, 1.5]
    steps = 120
    seed = 0
    view = "contour"        # contour | surface | both
    fps = 20
    size = "1280x720"
    theme = "light"         # light | dark
    loss_panel = true

Unknown keys are errors that name the key; command-line flags override the file.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from surfaces import Surface, get_surface
from surfaces.errors import SpecError
from visualizer.specs import OptimizerSpec, resolve_optimizers

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

VIEWS = ("contour", "surface", "both")
THEMES = ("light", "dark")
MIN_SIZE_PX, MAX_SIZE_PX = 64, 7680
MAX_STEPS = 100_000
MAX_FRAMES = 100_000
#: Largest coordinate of a start or window, and the narrowest window relative to its size.
MAX_COORDINATE = 1e12
MIN_WINDOW_FRACTION = 1e-9


@dataclass(frozen=True)
class Scene:
    """Everything that defines one animation (or one trace).

    ``None`` means "the surface's default" for ``start``, ``steps``, ``window``
    and ``frames`` (one frame per step).
    """

    surface: str = "ravine"
    optimizers: tuple[str, ...] = ()
    start: tuple[float, float] | None = None
    steps: int | None = None
    seed: int = 0
    window: tuple[float, float, float, float] | None = None
    view: str = "contour"
    frames: int | None = None
    fps: int = 20
    size: tuple[int, int] = (1280, 720)
    dpi: int | None = None
    theme: str = "light"
    loss_panel: bool = False
    arrows: bool = False
    orbit: bool = False
    title: str | None = None
    caption: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)

    def build_surface(self) -> Surface:
        """The surface, with the window override applied."""
        surface = get_surface(self.surface)
        if self.window is not None:
            surface = dataclasses.replace(surface, window=self.window)
        return surface

    def optimizer_specs(self, surface: Surface) -> list[OptimizerSpec]:
        """Optimizer specs resolved on top of the surface's preset."""
        return resolve_optimizers(self.optimizers, surface.preset.optimizers)


SCENE_KEYS = tuple(f.name for f in fields(Scene) if f.name != "extras")


def _items(value: Any) -> list[Any]:
    """Comma-separated text or a list/tuple as a list; anything else is malformed."""
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError


def _check_coordinates(values: Sequence[float], text: Any, *, what: str) -> None:
    if any(abs(v) > MAX_COORDINATE for v in values):
        raise SpecError(f"{what} {_show(text)}: coordinates must be within ±{MAX_COORDINATE:g}")


def parse_pair(text: str | Sequence[Any], *, what: str) -> tuple[float, float]:
    """Parse ``"X,Y"`` or ``[X, Y]`` into two finite floats."""
    try:
        items = _items(text)
        if len(items) != 2:
            raise ValueError
        x, y = (_finite(v) for v in items)
    except (TypeError, ValueError):
        raise SpecError(f"malformed {what} {_show(text)}: expected X,Y (two numbers)") from None
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
            f"malformed window {_show(text)}: expected XMIN,XMAX,YMIN,YMAX (four numbers)"
        ) from None
    if not (xmin < xmax and ymin < ymax):
        raise SpecError(f"window {_show(text)}: need XMIN < XMAX and YMIN < YMAX")
    _check_coordinates((xmin, xmax, ymin, ymax), text, what="window")
    for lo, hi in ((xmin, xmax), (ymin, ymax)):
        if hi - lo < MIN_WINDOW_FRACTION * max(1.0, abs(lo), abs(hi)):
            raise SpecError(f"window {_show(text)}: too narrow to draw")
    return xmin, xmax, ymin, ymax


def parse_size(text: str | Sequence[Any]) -> tuple[int, int]:
    """Parse ``"WxH"`` (or ``[W, H]``) into a size within 64..7680 pixels."""
    if isinstance(text, str):
        m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", text)
        if not m:
            raise SpecError(f"malformed size {text!r}: expected WxH, e.g. 1280x720")
        w, h = int(m.group(1)), int(m.group(2))
    else:
        if not isinstance(text, (list, tuple)):
            raise SpecError(f"malformed size {_show(text)}: expected WxH, e.g. 1280x720")
        items = list(text)
        if len(items) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in items
        ):
            raise SpecError(f"malformed size {items!r}: expected [W, H] (two integers)")
        w, h = items
    for v in (w, h):
        if not MIN_SIZE_PX <= v <= MAX_SIZE_PX:
            raise SpecError(f"size {w}x{h}: each side must be {MIN_SIZE_PX}..{MAX_SIZE_PX} pixels")
    return w, h


def _finite(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError
    f = float(v.strip()) if isinstance(v, str) else float(v)
    if not math.isfinite(f):
        raise ValueError
    return f


def _show(v: Any) -> str:
    text = repr(list(v)) if isinstance(v, (list, tuple)) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _int_in(key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        raise SpecError(f"{key} must be an integer, got {_show(value)}")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{key} must be an integer, got {_show(value)}") from None
    if not math.isfinite(f) or f != int(f):
        raise SpecError(f"{key} must be an integer, got {_show(value)}")
    n = int(f)
    if not lo <= n <= hi:
        raise SpecError(f"{key} must be {lo}..{hi}, got {n}")
    return n


def _choice(key: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise SpecError(f"{key} must be one of {', '.join(choices)}, got {_show(value)}")
    return str(value)


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SpecError(f"{key} must be a string, got {_show(value)}")
    return value


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{key} must be true or false, got {_show(value)}")
    return value


def coerce(key: str, value: Any) -> Any:
    """Check and convert one scene value (from a flag or a file)."""
    if key == "surface":
        return _text(key, value).strip() or _empty(key)
    if key == "optimizers":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise SpecError("optimizers must be a list of optimizer specs (strings)")
        return tuple(value)
    if key == "start":
        return parse_pair(value, what="start")
    if key == "window":
        return parse_window(value)
    if key == "size":
        return parse_size(value)
    if key == "steps":
        return _int_in(key, value, 1, MAX_STEPS)
    if key == "frames":
        return _int_in(key, value, 1, MAX_FRAMES)
    if key == "seed":
        return _int_in(key, value, 0, 2**63 - 1)
    if key == "fps":
        return _int_in(key, value, 1, 100)
    if key == "dpi":
        return _int_in(key, value, 20, 600)
    if key == "view":
        return _choice(key, value, VIEWS)
    if key == "theme":
        return _choice(key, value, THEMES)
    if key in ("loss_panel", "arrows", "orbit"):
        return _flag(key, value)
    if key in ("title", "caption"):
        return _text(key, value)
    raise SpecError(f"unknown scene key {key!r}; valid keys: {', '.join(SCENE_KEYS)}")


def _empty(key: str) -> str:
    raise SpecError(f"{key} must not be empty")


def scene_from_mapping(data: Mapping[str, Any], *, base: Scene | None = None) -> Scene:
    """Build a :class:`Scene` from a mapping of scene keys, on top of ``base``."""
    values = {}
    for key, value in data.items():
        if key not in SCENE_KEYS:
            raise SpecError(f"unknown scene key {key!r}; valid keys: {', '.join(SCENE_KEYS)}")
        values[key] = coerce(key, value)
    return dataclasses.replace(base or Scene(), **values)


def load_scene_file(path: str | Path, *, allowed_extra: Sequence[str] = ()) -> Scene:
    """Read a TOML scene file.

    Parameters
    ----------
    path
        The ``.toml`` file.
    allowed_extra
        Extra top-level keys the caller handles itself (kept in ``Scene.extras``).

    Raises
    ------
    SpecError
        Unreadable file, invalid TOML, an unknown key (named) or a bad value.
    """
    p = Path(path)
    if "\0" in str(path):
        raise SpecError("config path contains a NUL byte")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read config {str(p)!r}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except RecursionError:
        raise SpecError(f"invalid config {str(p)!r}: nested too deeply") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"invalid config {str(p)!r}: {first}") from None
    extras = {k: data.pop(k) for k in list(data) if k in allowed_extra}
    try:
        scene = scene_from_mapping(data)
    except SpecError as exc:
        raise SpecError(f"config {str(p)!r}: {exc}") from None
    return dataclasses.replace(scene, extras=extras)
