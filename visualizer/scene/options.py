"""The option table: every option of a scene, declared once.

An option is a dataclass field made by :func:`option`: its default, help, flag,
metavar and the :class:`Kind` that checks a value (its type and range) and
writes it back as command-line text. Everything else reads these fields:

- the scene file's keys and their checks (:func:`visualizer.scene.scene.scene_from_mapping`),
- ``lossviz``'s flags (:func:`visualizer.frontends.cli.build_parser`),
- :func:`visualizer.animate`'s keywords and the options part of its docstring,
- the ``lossviz render`` commands the gallery prints (:func:`command_args`).

Adding an option is one field (in :class:`RenderOptions` for how to draw, in
:class:`visualizer.scene.scene.RecordOptions` for what to record) plus its use.

This module owns the table and the kinds (integers in a range, choices...); the
value parsers (pairs, windows, sizes) are :mod:`visualizer.scene._values`. It does not
import matplotlib, so the command line checks its input before anything heavy is loaded.

Examples
--------
>>> [o.name for o in options(RenderOptions)][:4]
['view', 'frames', 'fps', 'motion']
>>> opt = option_named(RenderOptions, "size")
>>> opt.flag, opt.parse((640, 360)), opt.to_args((640, 360))
('--size', (640, 360), ['--size', '640x360'])
>>> option_named(RenderOptions, "fps").parse(0)
Traceback (most recent call last):
...
surfaces.errors.SpecError: fps must be 1..100, got 0
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from surfaces.errors import SpecError, did_you_mean
from surfaces.params import check_plain_text, parse_int, show
from visualizer.drawing.theme import THEMES
from visualizer.maths.bounds import MAX_STEPS
from visualizer.maths.motion import MOTIONS
from visualizer.scene._values import (
    MAX_COORDINATE,
    MAX_FRAMES,
    MAX_SIZE_PX,
    MIN_SIZE_PX,
    _finite,
    _is_int,
    _numbers,
    parse_pair,
    parse_size,
    parse_step_range,
    parse_window,
)

if TYPE_CHECKING:
    from surfaces.base import Surface

#: The views a scene can be drawn in.
VIEWS = ("contour", "surface", "both", "grid")
#: Other names of views: the README calls the surface view "3D".
VIEW_ALIASES = {"3d": "surface", "3D": "surface"}
#: Below this dpi, small text (tick labels, nested formulas) rounds to zero pixels.
MIN_DPI = 20.0
#: Longest title and caption, in characters (labels: ``visualizer.maths.specs.MAX_LABEL_CHARS``).
MAX_TITLE_CHARS = 200
MAX_CAPTION_CHARS = 2000
#: Longest hold of the first or the last frame, in milliseconds.
MAX_HOLD_MS = 60_000
#: Most optimizers in one scene: each has a colour, a legend row and a readout.
MAX_OPTIMIZERS = 12


# --- kinds of values ---------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one kind of option value is checked and written back as flag text.

    Attributes
    ----------
    check
        ``check(key, value)`` returns the checked value from a scene file or a
        keyword argument (native types), or raises a one-line :class:`SpecError`.
    check_text
        The same for the text of a command-line flag; ``None`` for ``check``.
    show
        The value as the text of its flag.
    joined
        Print as ``--flag=TEXT`` (for values that may start with ``-``).
    type_doc
        The Python type, for docstrings.
    flag_action
        ``"store_true"`` for on/off flags, ``"append"`` for repeatable ones.
    choices
        The values it accepts, when they are a few names (a menu); else ``None``.
    low, high
        The smallest and largest number it accepts (each number of a pair or a
        window, each side of a size); ``None`` where there is no bound.
    log
        A slider for it should be logarithmic: its values span orders of magnitude.

    The last four are what a front end needs to build a control (a menu, a slider,
    a check box) from the table without declaring the option again; see
    :attr:`widget`.
    """

    check: Callable[[str, Any], Any]
    show: Callable[[Any], str] = str
    check_text: Callable[[str, str], Any] | None = None
    joined: bool = False
    type_doc: str = "str"
    flag_action: str = "store"
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False

    @property
    def widget(self) -> str:
        """The control that edits such a value: ``"menu"`` (of :attr:`choices`),
        ``"checkbox"``, ``"slider"`` (between :attr:`low` and :attr:`high`, one number),
        ``"numbers"`` (several, each within the bounds) or ``"text"``.

        Examples
        --------
        >>> integer(1, 100).widget, choice(("a", "b")).widget, FLAG.widget, SIZE.widget
        ('slider', 'menu', 'checkbox', 'numbers')
        """
        if self.choices is not None:
            return "menu"
        if self.flag_action == "store_true":
            return "checkbox"
        if self.low is not None and self.high is not None:
            return "slider" if self.type_doc in ("int", "float") else "numbers"
        return "text"


