"""Tests for visualizer/views.py: the views, their camera and ray-tested occlusion when drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from helpers import rec_of

from surfaces import get_surface
from visualizer.geometry import visible
from visualizer.recorder import Recording, record
from visualizer.render import FrameRenderer, RenderOptions
from visualizer.specs import parse_optimizer
from visualizer.views import ContourView, SurfaceView

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
    xmin, xmax, ymin, ymax = view.rec.surface.window
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
    xmin, xmax, ymin, ymax = rec.surface.window
    x = np.array([xmin, xmax, xmin, xmax, 0.0])
    y = np.array([ymin, ymin, ymax, ymax, 0.0])
    pts = view.projection().project(x, y, view.heights(x, y))
    assert pts.shape == (5, 3)
    x0, y0, x1, y1 = view.ax.bbox.extents
    assert np.all((pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1))


def test_path_is_draped_over_the_surface():
    rec = rec_of("ravine", "momentum:lr=0.004", steps=6)
    view = drawn_view(rec)
    view.draw_trail(0, 6)
    pts, vis = view._screen[0]
    m = view.SUBDIVISIONS
    assert len(pts) == 6 * m + 1 and len(vis) == len(pts)
    P = rec.runs[0].positions
    # every recorded step is one of the draped points, at the lifted surface height
    x, y, z = on_surface(view, P[:, 0], P[:, 1])
    assert np.allclose(pts[::m], view.projection().project(x, y, z))
    # points between steps lie on the straight segment, also lifted onto the surface
    mid = 0.5 * (P[0] + P[1])
    x, y, z = on_surface(view, mid[0], mid[1])
    assert np.allclose(pts[m // 2], view.projection().project(x, y, z)[0])


def test_set_azim_turns_the_camera_and_reprojects():
    rec = rec_of("bowl", "gd:lr=0.2", steps=4)
    view = drawn_view(rec)
    x, y, z = on_surface(view, 3.0, 2.0)
    before = view.projection().project(x, y, z)
    view.draw_trail(0, 4)
    view.set_azim(view.ax.azim + 90)
    assert view._screen is None
    assert not np.allclose(view.projection().project(x, y, z)[:, :2], before[:, :2])


# --- visibility ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ridge() -> SurfaceView:
    view = drawn_view(rec_of(RIDGE, "gd"))
    assert isinstance(view, SurfaceView)
    return view


def test_ridge_fixture_has_the_camera_on_the_minus_y_side(ridge):
    eye = eye_of(ridge)
    assert eye[1] < -5 and eye[2] > ridge.heights.hmax  # in front of y = -5 and above the ridge


def test_points_above_the_surface_are_visible(ridge):
    x = np.array([-4.0, 0.0, 3.0, 0.0, 4.0])
    y = np.array([-4.0, -2.0, -3.0, 0.0, 4.0])
    z = np.full(5, 2.5 * ridge.heights.hmax)  # far above everything
    assert visible(ridge.projection(), ridge.heights, x, y, z).all()
    # lifted onto the near slope and the top of the ridge
    assert visible(
        ridge.projection(),
        ridge.heights,
        *on_surface(ridge, [-3.0, 0.0, 2.0, 1.0], [-3.0, -4.0, -2.0, 0.0]),
    ).all()


def test_points_below_the_surface_are_hidden(ridge):
    x = np.array([-3.0, 0.0, 2.0, 0.0])
    y = np.array([-3.0, 0.0, -2.0, 3.0])
    z = ridge.heights(x, y) - 0.2 * (ridge.heights.span)
    assert not visible(ridge.projection(), ridge.heights, x, y, z).any()


def test_points_behind_the_ridge_are_hidden(ridge):
    x, y, z = on_surface(ridge, [-2.0, 0.0, 1.0, 3.0], [2.0, 3.0, 4.5, 2.5])
    assert not visible(ridge.projection(), ridge.heights, x, y, z).any()
    # the same places seen from the other side are in plain view
    ridge.set_azim(ridge.ax.azim + 180)
    try:
        assert visible(ridge.projection(), ridge.heights, x, y, z).all()
    finally:
        ridge.set_azim(ridge.ax.azim - 180)


def test_visible_of_no_points_is_empty(ridge):
    out = visible(ridge.projection(), ridge.heights, np.array([]), np.array([]), np.array([]))
    assert out.shape == (0,) and out.dtype == bool


def test_visible_accepts_any_shape_and_returns_one_flag_per_point(ridge):
    x, y, z = on_surface(ridge, [0.0, 0.0], [-3.0, 3.0])
    assert visible(
        ridge.projection(), ridge.heights, x[:, None], y[:, None], z[:, None]
    ).tolist() == [True, False]


@pytest.mark.parametrize(
    "name", ["bowl", "ravine", "himmelblau", "rosenbrock", "sin(x)*cos(y) + 0.1*x**2", RIDGE]
)
def test_visible_agrees_with_a_dense_ray_to_the_eye(name):
    view = drawn_view(rec_of(name, "gd:lr=0.0001", steps=1))
    xmin, xmax, ymin, ymax = view.rec.surface.window
    rng = np.random.default_rng(1)
    x, y = rng.uniform(xmin, xmax, 250), rng.uniform(ymin, ymax, 250)
    x, y, z = on_surface(view, x, y)
    vis = visible(view.projection(), view.heights, x, y, z)
    gap = clearance(view, x, y, z)
    span = view.heights.span
    assert not np.any(~vis & (gap > 0)), "a point with a clear line to the eye is hidden"
    assert not np.any(vis & (gap < -0.1 * span)), "a point deep behind the surface is visible"
    assert np.mean(vis == (gap > 0)) >= 0.95


def test_ravine_momentum_path_is_mostly_visible_at_the_default_camera():
    surface = get_surface("ravine")
    specs = [parse_optimizer(s) for s in surface.preset.optimizers]
    rec = record(surface, specs)
    view = drawn_view(rec)
    assert (view.ax.elev, view.ax.azim) == pytest.approx(surface.camera)
    view.draw_trail(0, rec.steps)
    momentum = next(i for i, run in enumerate(rec.runs) if run.spec.name == "momentum")
    _, vis = view._screen[momentum]
    assert vis.mean() >= 0.9
    P = rec.runs[momentum].positions
    assert (
        visible(view.projection(), view.heights, *on_surface(view, P[:, 0], P[:, 1])).mean() >= 0.9
    )


def test_hidden_path_is_drawn_faint_and_visible_path_solid():
    # one run behind the ridge, one in front: both walk along x at |y| = 3
    behind = drawn_view(rec_of(RIDGE, "gd:lr=1", steps=10, start=(4.5, 3.0)))
    front = drawn_view(rec_of(RIDGE, "gd:lr=1", steps=10, start=(4.5, -3.0)))
    for view in (behind, front):
        view.draw_trail(0, 10)
    assert behind._screen[0][1].mean() < 0.3
    assert front._screen[0][1].all()
    solid = front.trails_front[0].get_xydata()
    assert len(solid) and np.isfinite(solid).all()
    dashed = front.trails_back[0].get_xydata()
    assert len(dashed) == 0 or np.isnan(dashed).all()
    assert np.isfinite(behind.trails_back[0].get_xydata()).any()
    for view in (behind, front):
        view.draw_dynamic(10)
    assert behind.balls[0].get_alpha() < 0.5
    assert front.balls[0].get_alpha() == 1.0
