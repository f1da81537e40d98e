"""Bounds on the work of a recording, checked before it starts (README, "Errors").

Each parameter of a scene is within its own range, yet together they could ask for
minutes of work or gigabytes of memory; these bounds refuse that up front with a
one-line :class:`~surfaces.errors.SpecError` that names the numbers, the bound and
what to lower. :func:`visualizer.maths.recorder.record` checks them, so the Python
API is bounded as the command is. Pure Python: no numpy work, no I/O.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from surfaces.base import Surface
from surfaces.errors import SpecError

__all__ = [
    "MAX_LATTICE_WORK",
    "MAX_NETWORK_STEPS",
    "MAX_NETWORK_VALUES",
    "MAX_SEED",
    "MAX_STEPS",
    "MAX_TRAINING_WORK",
    "check_record_args",
    "check_work",
]

#: Most steps of one run.
MAX_STEPS = 100_000
#: The largest seed (numpy's generators take any size; this is the command's bound).
MAX_SEED = 2**63 - 1
# Bounds on recording a data or network surface (README, "Errors"): minutes and GBs
# otherwise, though each parameter is within its own range.
#: steps × optimizers × samples × parameters (2 for regression and logistic), times the
#: learning rates tried with ``--tune``: about a minute at most.
MAX_TRAINING_WORK = 5 * 10**9
#: steps × optimizers on a network surface (each step costs about half a millisecond).
MAX_NETWORK_STEPS = 20_000
#: steps × optimizers × parameters of a network kept (iterates, gradients, velocities).
MAX_NETWORK_VALUES = 20_000_000
#: grid² × samples × hidden units: the network's loss over the plane's lattice.
MAX_LATTICE_WORK = 10**9


def check_work(surface: Surface, *, runs: int, steps: int, tries: int = 1) -> None:
    """Refuse a recording on a data or network surface that would take minutes or GBs.

    Parameters
    ----------
    surface
        The surface to record on.
    runs, steps
        Optimizers and steps of each.
    tries
        Recordings of the scene a search runs (``--tune``: one per learning rate).

    Raises
    ------
    SpecError
        With the numbers, the bound and what to lower.

    Examples
    --------
    >>> from surfaces import get_surface
    >>> check_work(get_surface("mlp"), runs=3, steps=150)
    >>> check_work(get_surface("mlp:hidden=256,samples=20000"), runs=1, steps=20)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: surface mlp: its loss over the plane's 80x80 lattice is ...
    """
    model, data = surface.model, surface.dataset
    if model is not None:
        problem = model.problem
        samples, params, hidden = problem.n_samples, problem.net.size, problem.net.n_hidden
        lattice = model.grid**2 * samples * hidden
        if lattice > MAX_LATTICE_WORK:
            raise SpecError(
                f"surface {surface.name}: its loss over the plane's {model.grid}x{model.grid}"
                f" lattice is {model.grid}² × {samples} samples × {hidden} hidden units ="
                f" {lattice:.3g} operations; at most {MAX_LATTICE_WORK:.0e}:"
                " use a smaller grid, fewer samples or hidden units"
            )
        if steps * runs > MAX_NETWORK_STEPS:
            raise SpecError(
                f"{steps} steps × {runs} optimizers on a network surface is"
                f" {steps * runs} steps in all; at most {MAX_NETWORK_STEPS}:"
                " use fewer steps or optimizers"
            )
        if steps * runs * params > MAX_NETWORK_VALUES:
            raise SpecError(
                f"{steps} steps × {runs} optimizers × {params} parameters keeps"
                f" {steps * runs * params:.3g} values per array; at most {MAX_NETWORK_VALUES:.0e}:"
                " use fewer steps, optimizers or hidden units"
            )
        tries = 1  # a network is not tuned
    elif data is not None:
        samples, params = data.n_samples, 2
    else:
        return
    work = steps * runs * samples * params * tries
    if work > MAX_TRAINING_WORK:
        tried = f" × {tries} learning rates (--tune)" if tries > 1 else ""
        raise SpecError(
            f"{steps} steps × {runs} optimizers × {samples} samples × {params} parameters"
            f"{tried} is {work:.3g} operations; at most {MAX_TRAINING_WORK:.0e}:"
            " use fewer steps, optimizers or samples"
            + (" or hidden units" if model is not None else "")
        )


def check_record_args(
    surface: object, specs: object, start: object, steps: object, seed: object
) -> None:
    """Check the types and ranges of :func:`~visualizer.maths.recorder.record`'s arguments.

    Raises
    ------
    TypeError
        An argument of the wrong type, named.
    SpecError
        A value out of range, or a recording beyond :func:`check_work`'s bounds.

    Examples
    --------
    >>> check_record_args("bowl", ["gd"], None, None, 0)
    Traceback (most recent call last):
    ...
    TypeError: record() takes a Surface as surface, got str 'bowl': use surfaces.get_surface('bowl')
    """
    if not isinstance(surface, Surface):
        hint = f": use surfaces.get_surface({surface!r})" if isinstance(surface, str) else ""
        raise TypeError(
            f"record() takes a Surface as surface, got {type(surface).__name__}"
            f" {_short(surface)}{hint}"
        )
    if isinstance(specs, (str, bytes)) or not isinstance(specs, Sequence):
        raise TypeError(
            "record() takes a list of optimizers as specs (spec strings, parsed specs or"
            f" Optimizer objects), got {type(specs).__name__} {_short(specs)}"
        )
    if start is not None:
        if isinstance(start, (str, bytes)) or not isinstance(start, Sequence) or len(start) != 2:
            raise TypeError(f"record() takes a pair (x, y) as start, got {_short(start)}")
        for value in start:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"record() takes numbers in start, got {_short(value)}")
            if not math.isfinite(value):
                raise SpecError(f"start must be finite numbers, got {_short(tuple(start))}")
    for name, value, lo, hi in (("steps", steps, 1, MAX_STEPS), ("seed", seed, 0, MAX_SEED)):
        if value is None and name == "steps":
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"record() takes an integer as {name}, got {_short(value)}")
        if not lo <= value <= hi:
            raise SpecError(f"{name} must be in {lo}..{hi}, got {value}")
    runs = len(specs)
    check_work(surface, runs=runs, steps=surface.preset.steps if steps is None else int(steps))


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
