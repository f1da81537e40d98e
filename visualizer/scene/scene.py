"""Scenes: every option of a ``trace`` or ``render``, from flags and TOML files.

This module owns :class:`Scene` (what to record, :class:`RecordOptions`, plus how
to draw it, :class:`~visualizer.scene.options.RenderOptions`), reading and checking
scene files, and turning a scene into a recording (:meth:`RecordOptions.record`).
Pure numpy: no plotting, no files written.

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
import errno
import os
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surfaces import Surface, get_surface
from surfaces.errors import SpecError, did_you_mean
from surfaces.params import show_path
from visualizer.maths.bounds import check_work
from visualizer.maths.recorder import PACES, Recording, by_evaluations, record
from visualizer.maths.specs import OptimizerSpec, resolve_optimizers
from visualizer.scene.options import (
    CAPTION,
    FLAG,
    MAX_STEPS,
    PAIR,
    SPECS,
    SURFACE,
    WINDOW,
    RenderOptions,
    choice,
    integer,
    option,
    options,
)

#: Largest scene file, in bytes: scene files are a few hundred bytes.
MAX_SCENE_BYTES = 1 << 20

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class RecordOptions:
    """What to record: the surface, the optimizers, where they start and for how long.

    ``None`` means "the surface's default" for ``start``, ``steps`` and ``window``.
    """

    surface: str | Surface | Callable[..., Any] = option(  # noqa: RUF009
        "ravine",
        SURFACE,
        "surface name, NAME:key=value,... or an expression in x, y",
        short="-s",
        metavar="SURFACE",
    )
    optimizers: tuple[str, ...] = option(
        (),
        SPECS,
        "optimizer spec NAME[:key=value,...]; repeat for several (default: the preset)",
        flag="--optimizer",
        short="-O",
        metavar="SPEC",
    )
    start: tuple[float, float] | None = option(
        None, PAIR, "start point (default: the surface's)", metavar="X,Y"
    )
    steps: int | None = option(
        None, integer(1, MAX_STEPS, log=True), "number of optimizer steps", metavar="N"
    )
    seed: int = option(
        0, integer(0, 2**63 - 1), "seed for stochastic gradients (default 0)", metavar="N"
    )
    window: tuple[float, float, float, float] | None = option(
        None, WINDOW, "view window", metavar="XMIN,XMAX,YMIN,YMAX"
    )
    tune: bool = option(
        False,
        FLAG,
        "choose each optimizer's lr by one search: the lowest final loss over a log grid",
    )
    pace: str = option(
        "iterations",
        choice(PACES),
        "what a step is: iterations (default: each optimizer's iteration) or "
        "evaluations (one evaluation of f, its gradient or Hessian: equal cost)",
        metavar="PACE",
    )

    def build_surface(self) -> Surface:
        """The surface, with the window override applied."""
        if isinstance(self.surface, Surface):
            surface = self.surface
        elif callable(self.surface):
            from surfaces.expression import function_surface

            return function_surface(self.surface, window=self.window, start=self.start)
        else:
            surface = get_surface(self.surface)
        if self.window is not None:
            surface = surface.replace(window=self.window)  # the preset stays lazy
        return surface

    def optimizer_specs(self, surface: Surface) -> list[OptimizerSpec]:
        """Optimizer specs resolved on top of the surface's preset."""
        return resolve_optimizers(self.optimizers, surface.preset.optimizers)

    def record(self) -> Recording:
        """Build the surface and the optimizers and record the runs."""
        surface = self.build_surface()
        specs = self.optimizer_specs(surface)
        steps = surface.preset.steps if self.steps is None else self.steps
        if self.tune:
            from visualizer.maths.tune import GRID, tune

            check_work(surface, runs=len(specs), steps=steps, tries=len(GRID))

            specs = tune(surface, specs, start=self.start, steps=self.steps, seed=self.seed)
        rec = record(surface, specs, start=self.start, steps=self.steps, seed=self.seed)
        return by_evaluations(rec) if self.pace == "evaluations" else rec


@dataclass(frozen=True)
class Scene(RenderOptions, RecordOptions):
    """Everything that defines one animation (or one trace): what to record, how to
    draw it, and a caption for the gallery.

    Its options are those of :class:`RecordOptions` and
    :class:`~visualizer.scene.options.RenderOptions`, then ``caption``.
    """

    caption: str = option("", CAPTION, "a caption under the animation in the gallery", flag=False)
    extras: Mapping[str, Any] = field(default_factory=dict)

    def render_options(self) -> RenderOptions:
        """The drawing part of the scene."""
        names = [f.name for f in dataclasses.fields(RenderOptions)]
        return RenderOptions(**{name: getattr(self, name) for name in names})


#: The scene file's keys, in the order of the table.
SCENE_KEYS = tuple(o.name for o in options(Scene))
_OPTIONS = {o.name: o for o in options(Scene)}


def coerce(key: str, value: Any, *, text: bool = False) -> Any:
    """Check and convert one scene value (from a file, a keyword or, ``text=True``, a flag)."""
    opt = _OPTIONS.get(key)
    if opt is None:
        raise SpecError(
            f"unknown scene key {key!r}{did_you_mean(key, SCENE_KEYS)}; "
            f"valid keys: {', '.join(SCENE_KEYS)}"
        )
    return opt.parse(value, text=text)


def scene_from_mapping(
    data: Mapping[str, Any], *, base: Scene | None = None, text: bool = False
) -> Scene:
    """Build a :class:`Scene` from a mapping of scene keys, on top of ``base``.

    ``text=True`` for the text of command-line flags (``"50"`` is then a number).
    """
    values = {key: coerce(key, value, text=text) for key, value in data.items()}
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
    raw = _read_scene_bytes(p)
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark is allowed
    except RecursionError:
        raise SpecError(f"invalid config {show_path(p)}: nested too deeply") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"invalid config {show_path(p)}: {first}") from None
    extras = {k: data.pop(k) for k in list(data) if k in allowed_extra}
    try:
        scene = scene_from_mapping(data)
    except SpecError as exc:
        raise SpecError(f"config {show_path(p)}: {exc}") from None
    return dataclasses.replace(scene, extras=extras)


def _read_scene_bytes(path: Path) -> bytes:
    """The bytes of a scene file: a regular file of at most :data:`MAX_SCENE_BYTES`.

    Opened without blocking, so a FIFO is refused rather than waited on; a device
    such as ``/dev/zero`` is refused rather than read until memory runs out.
    """
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SpecError(f"cannot read config {show_path(path)}: {exc.strerror or exc}") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        if stat.S_ISDIR(info.st_mode):
            raise SpecError(f"cannot read config {show_path(path)}: {os.strerror(errno.EISDIR)}")
        raise SpecError(f"config {show_path(path)} is not a regular file")
    with os.fdopen(handle, "rb") as file:
        if info.st_size > MAX_SCENE_BYTES:
            raise SpecError(
                f"config {show_path(path)} is {info.st_size} bytes; at most {MAX_SCENE_BYTES}"
            )
        try:
            raw = file.read(MAX_SCENE_BYTES + 1)  # it may have grown since
        except OSError as exc:
            raise SpecError(
                f"cannot read config {show_path(path)}: {exc.strerror or exc}"
            ) from None
    if len(raw) > MAX_SCENE_BYTES:
        raise SpecError(f"config {show_path(path)} is larger than {MAX_SCENE_BYTES} bytes")
    return raw
