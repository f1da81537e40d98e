"""Tests for visualizer/geometry.py: grids, levels, heights, projection and the ray test.

No Figure anywhere: the camera is a hand-built look-at perspective matrix.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import rec_of

from surfaces import get_surface
from visualizer.drawing.geometry import (
    HeightField,
    Projection,
    contour_levels,
    display_height,
    shown_steps,
    surface_grid,
    visible,
)

RIDGE = "10*exp(-4*y**2) + 0.05*x**2"  # a tall ridge along x


def look_at(eye, target=(0.0, 0.0, 0.0), fov_deg: float = 40.0) -> Projection:
    """An OpenGL-style perspective camera at ``eye``; pixels are a 400x400 viewport."""
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    V = np.eye(4)
    V[0, :3], V[1, :3], V[2, :3] = right, up, -forward
    V[:3, 3] = -V[:3, :3] @ eye
    f, near, far = 1 / np.tan(np.radians(fov_deg) / 2), 0.1, 100.0
    P = np.array(
        [
            [f, 0, 0, 0],
            [0, f, 0, 0],
            [0, 0, (near + far) / (near - far), 2 * near * far / (near - far)],
            [0, 0, -1, 0],
        ]
    )
    return Projection(P @ V, np.array([[200.0, 0, 200.0], [0, 200.0, 200.0], [0, 0, 1]]))


@pytest.fixture(scope="module")
def ridge() -> HeightField:
    surface = get_surface(RIDGE)
    return HeightField.of(surface, surface_grid(surface, 80)[2])


CAMERA = (0.0, -14.0, 14.0)  # looking at the ridge from the -y side, above it


def on(heights: HeightField, x, y, above: float = 0.02):
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    return x, y, heights(x, y) + above * heights.span


# --- grids and levels ----------------------------------------------------------------------


def test_surface_grid_covers_the_window():
    surface = get_surface("bowl")
    X, Y, Z = surface_grid(surface, 7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    xmin, xmax, ymin, ymax = surface.window
    assert X.min() == xmin and X.max() == xmax and Y.min() == ymin and Y.max() == ymax
    assert np.allclose(Z, 0.5 * (X**2 + Y**2))


def test_surface_grid_replaces_non_finite_values():
    _, _, Z = surface_grid(get_surface("1/(x**2 + y**2)"), 5)  # inf at the origin
    assert np.all(np.isfinite(Z))
    assert Z[2, 2] == Z[np.isfinite(Z)].max()


def test_display_height_is_log_only_for_wide_range_surfaces():
    _, _, Z = surface_grid(get_surface("bowl"), 9)
    H, zmin, log = display_height(get_surface("bowl"), Z)
    assert not log and H is Z and zmin == Z.min()
    rosen = get_surface("rosenbrock")
    _, _, Z = surface_grid(rosen, 9)
    H, zmin, log = display_height(rosen, Z)
    assert log and H.min() == 0.0
    assert np.allclose(H, np.log10(1.0 + Z - Z.min()))


def test_shown_steps_stop_at_the_last_finite_step():
    rec = rec_of("bowl", "gd:lr=0.2", "gd:lr=5", steps=10)
    ok, bad = rec.runs
    assert shown_steps(ok, 0, 4) == slice(0, 5)
    assert shown_steps(ok, 4, 4) is None
    assert bad.last_step == 3
    assert shown_steps(bad, 2, 8) == slice(2, 4)
    assert shown_steps(bad, 3, 8) is None
    assert shown_steps(bad, 5, 8) is None


def test_contour_levels_are_log_spaced_for_rosenbrock_and_none_when_flat():
    rosen = get_surface("rosenbrock")
    Z = surface_grid(rosen, 50)[2]
    T, levels = contour_levels(rosen, Z)
    assert levels is not None and len(levels) == 22
    assert T.max() < np.log10(Z.max() - Z.min()) + 1  # log values
    flat = get_surface("0*x + 3")
    assert contour_levels(flat, surface_grid(flat, 5)[2])[1] is None


def test_height_field_clips_at_its_top_and_flat_surfaces_get_a_unit():
    rec = rec_of("ravine", "gd")
    Z = surface_grid(rec.surface, 40)[2]
    h = HeightField.of(rec.surface, Z)
    assert h.hmin == Z.min() and h.hmax == pytest.approx(np.percentile(Z, 99.5))
    assert h(np.array([100.0]), np.array([100.0]))[0] == h.hmax
    flat = get_surface("0*x + 3")
    hf = HeightField.of(flat, surface_grid(flat, 5)[2])
    assert hf.span > 0


# --- projection and the ray test ---------------------------------------------------------------


def test_projection_finds_its_eye_and_inverts():
    cam = look_at(CAMERA)
    assert np.allclose(cam.eye(), CAMERA)
    x, y, z = np.array([1.0, -2.0]), np.array([0.5, 3.0]), np.array([2.0, 0.0])
    u, v, w = cam.projected(x, y, z)
    assert np.allclose(cam.unprojected(u, v, w), [x, y, z])
    target = cam.project(np.zeros(1), np.zeros(1), np.zeros(1))[0]
    assert target[:2] == pytest.approx([200.0, 200.0])  # the target is at the centre


def test_points_behind_the_ridge_are_hidden_and_in_front_visible(ridge):
    cam = look_at(CAMERA)
    front = on(ridge, [-2.0, 0.0, 2.0], [-3.0, -4.0, -2.5])
    behind = on(ridge, [-2.0, 0.0, 1.0], [2.0, 3.0, 4.5])
    assert visible(cam, ridge, *front).all()
    assert not visible(cam, ridge, *behind).any()
    # seen from the other side, the same places swap
    other = look_at((0.0, 14.0, 14.0))
    assert not visible(other, ridge, *front).any()
    assert visible(other, ridge, *behind).all()


def test_points_under_the_surface_are_hidden_and_far_above_visible(ridge):
    cam = look_at(CAMERA)
    x, y = np.array([-3.0, 0.0, 2.0]), np.array([-3.0, 0.0, 3.0])
    assert not visible(cam, ridge, x, y, ridge(x, y) - 0.2 * ridge.span).any()
    assert visible(cam, ridge, x, y, np.full(3, 2.5 * ridge.hmax)).all()


def test_visible_of_no_points_is_empty_and_any_shape_is_flattened(ridge):
    cam = look_at(CAMERA)
    out = visible(cam, ridge, np.array([]), np.array([]), np.array([]))
    assert out.shape == (0,) and out.dtype == bool
    x, y, z = on(ridge, [0.0, 0.0], [-3.0, 3.0])
    assert visible(cam, ridge, x[:, None], y[:, None], z[:, None]).tolist() == [True, False]


def test_visible_samples_the_same_ray_points_as_the_whole_rays_at_once(ridge):
    # the rays' points are built one coordinate at a time: the flags must be those of
    # the rays as one array, ``p + t * step`` (fixed-camera frames must not change)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-5.0, 5.0, 400), rng.uniform(-5.0, 5.0, 400)
    z = ridge(x, y) + rng.uniform(-0.05, 0.3, 400) * ridge.span
    seen = []
    for cam in (look_at(CAMERA), look_at((0.0, 14.0, 14.0)), look_at((9.0, 3.0, 6.0))):
        got = visible(cam, ridge, x, y, z)
        seen.append(got)
        # the reference: every ray as one (n, samples, 3) array
        u, v, w = cam.projected(x, y, z)
        q = cam.unprojected(u, v, w - 0.05)
        xmin, xmax, ymin, ymax = ridge.window
        scale = np.array([xmax - xmin, ymax - ymin, ridge.span])
        d = (q.T - np.stack([x, y, z], axis=1)) / scale
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        p, step = np.stack([x, y, z], axis=1), d * scale
        lo, hi = np.array([xmin, ymin, -np.inf]), np.array([xmax, ymax, ridge.hmax])
        with np.errstate(divide="ignore", invalid="ignore"):
            t_hi = np.where(step > 0, (hi - p) / step, np.where(step < 0, (lo - p) / step, np.inf))
        t_max = np.clip(np.nan_to_num(t_hi.min(axis=1), nan=0.0, posinf=2.0), 0.0, 2.0)
        t0 = np.minimum(0.01, t_max)
        t = t0[:, None] + (t_max - t0)[:, None] * np.linspace(0.0, 1.0, 96)[None, :]
        rays = p[:, None, :] + t[:, :, None] * step[:, None, :]
        rx, ry, rz = rays[..., 0], rays[..., 1], rays[..., 2]
        below = rz < ridge(rx, ry) - 1e-3 * scale[2]
        want = ~np.any(ridge.inside(rx, ry) & below, axis=1)
        assert np.array_equal(got, want)
    assert all(0 < s.sum() < len(s) for s in seen)  # some hidden, some seen
