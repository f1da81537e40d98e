"""Tests for visualizer/field.py: the negative gradient field over the contours."""

from __future__ import annotations

import numpy as np
import pytest

from surfaces import get_surface
from visualizer.drawing.field import LONGEST, GradientField, field_vectors, grid_for
from visualizer.drawing.render import FrameRenderer
from visualizer.frontends.animation import animate


@pytest.mark.parametrize("name", ["bowl", "ravine:kappa=4", "saddle", "rosenbrock"])
def test_arrows_are_minus_the_gradient_scaled_to_fit_the_grid(name):
    s = get_surface(name)
    X, Y, U, V = field_vectors(s, n=(9, 7))
    g = s.grad(np.stack([X, Y]))
    cross = U * g[1] - V * g[0]
    assert np.allclose(cross, 0, atol=1e-12 * np.abs(g).max())  # parallel to the gradient
    assert np.all(U * g[0] + V * g[1] <= 0)  # and pointing downhill
    xmin, xmax, ymin, ymax = s.window
    spacing = min((xmax - xmin) / 9, (ymax - ymin) / 7)
    assert np.hypot(U, V).max() == pytest.approx(LONGEST * spacing)


def test_arrows_cross_the_contours_at_right_angles():
    # along an arrow's normal the loss does not change to first order: the contour's tangent
    s = get_surface("ravine:kappa=4")
    X, Y, U, V = field_vectors(s)
    h = 1e-6
    tangent = np.stack([-V, U]) / np.maximum(np.hypot(U, V), 1e-300)
    p = np.stack([X, Y])
    along = (s.f(p + h * tangent) - s.f(p - h * tangent)) / (2 * h)
    assert np.abs(along).max() < 1e-6


def test_the_field_option_draws_the_quiver_on_the_contour_view():
    anim = animate("bowl", ["gd:lr=0.1"], steps=2, size=(320, 180), field=True)
    renderer = FrameRenderer(anim.recording, anim.options)
    (field,) = [layer for layer in renderer.layers if isinstance(layer, GradientField)]
    ax = field.quiver.axes
    _, _, U, V = field_vectors(anim.recording.surface, n=grid_for(ax.bbox.width, ax.bbox.height))
    np.testing.assert_allclose(field.quiver.U, U.ravel())
    np.testing.assert_allclose(field.quiver.V, V.ravel())
    plain = FrameRenderer(anim.recording, anim.options.__class__(size=(320, 180)))
    assert not any(isinstance(layer, GradientField) for layer in plain.layers)


def test_non_finite_gradients_give_no_arrow():
    s = get_surface("log(x)")
    X, _, U, _ = field_vectors(s)
    assert np.all(np.isfinite(U)) and np.all(U[X <= 0] == 0)