def integer(lo: int, hi: int, *, log: bool = False) -> Kind:
    """An integer in ``lo..hi``: a TOML integer, or flag text such as ``50``.

    ``log``: a slider for it should be logarithmic (``lo`` must then be positive).

    Examples
    --------
    >>> kind = integer(1, 100)
    >>> kind.low, kind.high, kind.check("fps", 100)
    (1, 100, 100)
    """
    if log and lo <= 0:
        raise ValueError(f"a logarithmic range must start above 0, got {lo}")

    def check(key: str, value: Any) -> int:
        if not _is_int(value):
            raise SpecError(f"{key} must be an integer, got {show(value)}")
        return parse_int(key, int(value), lo=lo, hi=hi)

    return Kind(
        check=check,
        check_text=lambda key, text: parse_int(key, text, lo=lo, hi=hi),
        type_doc="int",
        low=lo,
        high=hi,
        log=log,
    )


def choice(choices: Sequence[str], aliases: Mapping[str, str] | None = None) -> Kind:
    """One of ``choices`` (or an alias of one); a near miss gets a suggestion.

    Examples
    --------
    >>> choice(("light", "dark")).choices
    ('light', 'dark')
    >>> choice(("surface",), {"3d": "surface"}).check("view", "3d")
    'surface'
    """
    choices = tuple(choices)
    aliases = dict(aliases or {})

    def check(key: str, value: Any) -> str:
        if isinstance(value, str) and value in aliases:
            return aliases[value]
        if value not in choices:
            hint = did_you_mean(value, [*choices, *aliases]) if isinstance(value, str) else ""
            raise SpecError(f"{key} must be one of {', '.join(choices)}, got {show(value)}{hint}")
        return str(value)

    return Kind(check=check, type_doc="str", choices=choices)


def number(lo: float, hi: float) -> Kind:
    """A number in ``lo..hi``: a TOML integer or float, or flag text such as ``2.5``."""

    def check(key: str, value: Any) -> float:
        try:
            if isinstance(value, str) and not value.strip():
                raise ValueError
            f = _finite(value)
        except (TypeError, ValueError):
            raise SpecError(f"{key} must be a number, got {show(value)}") from None
        if not lo <= f <= hi:
            raise SpecError(f"{key} must be {lo:g}..{hi:g}, got {show(value)}")
        return f

    return Kind(
        check=check,
        check_text=check,
        show=lambda v: f"{v:g}",
        type_doc="float",
        low=lo,
        high=hi,
        log=True,
    )


def text(max_chars: int, *, lines: bool = False) -> Kind:
    """Plain text of at most ``max_chars`` characters (``lines``: line breaks allowed)."""
    return Kind(check=lambda key, v: check_plain_text(key, v, max_chars=max_chars, lines=lines))


def _name(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SpecError(f"{key} must be a string, got {show(value)}")
    text = value.strip()
    if not text:
        raise SpecError(f"{key} must not be empty")
    return text


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{key} must be true or false, got {show(value)}")
    return value


def _specs(key: str, value: Any) -> tuple[Any, ...]:
    from visualizer.maths.optimizers import Optimizer
    from visualizer.maths.specs import OptimizerSpec

    one = (str, Optimizer, OptimizerSpec)
    if isinstance(value, one):  # an Optimizer is a tuple too: test it first
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, one) for v in value):
        raise SpecError(f"{key} must be a list of optimizer specs (strings) or Optimizer objects")
    if len(value) > MAX_OPTIMIZERS:
        raise SpecError(f"{key}: {len(value)} optimizers; at most {MAX_OPTIMIZERS} in one scene")
    return tuple(value)


TITLE = text(MAX_TITLE_CHARS)
CAPTION = text(MAX_CAPTION_CHARS, lines=True)
NAME = Kind(check=_name)


def _surface(key: str, value: Any) -> Any:
    from surfaces.base import Surface

    if isinstance(value, Surface) or (callable(value) and not isinstance(value, str)):
        return value  # from animate(): a Surface, or your own function f(x, y)
    return _name(key, value)


