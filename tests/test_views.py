"""Tests for the views (drawing/contour_view.py, surface_view.py, _marks.py): camera, occlusion."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from helpers import rec_of

from surfaces import get_surface
from visualizer.drawing.contour_view import ContourView
from visualizer.drawing.geometry import visible
from visualizer.drawing.render import FrameRenderer, RenderOptions
from visualizer.drawing.surface_view import SurfaceView
from visualizer.maths.recorder import Recording, record
from visualizer.maths.specs import parse_optimizer

SIZE = (320, 180)
RIDGE = "10*exp(-4*y**2) + 0.05*x**2"  # a tall ridge along x; default camera looks from -y


def drawn_view(rec: Recording, view: str = "surface", **kw):
    """The first view layer of a renderer whose static parts have been drawn."""
    renderer = FrameRenderer(rec, RenderOptions(view=view, size=SIZE, frames=2, **kw))
    renderer.canvas.draw()
    return renderer.layers[0]


def on_surface(view: SurfaceView, x, y, above: float = 0.0):
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    return x, y, view.heights(x, y) + view.lift + above


def eye_of(view: SurfaceView) -> np.ndarray:
    """The camera position in data coordinates, from the projection matrix alone.

    The eye is the one point whose clip-space x, y and w are all zero.
    """
    return view.projection().eye()


def clearance(view: SurfaceView, x, y, z, samples: int = 3000) -> np.ndarray:
    """Least height of the straight segment from each point to the eye above the surface,
    inside the window, sampled densely (``inf`` if the segment never crosses the window)."""
    P = np.stack([x, y, z], axis=1)
    eye = eye_of(view)
    t = np.linspace(0.0, 1.0, samples)[1:]
    R = P[:, None, :] + t[None, :, None] * (eye - P)[:, None, :]
    xmin, xmax, ymin, ymax = view.heights.window
    inside = (R[..., 0] >= xmin) & (R[..., 0] <= xmax) & (R[..., 1] >= ymin) & (R[..., 1] <= ymax)
    gap = np.where(inside, R[..., 2] - view.heights(R[..., 0], R[..., 1]), np.inf)
    return gap.min(axis=1)


# --- contours ----------------------------------------------------------------------------


def test_contour_view_shows_the_window():
    rec = rec_of("ravine", "gd")
    view = drawn_view(rec, "contour")
    assert isinstance(view, ContourView)
    assert view.ax.get_xlim() == pytest.approx(rec.surface.window[:2])
    assert view.ax.get_ylim() == pytest.approx(rec.surface.window[2:])
    # equal data aspect: one unit is as many pixels across as up
    x0, y0, x1, y1 = view.ax.bbox.extents
    xmin, xmax, ymin, ymax = rec.surface.window
    assert (x1 - x0) / (xmax - xmin) == pytest.approx((y1 - y0) / (ymax - ymin), rel=0.02)


# --- projection ---------------------------------------------------------------------------


def test_project_puts_the_window_inside_the_axes():
    rec = rec_of("bowl", "gd")
    view = drawn_view(rec)
    xmin, xmax, ymin, ymax = view.heights.window
    x = np.array([xmin, xmax, xmin, xmax, 0.0])
    y = np.array([ymin, ymin, ymax, ymax, 0.0])
    pts = view.projection().project(x, y, view.heights(x, y))
    assert pts.shape == (5, 3)
    x0, y0, x1, y1 = view.figure.bbox.extents
    assert np.all((pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1))


def test_path_jumps_from_iterate_to_iterate():
    rec = rec_of("ravine", "momentum:lr=0.004", steps=6)
    view = drawn_view(rec)
    view.draw_trail(0, 6)
    pts, vis = view._screen[0]
    m = view.SUBDIVISIONS
    assert len(pts) == 6 * m + 1 and len(vis) == len(pts)
    P = rec.runs[0].positions
    # every iterate sits on the surface (lifted a hair)
    x, y, z = on_surface(view, P[:, 0], P[:, 1])
    assert np.allclose(pts[::m], view.projection().project(x, y, z))
    # points between iterates lie on the straight chord between them, not on the surface
    mid = 0.5 * (np.array([x[0], y[0], z[0]]) + np.array([x[1], y[1], z[1]]))
    assert np.allclose(pts[m // 2], view.projection().project(*mid[:, None])[0])


def test_turn_turns_the_camera_and_reprojects():
    rec = rec_of("bowl", "gd:lr=0.2", steps=4)
    view = drawn_view(rec)
    x, y, z = on_surface(view, 3.0, 2.0)
    before = view.projection().project(x, y, z)
    view.draw_trail(0, 4)
    view.turn(90)
    assert view.ax.azim == pytest.approx(view.azim + 90)
    assert view._screen is None
    assert not np.allclose(view.projection().project(x, y, z)[:, :2], before[:, :2])


# --- visibility ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["bowl", "ravine", "himmelblau", "rosenbrock", "sin(x)*cos(y) + 0.1*x**2", RIDGE]
)
def test_visible_agrees_with_a_dense_ray_to_the_eye(name):
    view = drawn_view(rec_of(name, "gd:lr=0.0001", steps=1))
    xmin, xmax, ymin, ymax = view.heights.window
    rng = np.random.default_rng(1)
    x, y = rng.uniform(xmin, xmax, 250), rng.uniform(ymin, ymax, 250)
    x, y, z = on_surface(view, x, y)
    vis = visible(view.projection(), view.heights, x, y, z)
    gap = clearance(view, x, y, z)
    span = view.heights.span
    assert not np.any(~vis & (gap > 0)), "a point with a clear line to the eye is hidden"
    assert not np.any(vis & (gap < -0.1 * span)), "a point deep behind the surface is visible"
    assert np.mean(vis == (gap > 0)) >= 0.95


def test_ravine_camera_sees_the_paths_side_on_and_the_window_fits_them():
    surface = get_surface("ravine")
    specs = [parse_optimizer(s) for s in surface.preset.optimizers]
    rec = record(surface, specs)
    view = drawn_view(rec)
    # the runs travel along +x: the camera looks across the valley (azimuth ±90° off x)
    assert abs(abs(view.ax.azim - np.degrees(np.arctan2(-1.5, 4.0))) - 90) < 5
    xmin, xmax, ymin, ymax = view.heights.window
    wx0, wx1, wy0, wy1 = surface.window
    # no empty walls: the part of the window the paths use, with a margin
    assert (xmax - xmin) * (ymax - ymin) < 0.7 * (wx1 - wx0) * (wy1 - wy0)
    assert view.heights.knee is not None and view.heights.knee < 1.2 * 120.6
    view.draw_trail(0, rec.steps)
    for i, _run in enumerate(rec.runs):
        assert view._screen[i][1].mean() >= 0.8


def test_hidden_path_is_drawn_faint_and_visible_path_solid(monkeypatch):
    # the whole window, so the ridge stands between the camera and the far run
    monkeypatch.setattr(
        "visualizer.drawing.surface_view.path_window", lambda window, *a, **k: window
    )
    # one run behind the ridge, one in front: both walk along x at |y| = 3
    camera = {"elev": 38.0, "azim": -62.0}
    behind = drawn_view(rec_of(RIDGE, "gd:lr=1", steps=10, start=(4.5, 3.0)), **camera)
    front = drawn_view(rec_of(RIDGE, "gd:lr=1", steps=10, start=(4.5, -3.0)), **camera)
    for view in (behind, front):
        view.draw_trail(0, 10)
    assert behind._screen[0][1].mean() < 0.3, behind._screen[0][1].mean()
    assert front._screen[0][1].all()
    solid = front.trails_front[0].get_xydata()
    assert len(solid) and np.isfinite(solid).all()
    dashed = front.trails_back[0].get_xydata()
    assert len(dashed) == 0 or np.isnan(dashed).all()
    assert np.isfinite(behind.trails_back[0].get_xydata()).any()
    for view in (behind, front):
        view.draw_dynamic(10)
    # hidden: still the run's colour, a translucent disc with a rim of that colour
    color = behind.styles[0].color
    assert behind.balls[0].body.get_markeredgecolor() == color
    assert behind.balls[0].body.get_markerfacecolor()[3] < 0.5
    assert front.balls[0].body.get_markerfacecolor() == color


def test_the_3d_grid_is_drawn_in_the_themes_grid_colour(monkeypatch):
    # matplotlib has no setter for a 3D axis's grid colour: SurfaceView gives it as the
    # rcParam grid.color while the axes is made. If matplotlib stops reading it there,
    # the grid turns matplotlib's grey and this fails.
    import dataclasses

    from visualizer.drawing import theme as theme_module

    red = dataclasses.replace(theme_module.THEMES["light"], grid="#ff0000")
    monkeypatch.setitem(theme_module.THEMES, "light", red)
    rec = rec_of("bowl", "gd:lr=0.1", steps=3)
    renderer = FrameRenderer(rec, RenderOptions(view="surface", size=(480, 270), frames=2))
    renderer.canvas.draw()
    pixels = np.asarray(renderer.canvas.buffer_rgba())[..., :3].astype(int)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    # pure red blended with the grey panes (green = blue), not gd's vermillion trail
    grid_red = (red - np.maximum(green, blue) > 60) & (abs(green - blue) < 20)
    assert grid_red.sum() > 500  # the grid lines on the three panes
    assert matplotlib.rcParams["grid.color"] != "#ff0000"  # only while the axes was made


@pytest.mark.parametrize("scene", ["ravine", "saddle", "local-minimum"])
def test_both_view_keeps_x_increasing_left_to_right_in_3d(scene):
    # the 2D panel beside it has x to the right: the 3D camera is chosen from that side
    rec = rec_of(scene, *get_surface(scene).preset.optimizers, steps=30)
    renderer = FrameRenderer(rec, RenderOptions(view="both", size=SIZE, frames=2))
    renderer.canvas.draw()
    view = next(layer for layer in renderer.layers if isinstance(layer, SurfaceView))
    xmin, xmax, ymin, ymax = view.heights.window
    y = np.array([(ymin + ymax) / 2] * 2)
    x = np.array([xmin, xmax])
    left, right = view.projection().project(x, y, view.heights(x, y))[:, 0]
    assert right > left + 20, (scene, view.ax.azim)
