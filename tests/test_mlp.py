"""Tests for the small network and its data (surfaces/mlp.py) and the plane (surfaces/plane.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from surfaces.errors import SpecError
from surfaces.mlp import MLP, Layer, cross_entropy, make_problem, make_split
from surfaces.plane import filter_normalized, pca_plane, random_plane


def central_gradient(f, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return out


@pytest.fixture(scope="module")
def small():
    return make_problem(data="moons", hidden=3, samples=24, seed=3)


# --- data -------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["moons", "circles"])
def test_generated_data_are_seeded_balanced_and_standardised(data):
    a = make_split(data, samples=200, seed=5)
    b = make_split(data, samples=200, seed=5)
    c = make_split(data, samples=200, seed=6)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert a.x_train.shape == (200, 2) and a.x_test.shape == (200, 2)
    assert 80 <= int(a.y_train.sum()) <= 120  # two classes, about half each
    np.testing.assert_allclose(a.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(a.x_train.std(axis=0), 1.0, atol=1e-12)


def test_circles_are_separable_by_radius_moons_are_not_by_a_line():
    s = make_split("circles", samples=400, seed=0)
    r = np.hypot(*s.x_train.T)
    assert abs(float(np.median(r[s.y_train == 0]) / np.median(r[s.y_train == 1])) - 2.0) < 0.2


def test_digits_without_scikit_learn_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(SpecError, match=r"^data=digits needs scikit-learn: .*lossviz\[digits\]"):
        make_split("digits", samples=100, seed=0)


def test_digits_split_and_limit():
    pytest.importorskip("sklearn", reason="the digits extra (scikit-learn) is not installed")
    s = make_split("digits", samples=300, seed=0)
    assert s.x_train.shape == (300, 64) and s.n_classes == 10
    assert len(s.y_test) == 1797 - 300
    with pytest.raises(SpecError, match="samples must be <= 1500"):
        make_split("digits", samples=1600, seed=0)


def test_unknown_dataset_is_refused():
    with pytest.raises(SpecError, match="data must be one of moons, circles, digits"):
        make_split("iris", samples=10, seed=0)


# --- network ----------------------------------------------------------------------


def test_layout_of_the_flat_vector_round_trips():
    net = MLP(n_in=3, n_hidden=4, n_out=2)
    theta = np.arange(net.size, dtype=float)
    w1, b1, w2, b2 = net.unflatten(theta)
    assert (w1.shape, b1.shape, w2.shape, b2.shape) == ((3, 4), (4,), (4, 2), (2,))
    assert np.array_equal(np.concatenate([p.ravel() for p in (w1, b1, w2, b2)]), theta)


def test_cross_entropy_is_stable_and_matches_the_definition():
    logits = np.array([[1000.0, 0.0], [0.0, 2.0]])
    ce = cross_entropy(logits, np.array([0, 0]))
    assert ce[0] == 0.0
    np.testing.assert_allclose(ce[1], -np.log(np.exp(0) / (np.exp(0) + np.exp(2))))


@pytest.mark.parametrize("data", ["moons", "circles"])
def test_backprop_matches_finite_differences(data):
    p = make_problem(data=data, hidden=3, samples=24, seed=1)
    theta = p.init + 0.3 * np.random.default_rng(0).standard_normal(p.net.size)
    loss, grad = p.loss_and_grad(theta)
    assert loss == pytest.approx(p.loss(theta))
    np.testing.assert_allclose(grad, central_gradient(p.loss, theta), rtol=1e-6, atol=1e-8)


def test_minibatch_gradient_matches_finite_differences_of_the_batch_loss(small):
    idx = np.array([0, 5, 7, 11])
    s = small.split
    theta = small.init + 0.2

    def batch_loss(t):
        return float(cross_entropy(small.net.logits(t, s.x_train[idx]), s.y_train[idx]).mean())

    np.testing.assert_allclose(
        small.batch_grad(theta, idx), central_gradient(batch_loss, theta), rtol=1e-6, atol=1e-8
    )
    # the mean over every sample is the full-batch gradient
    np.testing.assert_allclose(small.batch_grad(theta, np.arange(24)), small.grad(theta))


def test_plane_losses_equal_the_loss_point_by_point(small):
    rng = np.random.default_rng(2)
    directions = rng.standard_normal((2, small.net.size))
    coords = rng.uniform(-2, 2, size=(37, 2))
    batch = small.plane_losses(small.init, directions, coords)
    one_by_one = [small.loss(small.init + a * directions[0] + b * directions[1]) for a, b in coords]
    np.testing.assert_allclose(batch, one_by_one, rtol=1e-12)


def test_gradient_descent_learns_the_moons():
    p = make_problem(data="moons", hidden=8, samples=200, seed=0)
    theta = p.init
    for _ in range(300):
        theta = theta - 0.5 * p.grad(theta)
    assert p.loss(theta) < 0.5 * p.loss(p.init)
    assert p.accuracy(theta) > 0.9


# --- plane ------------------------------------------------------------------------


def test_pca_plane_is_orthonormal_and_holds_planar_paths_exactly():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((10, 2)))[0].T  # two orthonormal directions
    center = rng.standard_normal(10)
    coords = rng.standard_normal((50, 2)) * [3.0, 1.0]
    points = center + coords @ basis
    plane = pca_plane(points, center=center)
    np.testing.assert_allclose(plane.directions @ plane.directions.T, np.eye(2), atol=1e-12)
    assert plane.explained == pytest.approx(1.0)
    np.testing.assert_allclose(plane.off_plane(points), 0.0, atol=1e-10)
    np.testing.assert_allclose(plane.lift(plane.coordinates(points)), points, atol=1e-10)


def test_pca_plane_explained_fraction_and_distance_off_the_plane():
    # paths in three dimensions around the origin; the third has the least spread
    rng = np.random.default_rng(1)
    points = rng.standard_normal((400, 3)) * [5.0, 2.0, 0.5]
    plane = pca_plane(points, center=np.zeros(3))
    s = np.linalg.svd(points, compute_uv=False)
    assert plane.explained == pytest.approx((s[0] ** 2 + s[1] ** 2) / np.sum(s**2))
    assert sum(plane.ratios) == pytest.approx(plane.explained)
    normal = np.cross(*plane.directions)
    np.testing.assert_allclose(plane.off_plane(points), np.abs(points @ normal), atol=1e-10)


def test_pca_plane_ignores_diverged_rows_and_orients_the_start_negative():
    points = np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.1], [np.nan, np.nan, np.nan], [0, 0, 0]])
    plane = pca_plane(points, center=np.zeros(3), start=points[0])
    assert np.isfinite(plane.explained)
    assert np.all(plane.coordinates(points[:1]) <= 0)


def test_pca_plane_of_a_straight_path_completes_the_basis():
    points = np.outer(np.linspace(-1, 0, 5), [1.0, 2.0, 2.0])
    plane = pca_plane(points, center=np.zeros(3))
    np.testing.assert_allclose(plane.directions @ plane.directions.T, np.eye(2), atol=1e-12)
    assert plane.explained == pytest.approx(1.0)
    assert plane.ratios[0] == pytest.approx(1.0)


def test_random_plane_is_filter_normalised_with_zero_biases(small):
    layers = small.net.layers
    center = small.init + 0.1
    plane = random_plane(
        small.init[None], center=center, layers=layers, rng=np.random.default_rng(0)
    )
    for d in plane.directions:
        for layer in layers:
            block = d[layer.start : layer.stop].reshape(layer.shape)
            ref = center[layer.start : layer.stop].reshape(layer.shape)
            if layer.kind == "bias":
                assert not block.any()
            else:
                np.testing.assert_allclose(
                    np.linalg.norm(block, axis=0), np.linalg.norm(ref, axis=0)
                )
    assert plane.kind == "random" and 0.0 <= plane.explained <= 1.0


def test_filter_normalized_keeps_directions_of_filters():
    direction = np.array([1.0, 2.0, -2.0, 4.0])
    layers = [Layer(0, (2, 2), "weight")]
    out = filter_normalized(direction, np.array([0.0, 3.0, 1.0, 4.0]), layers)
    block = out.reshape(2, 2)
    assert np.allclose(np.linalg.norm(block, axis=0), [1.0, 5.0])
    assert np.allclose(block[:, 0] / np.linalg.norm(block[:, 0]), [1, -2] / np.sqrt(5))
