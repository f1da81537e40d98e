"""Where a ball is between two iterates, and how playback time maps to steps.

In-between motion must invent nothing the optimizer did not do. A run is its
iterates ``P[0], P[1], ...``; between iterate ``k`` and ``k + 1`` the ball moves on
the straight segment, at constant speed, in one step's time. So GD's corners
stay corners (no curve is rounded through the iterates), and a ball's speed
follows its steps: a momentum ball speeds up and slows down as its steps grow
and shrink.

Time is counted in *step-time* ``t``: ``t = k + a`` is the fraction ``a`` of the way
from iterate ``k`` to iterate ``k + 1``. Playback maps seconds to step-time at a
pace in steps per second, slower in one section of steps (a scene's key event).

Like manim's rate functions, the position is a small pure function of time; unlike
them, it is linear within a step and eases nothing. Pure numpy: no plotting.

Examples
--------
>>> P = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 4.0]])
>>> position_at(P, 0.5).tolist(), position_at(P, 1.25).tolist(), position_at(P, 2).tolist()
([1.0, 0.0], [2.0, 1.0], [2.0, 4.0])
>>> float(step_time(1.5, steps_per_second=10, slow=(5, 7), slow_steps_per_second=2))
7.0
>>> float(playback_seconds(7.0, steps_per_second=10, slow=(5, 7), slow_steps_per_second=2))
1.5
"""

from __future__ import annotations

import numpy as np

#: How balls move: between iterates (``smooth``), or one frame per step (``steps``).
MOTIONS = ("smooth", "steps")


def position_at(positions: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """The point at step-time ``t`` on the path through ``positions``.

    Parameters
    ----------
    positions
        Iterates, shape ``(n + 1, d)``.
    t
        Step-time(s) from ``0`` to ``n`` (clipped to that range): iterate
        ``floor(t)`` plus the fraction ``t - floor(t)`` of the segment to the next.

    Returns
    -------
    numpy.ndarray
        Shape ``(d,)`` for a scalar ``t``, else ``t.shape + (d,)``. At whole ``t`` the
        iterate itself, bit for bit.

    Examples
    --------
    >>> P = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 1.0]])
    >>> position_at(P, np.array([0.0, 0.5, 1.5, 9.0])).tolist()
    [[0.0, 0.0], [0.5, 0.5], [2.0, 1.0], [3.0, 1.0]]
    """
    P = np.asarray(positions, dtype=float)
    last = len(P) - 1
    tt = np.clip(np.asarray(t, dtype=float), 0.0, float(last))
    k = np.minimum(np.floor(tt).astype(int), max(last - 1, 0))
    a = (tt - k)[..., None]
    if last == 0:
        return np.broadcast_to(P[0], (*tt.shape, P.shape[1])).copy()
    start, end = P[k], P[k + 1]
    out = start + a * (end - start)
    return np.where(a == 0.0, start, np.where(a == 1.0, end, out))


def _knots(
    steps_per_second: float, slow: tuple[int, int] | None, slow_steps_per_second: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the piecewise-linear clock: (seconds, step-time), open-ended at the top."""
    if steps_per_second <= 0:
        raise ValueError(f"steps_per_second must be positive, got {steps_per_second}")
    if slow is None or slow_steps_per_second is None:
        return np.array([0.0, 1.0]), np.array([0.0, steps_per_second])
    if slow_steps_per_second <= 0:
        raise ValueError(f"slow_steps_per_second must be positive, got {slow_steps_per_second}")
    first, last = float(slow[0]), float(slow[1])
    if last < first:
        raise ValueError(f"slow section ends before it starts: {slow}")
    t = np.array([0.0, first, last + 1.0, last + 2.0])  # steps first..last, both included
    rates = np.array([steps_per_second, slow_steps_per_second, steps_per_second])
    seconds = np.concatenate([[0.0], np.cumsum(np.diff(t) / rates)])
    return seconds, t


def step_time(
    seconds: float | np.ndarray,
    *,
    steps_per_second: float,
    slow: tuple[int, int] | None = None,
    slow_steps_per_second: float | None = None,
) -> np.ndarray:
    """Step-time reached after ``seconds`` of motion (the holds not counted).

    The steps from ``slow[0]`` to ``slow[1]``, both included (step-time
    ``slow[0]`` to ``slow[1] + 1``), play at ``slow_steps_per_second``; the others at
    ``steps_per_second``.

    Examples
    --------
    >>> step_time(np.array([0.0, 0.5, 1.0]), steps_per_second=4).tolist()
    [0.0, 2.0, 4.0]
    >>> step_time(np.array([0.5, 1.5, 2.5]), steps_per_second=4, slow=(2, 3),
    ...           slow_steps_per_second=1).tolist()
    [2.0, 3.0, 4.0]
    """
    knots_s, knots_t = _knots(steps_per_second, slow, slow_steps_per_second)
    s = np.maximum(np.asarray(seconds, dtype=float), 0.0)
    inside = np.interp(s, knots_s, knots_t)
    beyond = knots_t[-1] + (s - knots_s[-1]) * steps_per_second
    return np.where(s > knots_s[-1], beyond, inside)


def playback_seconds(
    t: float | np.ndarray,
    *,
    steps_per_second: float,
    slow: tuple[int, int] | None = None,
    slow_steps_per_second: float | None = None,
) -> np.ndarray:
    """Seconds of motion until step-time ``t``: the inverse of :func:`step_time`.

    Examples
    --------
    >>> playback_seconds(np.array([2.0, 3.0, 4.0]), steps_per_second=4, slow=(2, 3),
    ...                  slow_steps_per_second=1).tolist()
    [0.5, 1.5, 2.5]
    """
    knots_s, knots_t = _knots(steps_per_second, slow, slow_steps_per_second)
    tt = np.maximum(np.asarray(t, dtype=float), 0.0)
    inside = np.interp(tt, knots_t, knots_s)
    beyond = knots_s[-1] + (tt - knots_t[-1]) / steps_per_second
    return np.where(tt > knots_t[-1], beyond, inside)
