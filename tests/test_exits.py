"""Tests for visualizer/drawing/_exits.py: paths cut where runs leave; controls as controls."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from helpers import rec_of

from visualizer.drawing._exits import drawn_path, exit_point
from visualizer.drawing.render import FrameRenderer, RenderOptions

SIZE = (640, 360)
RAVINE = ("gd:lr=0.0195", "sgd:lr=0.0195,noise=2", "momentum:lr=0.0041,beta=0.9")
RAVINE_CONTROL = "gd:lr=0.041,control=true"
SADDLE = ("gd:lr=0.1", "sgd:lr=0.1,noise=0.05", "momentum:lr=0.1,beta=0.9")


def frame(rec, step: int, **options) -> tuple[np.ndarray, FrameRenderer]:
    renderer = FrameRenderer(rec, RenderOptions(size=SIZE, frames=None, **options))
    frames = list(renderer.frames())
    return frames[step][..., :3], renderer


def exact(image: np.ndarray, color: str) -> int:
    """Pixels of exactly ``color`` (the runs' own colours, opaque)."""
    rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])
    return int(np.all(image == rgb, axis=-1).sum())


def test_exit_point_is_on_the_edge_along_the_step():
    a, b = np.array([-1.0, 0.5]), np.array([3.0, -9.5])
    p = exit_point(a, b, (-2.0, 2.0, -2.0, 2.0))
    assert p[1] == -2.0
    cross = (p - a)[0] * (b - a)[1] - (p - a)[1] * (b - a)[0]
    assert abs(cross) < 1e-12  # on the segment


def test_drawn_path_of_a_run_that_stays_is_the_run():
    rec = rec_of("ravine", "gd:lr=0.0195", steps=6)
    path, left = drawn_path(rec.runs[0], rec.surface.window)
    assert left is None
    np.testing.assert_array_equal(path, rec.runs[0].positions)


def test_drawn_path_stops_at_the_edge_where_the_run_left():
    rec = rec_of("ravine:kappa=4", "gd:lr=0.55", steps=20, start=(-4.0, 0.5))
    run, window = rec.runs[0], rec.surface.window
    path, left = drawn_path(run, window)
    assert left == run.left_at(window) == 9
    assert path.shape == (10, 2)
    np.testing.assert_array_equal(path[:9], run.positions[:9])
    assert abs(path[9, 1]) == window[3]  # on the top or bottom edge


@pytest.mark.parametrize("view", ["contour", "surface"])
def test_the_ravine_control_is_a_stub_to_the_edge_not_strokes_across(view):
    # before: after step 1 the control's jumps between points far outside were drawn as
    # full-height strokes across the picture; now its path ends at the edge, with its mark
    with_control = rec_of("ravine", *RAVINE, RAVINE_CONTROL, steps=8)
    without = rec_of("ravine", *RAVINE, steps=8)
    a, renderer = frame(with_control, 8, view=view)
    b, _ = frame(without, 8, view=view)
    changed = np.any(a != b, axis=-1)
    changed[: int(SIZE[1] * 0.3)] = False  # the title and the legend's entries differ
    lay = renderer.layout
    rect = lay.contour or lay.surface
    x0, x1 = int(rect.x * SIZE[0]), int((rect.x + rect.w) * SIZE[0])
    inside = changed[:, x0:x1]
    assert inside.sum() > 20  # the control is drawn (in 3D too)
    rows = np.flatnonzero(inside.any(axis=1))
    if view == "contour":
        start_row = SIZE[1] - renderer.layers[0].ax.transData.transform(with_control.start)[1]
        assert rows.min() >= start_row - 12, (rows.min(), start_row)  # nothing above the start
    # the three main runs lose (almost) none of their pixels to the control
    for i, run in enumerate(without.runs):
        color = renderer.layers[0].styles[i].color
        assert exact(a, color) >= 0.97 * exact(b, color), run.label


def test_control_is_drawn_thin_dashed_translucent_and_beneath():
    rec = rec_of("saddle", *SADDLE, "gd:lr=1,control=true", steps=12)
    renderer = FrameRenderer(rec, RenderOptions(size=SIZE, frames=2))
    view = renderer.layers[0]
    control, main = view.trails[3], view.trails[2]
    assert control.get_linewidth() < 0.7 * main.get_linewidth()
    assert control.get_alpha() < 1 and control.get_linestyle() == "--"
    assert control.get_zorder() < main.get_zorder()
    # the saddle's control goes straight down over everyone's approach: the main runs
    # keep their pixels
    a, _ = frame(rec, 12)
    b, _ = frame(rec_of("saddle", *SADDLE, steps=12), 12)
    for i in range(3):
        color = view.styles[i].color
        assert exact(a, color) >= 0.97 * exact(b, color), i


@pytest.mark.parametrize("view", ["contour", "surface"])
def test_a_run_that_left_gets_a_mark_with_the_legends_step(view):
    rec = rec_of("ravine", "gd:lr=0.0195", RAVINE_CONTROL, steps=4)
    renderer = FrameRenderer(rec, RenderOptions(size=SIZE, frames=None, view=view))
    frames = list(renderer.frames())
    layer = renderer.layers[0]
    mark = layer.exit_marks[1]
    assert layer.exit_marks[0] is None
    assert mark.text.get_text() == "left at step 1"
    legend = renderer.legend
    assert legend._loss_text(rec.runs[1], 1) == mark.text.get_text()
    # drawn from step 1 on, and kept: the frames differ at the mark only from step 1
    box = mark.text.get_window_extent()
    r0, r1 = int(SIZE[1] - box.y1), int(SIZE[1] - box.y0)
    c0, c1 = int(box.x0), int(box.x1)
    patch = [f[r0:r1, c0:c1, :3] for f in frames]
    assert np.any(patch[1] != patch[0])
    assert all(np.array_equal(p, patch[1]) for p in patch[2:])
