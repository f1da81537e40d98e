"""Pacing: how long each frame shows, and which frame is the poster.

A class needs a moment to read a scene before anything moves, and a moment to
read the result before the loop starts again; a key event (momentum rolling
over a ridge in eight steps) needs more than eight frame periods. So every
frame shows for a whole number of frame periods (its *repeat*): the first
frame holds ``hold_first_ms``, the last ``hold_last_ms``, and frames whose step
lies in ``slow = (first, last)`` show ``slowdown`` periods each. Writers turn a
repeat into a longer GIF delay or into repeated video frames, so a GIF and a
video of one scene last equally long.

Pure numpy: no plotting, no files.

Examples
--------
>>> steps = np.arange(6)
>>> frame_repeats(steps, fps=20, hold_first_ms=100, hold_last_ms=200).tolist()
[2, 1, 1, 1, 1, 4]
>>> frame_repeats(steps, fps=20, hold_first_ms=0, hold_last_ms=0, slow=(2, 3), slowdown=3).tolist()
[1, 1, 3, 3, 1, 1]
>>> poster_index(np.array([0, 5, 10, 15]), 7), poster_index(np.array([0, 5, 10, 15]), None)
(2, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def frame_steps(steps: int, frames: int | None) -> np.ndarray:
    """Step shown by each frame: evenly spaced, first and last always included.

    Examples
    --------
    >>> frame_steps(10, 4).tolist()
    [0, 3, 7, 10]
    >>> frame_steps(3, None).tolist()
    [0, 1, 2, 3]
    """
    if frames == 1:
        return np.array([steps])
    n = steps + 1 if frames is None else frames
    return np.round(np.linspace(0, steps, n)).astype(int)


def periods(ms: int, fps: int) -> int:
    """Whole frame periods (at least one) that last about ``ms`` milliseconds.

    Examples
    --------
    >>> periods(1500, 20), periods(0, 20), periods(3000, 30)
    (30, 1, 90)
    """
    return max(1, round(ms * fps / 1000))


def frame_repeats(
    steps: np.ndarray,
    *,
    fps: int,
    hold_first_ms: int,
    hold_last_ms: int,
    slow: tuple[int, int] | None = None,
    slowdown: int = 1,
) -> np.ndarray:
    """How many frame periods each frame shows.

    Parameters
    ----------
    steps
        The step each frame shows, in order (:func:`visualizer.drawing.render.frame_steps`).
    fps
        Frames per second.
    hold_first_ms, hold_last_ms
        How long the first and the last frame hold, in milliseconds (at least one
        period each).
    slow
        Steps ``(first, last)``, both included, to play ``slowdown`` times slower;
        ``None`` for none.
    slowdown
        How many periods each frame of the slow steps shows.

    Returns
    -------
    numpy.ndarray
        One integer ``>= 1`` per frame.
    """
    steps = np.asarray(steps)
    repeats = np.ones(len(steps), dtype=int)
    if slow is not None:
        first, last = slow
        repeats[(steps >= first) & (steps <= last)] = max(1, int(slowdown))
    if len(repeats):
        repeats[0] = max(repeats[0], periods(hold_first_ms, fps))
        repeats[-1] = max(repeats[-1], periods(hold_last_ms, fps))
    return repeats


def poster_index(steps: np.ndarray, poster_step: int | None) -> int:
    """Index of the frame the poster shows: the first showing ``poster_step`` or later.

    ``None`` (or a step past the end) gives the last frame.
    """
    steps = np.asarray(steps)
    if poster_step is None:
        return len(steps) - 1
    return min(int(np.searchsorted(steps, poster_step)), len(steps) - 1)


def frames_shown(steps: int, options: Any) -> int:
    """Frame periods a render of ``steps`` steps shows: every frame, each held as long as
    :func:`frame_repeats` says (``options``: a scene's or a render's options).

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> o = N(frames=None, fps=20, hold_first_ms=1500, hold_last_ms=3000, slow=None, slowdown=4)
    >>> frames_shown(120, o)  # 121 frames, the first held 30 periods, the last 60
    209
    """
    return int(
        frame_repeats(
            frame_steps(steps, options.frames),
            fps=options.fps,
            hold_first_ms=options.hold_first_ms,
            hold_last_ms=options.hold_last_ms,
            slow=options.slow,
            slowdown=options.slowdown,
        ).sum()
    )
