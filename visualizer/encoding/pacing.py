"""Pacing: which step-time each frame shows, for how long, and which frame is the poster.

A class needs a moment to read a scene before anything moves, and a moment to
read the result before the loop starts again; a key event (momentum rolling
over a ridge in eight steps) needs to play slower than the rest. Pacing is set
in **steps per second**: ``steps_per_second`` for the animation, and
``slow_steps_per_second`` for the steps ``slow = (first, last)``. The frame rate
``fps`` is separate: frames sample the motion every ``1/fps`` seconds.

A :class:`Schedule` gives each frame its *step-time* ``t`` (iterate ``floor(t)``
plus the fraction of the way to the next, :mod:`visualizer.maths.motion`) and its
*repeat*, the whole frame periods it shows: the first frame holds
``hold_first_ms``, the last ``hold_last_ms``. With ``motion="smooth"`` (the
default) every frame period is a new frame and the balls move between iterates;
with ``motion="steps"`` the step-time is rounded down to the iterate, one frame
per step, held while that step is current. Writers turn a repeat into a longer
GIF delay or into repeated video frames, so a GIF and a video of one scene last
equally long.

Pure numpy: no plotting, no files.

Examples
--------
>>> s = frame_schedule(4, fps=10, steps_per_second=5, hold_first_ms=300, hold_last_ms=500)
>>> s.times.tolist(), s.repeats.tolist()
([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], [3, 1, 1, 1, 1, 1, 1, 1, 5])
>>> s = frame_schedule(4, fps=10, steps_per_second=5, hold_first_ms=300, hold_last_ms=500,
...                    motion="steps")
>>> s.times.tolist(), s.repeats.tolist()
([0.0, 1.0, 2.0, 3.0, 4.0], [4, 2, 2, 2, 5])
>>> poster_index(np.array([0, 5, 10, 15]), 7), poster_index(np.array([0, 5, 10, 15]), None)
(2, 3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from visualizer.maths.motion import MOTIONS, playback_seconds, step_time

#: Highest frame rate a GIF plays at as stored (browsers honour delays of 20 ms and more).
MAX_GIF_FPS = 50
#: Default frame rates: a GIF at the most browsers play, a video at a screen's.
GIF_FPS = 50
VIDEO_FPS = 60


@dataclass(frozen=True)
class Schedule:
    """The frames of an animation in time.

    Attributes
    ----------
    times
        Step-time each frame shows (floats from 0 to the step count, increasing).
    repeats
        Frame periods each frame shows (integers >= 1).
    fps
        Frames per second: a period lasts ``1/fps`` s.
    """

    times: np.ndarray
    repeats: np.ndarray
    fps: int

    @property
    def steps(self) -> np.ndarray:
        """The iterate each frame has reached (its readouts show that step)."""
        return np.floor(self.times + 1e-9).astype(int)

    @property
    def starts(self) -> np.ndarray:
        """The period at which each frame starts showing."""
        return np.concatenate([[0], np.cumsum(self.repeats)[:-1]]).astype(int)

    def seconds(self) -> float:
        """How long the animation plays before it loops."""
        return float(self.repeats.sum()) / self.fps

    def decimated(self, stride: int) -> Schedule:
        """The frames a writer showing every ``stride``-th period keeps (:func:`decimate`).

        Each kept frame starts on a multiple of ``stride`` periods, so a writer that
        decimates by ``stride`` keeps every one of them, with the same timing.
        """
        kept, slots = decimate(self.repeats, stride)
        return Schedule(self.times[kept], slots * stride, self.fps)


def periods(ms: int, fps: int) -> int:
    """Whole frame periods (at least one) that last about ``ms`` milliseconds.

    Examples
    --------
    >>> periods(1500, 20), periods(0, 20), periods(3000, 30)
    (30, 1, 90)
    """
    return max(1, round(ms * fps / 1000))


def frame_schedule(
    steps: int,
    *,
    fps: int,
    steps_per_second: float,
    hold_first_ms: int,
    hold_last_ms: int,
    slow: tuple[int, int] | None = None,
    slow_steps_per_second: float | None = None,
    motion: str = "smooth",
    frames: int | None = None,
) -> Schedule:
    """When each frame shows, and what step-time it shows.

    Parameters
    ----------
    steps
        The recording's step count.
    fps
        Frames per second.
    steps_per_second
        Pace of the motion outside the slow section.
    hold_first_ms, hold_last_ms
        How long the first and the last frame hold, in milliseconds (at least one
        period each).
    slow
        Steps ``(first, last)``, both included, to play at ``slow_steps_per_second``;
        ``None`` for none.
    slow_steps_per_second
        Pace of the slow section.
    motion
        ``"smooth"``: a new frame every period, balls between iterates;
        ``"steps"``: one frame per step.
    frames
        A fixed number of frames instead of the pace: evenly spaced in step-time,
        first and last included (with ``motion="steps"``, rounded to whole steps),
        one period each, frames in the slow section ``steps_per_second /
        slow_steps_per_second`` periods each.

    Returns
    -------
    Schedule
    """
    if motion not in MOTIONS:
        raise ValueError(f"motion must be one of {', '.join(MOTIONS)}, got {motion!r}")
    slow_pace = slow_steps_per_second if slow is not None else None
    if frames is not None:
        times = _even_times(steps, frames, motion)
        repeats = np.ones(len(times), dtype=int)
        if slow is not None and slow_pace is not None:
            inside = (times >= slow[0]) & (times <= slow[1] + 1)
            repeats[inside] = max(1, round(steps_per_second / slow_pace))
    else:
        pace = {"steps_per_second": steps_per_second, "slow": slow}
        duration = float(playback_seconds(steps, **pace, slow_steps_per_second=slow_pace))
        moving = max(1, math.ceil(duration * fps - 1e-9))
        times = step_time(np.arange(moving + 1) / fps, **pace, slow_steps_per_second=slow_pace)
        times = np.minimum(times, float(steps))
        times[-1] = float(steps)
        repeats = np.ones(len(times), dtype=int)
        if motion == "steps":
            times = np.floor(times + 1e-9)
            first = np.flatnonzero(np.r_[True, times[1:] != times[:-1]])
            repeats = np.diff(np.r_[first, len(times)])
            times = times[first]
        if steps == 0:
            times, repeats = times[:1], repeats[:1]
    repeats = repeats.astype(int)
    if len(repeats) == 1:
        repeats[0] = max(periods(hold_first_ms, fps), periods(hold_last_ms, fps))
    else:
        repeats[0] += periods(hold_first_ms, fps) - 1
        repeats[-1] = max(repeats[-1], periods(hold_last_ms, fps))
    return Schedule(times.astype(float), repeats, fps)


def schedule_for(steps: int, options: Any, *, fps: int | None = None) -> Schedule:
    """The schedule of a render with ``options`` (a
    :class:`~visualizer.scene.options.RenderOptions`) of a recording of ``steps`` steps,
    at ``fps`` (by default ``options.fps``, or :data:`VIDEO_FPS`)."""
    if fps is None:
        fps = options.fps if options.fps is not None else VIDEO_FPS
    return frame_schedule(
        steps,
        fps=fps,
        steps_per_second=options.steps_per_second,
        hold_first_ms=options.hold_first_ms,
        hold_last_ms=options.hold_last_ms,
        slow=options.slow,
        slow_steps_per_second=options.slow_steps_per_second,
        motion=options.motion,
        frames=options.frames,
    )


def _even_times(steps: int, frames: int, motion: str) -> np.ndarray:
    """``frames`` step-times from 0 to ``steps``; one frame is the last step."""
    if frames == 1:
        return np.array([float(steps)])
    times = np.linspace(0.0, float(steps), frames)
    return np.round(times) if motion == "steps" else times


def decimate(repeats: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Which frames show at every ``stride``-th period, and for how many of those slots.

    Frame ``i`` shows from period ``s`` for ``repeats[i]`` periods; a writer that
    samples periods ``0, stride, 2·stride, ...`` (a GIF at a fraction of the frame
    rate) shows it in every slot whose period falls in ``[s, s + repeats[i])``.

    Returns
    -------
    tuple of numpy.ndarray
        The indices of the frames kept, and the slots each shows (>= 1).

    Examples
    --------
    >>> kept, slots = decimate(np.array([3, 1, 1, 1, 4]), 2)
    >>> kept.tolist(), slots.tolist()
    ([0, 2, 4], [2, 1, 2])
    """
    repeats = np.asarray(repeats, dtype=int)
    ends = np.cumsum(repeats)
    starts = ends - repeats
    slots = -(-ends // stride) - -(-starts // stride)
    kept = np.flatnonzero(slots > 0)
    return kept, slots[kept]


def merge_schedules(schedules: list[Schedule]) -> tuple[np.ndarray, np.ndarray]:
    """Frames that serve several schedules at once (a GIF at 50 fps and a video at 60).

    Returns
    -------
    tuple of numpy.ndarray
        Every step-time any schedule shows, in order, and for each a row of
        repeats, one per schedule: the schedule's repeat of that frame, or 0 if
        the schedule does not show it. Rendered once, each frame goes to the files
        whose repeat is not 0.

    Examples
    --------
    >>> a = Schedule(np.array([0.0, 0.5, 1.0]), np.array([2, 1, 3]), 2)
    >>> b = Schedule(np.array([0.0, 1 / 3, 2 / 3, 1.0]), np.array([3, 1, 1, 4]), 3)
    >>> times, repeats = merge_schedules([a, b])
    >>> np.round(times, 3).tolist(), repeats.tolist()
    ([0.0, 0.333, 0.5, 0.667, 1.0], [[2, 3], [0, 1], [1, 0], [0, 1], [3, 4]])
    """
    times = np.unique(np.concatenate([s.times for s in schedules]))
    repeats = np.zeros((len(times), len(schedules)), dtype=int)
    for column, schedule in enumerate(schedules):
        rows = np.searchsorted(times, schedule.times)
        repeats[rows, column] = schedule.repeats
    return times, repeats


def gif_stride(fps: int) -> int:
    """Every how many frame periods a GIF keeps one, so that it plays at most 50 fps.

    Examples
    --------
    >>> gif_stride(20), gif_stride(50), gif_stride(60), gif_stride(100)
    (1, 1, 2, 2)
    """
    return max(1, -(-int(fps) // MAX_GIF_FPS))


def poster_index(times: np.ndarray, poster_step: int | None) -> int:
    """Index of the frame the poster shows: the first showing ``poster_step`` or later.

    ``None`` (or a step past the end) gives the last frame.
    """
    times = np.asarray(times, dtype=float)
    if poster_step is None:
        return len(times) - 1
    return min(int(np.searchsorted(times, poster_step - 1e-9)), len(times) - 1)


def frames_shown(steps: int, options: Any) -> int:
    """Frame periods a render of ``steps`` steps shows (a video's, the most): every
    frame, each held as long as its repeat says (``options``: a scene's or a render's).

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> o = N(frames=None, fps=None, hold_first_ms=1000, hold_last_ms=3000, slow=None,
    ...       slow_steps_per_second=2.5, steps_per_second=10, motion="smooth")
    >>> frames_shown(120, o)  # 12 s of motion at 60 fps, the first held 1 s, the last 3 s
    959
    """
    return int(schedule_for(steps, options).repeats.sum())
