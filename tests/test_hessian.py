"""Tests for surfaces/hessian.py: analytic Hessians, and central differences of the gradient."""

from __future__ import annotations

import numpy as np
import pytest

from surfaces import SURFACES, get_surface
from surfaces.hessian import differenced_hessian, hessian, hessian_source

ANALYTIC = [n for n in SURFACES if n not in ("mlp", "logistic")]


@pytest.mark.parametrize("name", ANALYTIC)
def test_every_analytic_hessian_is_the_derivative_of_its_gradient(name):
    surface = get_surface(name)
    assert hessian_source(surface) == "analytic"
    rng = np.random.default_rng(0)
    xmin, xmax, ymin, ymax = surface.window
    points = np.stack([rng.uniform(xmin, xmax, 7), rng.uniform(ymin, ymax, 7)])
    h = surface.hess(points)
    assert h.shape == (2, 2, 7)
    np.testing.assert_allclose(h, np.swapaxes(h, 0, 1))  # symmetric
    scale = 1.0 + np.abs(h).max()
    np.testing.assert_allclose(h, differenced_hessian(surface.grad, points), atol=1e-7 * scale)
    single = surface.hess(points[:, 3])
    np.testing.assert_allclose(single, h[..., 3])  # one point is shape (2, 2)


def test_the_rest_take_central_differences_of_the_gradient():
    surface = get_surface("sin(x)*cos(y) + x**2*y")
    assert surface.hess is None
    assert hessian_source(surface) == "central differences of the gradient"
    x, y = 0.7, -1.3
    exact = np.array(
        [
            [-np.sin(x) * np.cos(y) + 2 * y, -np.cos(x) * np.sin(y) + 2 * x],
            [-np.cos(x) * np.sin(y) + 2 * x, -np.sin(x) * np.cos(y)],
        ]
    )
    np.testing.assert_allclose(hessian(surface)(np.array([x, y])), exact, rtol=1e-8, atol=1e-9)
    assert hessian_source(get_surface("logistic:samples=50")) == hessian_source(surface)
