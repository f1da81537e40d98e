"""Tests for visualizer/maths/motion.py: where a ball is between iterates, and the clock
from playback seconds to steps."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.maths.motion import playback_seconds, position_at, step_time


def zigzag() -> np.ndarray:
    """A GD-like path: corners at every iterate, steps of changing length."""
    return np.array([[0.0, 0.0], [1.0, 2.0], [2.0, -1.5], [2.5, 1.0], [2.7, -0.2]])


def test_whole_step_times_are_the_iterates_exactly():
    P = zigzag()
    for k in range(len(P)):
        assert np.array_equal(position_at(P, float(k)), P[k])


def test_in_between_points_lie_on_the_straight_segment_no_corner_is_rounded():
    P = zigzag()
    for t in np.linspace(0, 4, 81):
        k = min(int(t), 3)
        a = t - k
        q = position_at(P, t)
        assert np.allclose(q, (1 - a) * P[k] + a * P[k + 1])
        # on the segment: distances to its ends add up to its length
        d = np.linalg.norm(q - P[k]) + np.linalg.norm(P[k + 1] - q)
        assert d == pytest.approx(np.linalg.norm(P[k + 1] - P[k]))


def test_speed_follows_the_step_a_long_step_moves_the_ball_faster():
    P = zigzag()
    lengths = np.linalg.norm(np.diff(P, axis=0), axis=1)
    dt = 0.01
    for k, length in enumerate(lengths):
        t = k + 0.5
        speed = np.linalg.norm(position_at(P, t + dt) - position_at(P, t)) / dt
        assert speed == pytest.approx(length)  # one step per unit of step-time


def test_times_outside_the_path_clip_to_its_ends_and_arrays_broadcast():
    P = zigzag()
    assert np.array_equal(position_at(P, -1.0), P[0])
    assert np.array_equal(position_at(P, 99.0), P[-1])
    assert position_at(P, np.zeros((3, 2))).shape == (3, 2, 2)
    assert np.array_equal(position_at(P[:1], 0.7), P[0])  # one iterate: it stays


def test_the_clock_runs_at_its_pace_and_slower_in_the_slow_section():
    pace = {"steps_per_second": 10.0, "slow": (10, 19), "slow_steps_per_second": 2.0}
    seconds = np.linspace(0, 12, 241)
    t = step_time(seconds, **pace)
    assert np.all(np.diff(t) > 0)
    rate = np.diff(t) / np.diff(seconds)
    middle = (t[:-1] >= 10) & (t[1:] <= 20)
    assert np.allclose(rate[middle], 2.0) and np.allclose(rate[t[1:] <= 10], 10.0)
    assert np.allclose(playback_seconds(t, **pace), seconds)  # the inverse
    assert float(playback_seconds(20.0, **pace)) == pytest.approx(1.0 + 5.0)


@pytest.mark.parametrize(
    "pace",
    [
        {"steps_per_second": 0},
        {"steps_per_second": 5, "slow": (2, 1), "slow_steps_per_second": 1},
        {"steps_per_second": 5, "slow": (1, 2), "slow_steps_per_second": -1},
    ],
)
def test_bad_paces_are_value_errors(pace):
    with pytest.raises(ValueError):
        step_time(1.0, **pace)