SURFACE = Kind(check=_surface, type_doc="str, Surface or callable f(x, y)")
FLAG = Kind(check=_flag, type_doc="bool", flag_action="store_true")
SPECS = Kind(check=_specs, type_doc="sequence of str or Optimizer", flag_action="append")
PAIR = Kind(
    check=lambda key, v: parse_pair(v, what=key),
    show=_numbers,
    joined=True,
    type_doc="(float, float)",
    low=-MAX_COORDINATE,
    high=MAX_COORDINATE,
)
WINDOW = Kind(
    check=lambda key, v: parse_window(v),
    show=_numbers,
    joined=True,
    type_doc="(float, float, float, float)",
    low=-MAX_COORDINATE,
    high=MAX_COORDINATE,
)
STEP_RANGE = Kind(
    check=lambda key, v: parse_step_range(v, what=key),
    check_text=lambda key, v: parse_step_range(v, what=key),
    show=lambda v: f"{v[0]},{v[1]}",
    type_doc="(int, int)",
    low=0,
    high=MAX_STEPS,
)
SIZE = Kind(
    check=lambda key, v: parse_size(v),
    show=lambda v: f"{v[0]}x{v[1]}",
    type_doc="(int, int)",
    low=MIN_SIZE_PX,
    high=MAX_SIZE_PX,
    log=True,
)


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option: what :func:`option` declared, plus the field's name and default.

    Attributes
    ----------
    name
        The scene key and keyword argument (``loss_panel``).
    kind
        How values are checked and written back.
    help
        One line for ``--help`` and docstrings.
    flag
        The long command-line flag (``--loss-panel``); ``None`` for a scene-file key
        without a flag.
    short
        A short flag (``-s``), or ``None``.
    metavar
        The placeholder in ``--help``.
    default
        The default value.
    """

    kind: Kind
    help: str
    flag: str | None = None
    short: str | None = None
    metavar: str | None = None
    name: str = ""
    default: Any = None

    def parse(self, value: Any, *, text: bool = False) -> Any:
        """Check a value from a scene file or a keyword (``text=True``: a flag's text)."""
        if text and isinstance(value, str) and self.kind.check_text is not None:
            return self.kind.check_text(self.name, value)
        return self.kind.check(self.name, value)

    def to_args(self, value: Any) -> list[str]:
        """The command-line arguments that set ``value`` (``[]`` for an unset flag)."""
        if self.flag is None or value is None:
            return []
        flag = self.short or self.flag
        if self.kind.flag_action == "store_true":
            return [flag] if value else []
        if self.kind.flag_action == "append":
            return [a for item in value for a in (flag, item)]
        text = self.kind.show(value)
        return [f"{flag}={text}"] if self.kind.joined else [flag, text]


def option(
    default: Any,
    kind: Kind,
    help: str,
    *,
    flag: str | bool = True,
    short: str | None = None,
    metavar: str | None = None,
) -> Any:
    """Declare an option as a dataclass field.

    Parameters
    ----------
    default
        The default value (immutable).
    kind
        How values are checked: :func:`integer`, :func:`choice`, :func:`text`, ``FLAG``...
    help
        One line of help, lower case, no final period.
    flag
        ``True`` for ``--name-with-dashes``, a string for another flag, ``False``
        for a scene-file key without a flag.
    short, metavar
        A short flag and the placeholder in ``--help``.
    """
    return field(
        default=default,
        metadata={"option": Option(kind, help, flag, short, metavar)},  # type: ignore[arg-type]
    )


@functools.cache
def options(cls: type) -> tuple[Option, ...]:
    """Every option declared on the dataclass ``cls``, in declaration order (computed once)."""
    out = []
    for f in dataclasses.fields(cls):
        opt = f.metadata.get("option")
        if opt is None:
            continue
        flag = opt.flag
        if flag is True:
            flag = "--" + f.name.replace("_", "-")
        elif flag is False:
            flag = None
        out.append(dataclasses.replace(opt, name=f.name, default=f.default, flag=flag))
    return tuple(out)


def option_named(cls: type, name: str) -> Option:
    """The option ``name`` of ``cls``."""
    for opt in options(cls):
        if opt.name == name:
            return opt
    raise KeyError(name)


def command_args(values: Any, *, always: Sequence[str] = ()) -> list[str]:
    """Flags that reproduce ``values`` (a dataclass of options): those not at their default.

    Examples
    --------
    >>> command_args(RenderOptions(view="surface", loss_panel=True, size=(640, 360)))
    ['--view', 'surface', '--size', '640x360', '--loss-panel']
    """
    args: list[str] = []
    for opt in options(type(values)):
        value = getattr(values, opt.name)
        if opt.name in always or value != opt.default:
            args += opt.to_args(value)
    return args


def options_doc(cls: type, names: Sequence[str] | None = None) -> str:
    """NumPy-style parameter entries for the options ``names`` (default: all) of ``cls``."""
    lines = []
    for opt in options(cls):
        if names is not None and opt.name not in names:
            continue
        default = "optional" if opt.default is None else f"default {opt.default!r}"
        lines.append(f"{opt.name} : {opt.kind.type_doc}, {default}")
        lines.append(f"    {opt.help[:1].upper()}{opt.help[1:]}.")
    return "\n".join(lines)


# --- how to draw -------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderOptions:
    """How to draw a recording.

    The fields made by :func:`option` are the drawing options of a scene file, of
    ``lossviz render`` and of :func:`visualizer.animate`; see their ``help``.
    The others are for callers of the renderer.

    Attributes
    ----------
    elev, azim
        Camera of the 3D view, in degrees; ``None`` for one chosen for the paths.
    """

    view: str = option(
        "contour",
        choice(VIEWS, VIEW_ALIASES),
        "contour (default), surface (3D; also '3d'), both, or grid (one panel per optimizer)",
        metavar="VIEW",
    )
    frames: int | None = option(
        None,
        integer(1, MAX_FRAMES, log=True),
        "number of frames, evenly spaced in steps (default: from the pace and --fps)",
        metavar="N",
    )
    fps: int | None = option(
        None,
        integer(1, 100),
        "frames per second, 1..100 (default: 50 for a GIF, 60 for a video;"
        " a GIF keeps every other frame above 50)",
        metavar="N",
    )
    motion: str = option(
        "smooth",
        choice(MOTIONS),
        "smooth (default: balls move between iterates) or steps (one frame per step)",
        metavar="MOTION",
    )
    steps_per_second: float = option(
        10.0,
        number(0.05, 1000.0),
        "pace of the animation in optimizer steps per second (default 10)",
        metavar="N",
    )
    size: tuple[int, int] = option(
        (1280, 720), SIZE, "frame size in pixels (default 1280x720)", metavar="WxH"
    )
    dpi: int | None = option(
        None,
        integer(20, 600, log=True),
        "dots per inch: scales fonts and lines",
        metavar="N",
    )
    theme: str = option("light", choice(tuple(THEMES)), "light (default) or dark", metavar="THEME")
    loss_panel: bool = option(False, FLAG, "add a loss-versus-step panel")
    arrows: bool = option(
        False, FLAG, "draw the negative gradient (and momentum's velocity) at each ball"
    )
    orbit: bool = option(
        False, FLAG, "turn the 3D camera during the animation (implies --view surface)"
    )
    field: bool = option(
        False, FLAG, "draw the negative gradient field (at right angles to the contours)"
    )
    labels: bool = option(False, FLAG, "write each optimizer's name next to its ball")
    title: str | None = option(None, TITLE, "title (default: the surface's)", metavar="TEXT")
    headline: str | None = option(
        None,
        TITLE,
        "the takeaway, drawn as the frame's title above the surface's name and formula",
        metavar="TEXT",
    )
    hold_first_ms: int = option(
        1000,
        integer(0, MAX_HOLD_MS),
        "how long the first frame holds, in ms (default 1000)",
        metavar="MS",
    )
    hold_last_ms: int = option(
        3000,
        integer(0, MAX_HOLD_MS),
        "how long the last frame holds before the loop, in ms (default 3000)",
        metavar="MS",
    )
    slow: tuple[int, int] | None = option(
        None,
        STEP_RANGE,
        "steps FIRST,LAST to play slower (the scene's key event)",
        metavar="FIRST,LAST",
    )
    slow_steps_per_second: float = option(
        2.5,
        number(0.05, 1000.0),
        "pace of the slow steps, in steps per second (default 2.5)",
        metavar="N",
    )
    poster_step: int | None = option(
        None,
        integer(0, MAX_STEPS),
        "step the poster PNG shows (default: the last)",
        metavar="STEP",
    )
    elev: float | None = None
    azim: float | None = None

    def __post_init__(self) -> None:
        # an orbit turns the 3D camera: it implies the 3D view (the default is contour)
        if self.orbit and self.view == "contour":
            object.__setattr__(self, "view", "surface")

    def camera(self, surface: Surface) -> tuple[float, float]:
        """The 3D camera ``(elev, azim)`` in use: given, or the surface's default."""
        elev, azim = surface.camera
        return (
            self.elev if self.elev is not None else elev,
            self.azim if self.azim is not None else azim,
        )

    def resolved_dpi(self) -> float:
        """The dpi in use: given, or scaled with the frame size."""
        if self.dpi is not None:
            return float(self.dpi)
        w, h = self.size
        return max(MIN_DPI, 100.0 * min(w / 1280.0, h / 720.0))
