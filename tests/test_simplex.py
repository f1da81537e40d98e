"""Tests for visualizer/drawing/simplex.py: Nelder–Mead's triangles in both views."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from surfaces import get_surface
from visualizer.drawing.render import FrameRenderer, RenderOptions
from visualizer.drawing.simplex import FADE_STEPS, fade_alphas, simplex_row
from visualizer.maths.recorder import record

SIZE = (320, 180)


def with_simplices(steps: int = 6):
    """A bowl run given big triangles that shrink towards its path (no scipy needed)."""
    rec = record(get_surface("bowl"), ["gd:lr=0.2"], start=(-3.0, 2.0), steps=steps)
    run = rec.runs[0]
    corners = np.array([[0.0, 0.0], [2.5, 0.4], [0.6, -2.2]])
    scale = np.linspace(1.0, 0.3, steps + 1)[:, None, None]
    simplices = run.positions[:, None, :] + scale * corners[None]
    return rec, dataclasses.replace(rec, runs=(dataclasses.replace(run, simplices=simplices),))


@pytest.mark.parametrize("view", ["contour", "surface"])
def test_the_simplex_is_drawn_and_only_where_it_is(view):
    plain, marked = with_simplices()
    frames = []
    for rec in (plain, marked):
        renderer = FrameRenderer(rec, RenderOptions(view=view, size=SIZE, frames=7))
        frames.append(renderer.frame_at(3).astype(int))
    changed = np.any(frames[0] != frames[1], axis=-1)
    assert changed.sum() > 200, changed.sum()  # three edges and a fill, and fading ones
    # with no simplices the frame is untouched
    again = FrameRenderer(plain, RenderOptions(view=view, size=SIZE, frames=7)).frame_at(3)
    assert np.array_equal(again, frames[0])


def test_rows_hold_after_a_stop_and_older_triangles_fade():
    class Stopped:
        last_step, stopped_at = 40, 12

    assert [simplex_row(Stopped, s) for s in (0, 12, 13, 40)] == [0, 12, 12, 12]
    alphas = fade_alphas(FADE_STEPS)
    assert np.all(np.diff(alphas) < 0) and alphas[-1] > 0
