"""Tests for visualizer/optimizers.py: each update rule, computed by hand, to 1e-12."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from visualizer.maths import optimizers as opt
from visualizer.maths.specs import parse_optimizer

A = np.array([[3.0, 0.5], [0.5, 1.0]])
B = np.array([-1.0, 2.0])
START = np.array([1.5, -2.0])
STEPS = 6


def grad_fn(p: np.ndarray) -> np.ndarray:
    """Gradient of a tilted quadratic ``½ pᵀA p + Bᵀp``."""
    return A @ p + B


def run(optimizer: opt.Optimizer, steps: int = STEPS) -> list[np.ndarray]:
    params = START.copy()
    state = optimizer.init(params)
    out = [params]
    for _ in range(steps):
        g = grad_fn(optimizer.lookahead(state, params))
        params, state = optimizer.update(g, state, params)
        out.append(params)
    return out


def assert_paths_equal(got: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(got) == len(expected)
    for t, (a, b) in enumerate(zip(got, expected, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"step {t}")


# --- rules by hand ---------------------------------------------------------------


def hand_gd(lr):
    p, out = START.copy(), [START.copy()]
    for _ in range(STEPS):
        p = p - lr * grad_fn(p)
        out.append(p)
    return out


def hand_momentum(lr, beta):
    p, v, out = START.copy(), np.zeros(2), [START.copy()]
    for _ in range(STEPS):
        v = beta * v + lr * grad_fn(p)
        p = p - v
        out.append(p)
    return out


def hand_nesterov(lr, beta):
    p, v, out = START.copy(), np.zeros(2), [START.copy()]
    for _ in range(STEPS):
        v = beta * v + lr * grad_fn(p - beta * v)
        p = p - v
        out.append(p)
    return out


def hand_adagrad(lr, eps):
    p, G, out = START.copy(), np.zeros(2), [START.copy()]
    for _ in range(STEPS):
        g = grad_fn(p)
        G = G + g**2
        p = p - lr * g / (np.sqrt(G) + eps)
        out.append(p)
    return out


def hand_rmsprop(lr, rho, eps):
    p, s, out = START.copy(), np.zeros(2), [START.copy()]
    for _ in range(STEPS):
        g = grad_fn(p)
        s = rho * s + (1 - rho) * g**2
        p = p - lr * g / (np.sqrt(s) + eps)
        out.append(p)
    return out


def hand_adam(lr, beta1, beta2, eps):
    p, m, v, out = START.copy(), np.zeros(2), np.zeros(2), [START.copy()]
    for t in range(1, STEPS + 1):
        g = grad_fn(p)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


CASES = {
    "gd": (opt.gd(lr=0.1), hand_gd(0.1)),
    "sgd": (opt.sgd(lr=0.1), hand_gd(0.1)),
    "momentum": (opt.momentum(lr=0.05, beta=0.8), hand_momentum(0.05, 0.8)),
    "nesterov": (opt.nesterov(lr=0.05, beta=0.8), hand_nesterov(0.05, 0.8)),
    "adagrad": (opt.adagrad(lr=0.3, eps=1e-3), hand_adagrad(0.3, 1e-3)),
    "rmsprop": (opt.rmsprop(lr=0.02, rho=0.7, eps=1e-3), hand_rmsprop(0.02, 0.7, 1e-3)),
    "adam": (opt.adam(lr=0.1, beta1=0.8, beta2=0.95, eps=1e-3), hand_adam(0.1, 0.8, 0.95, 1e-3)),
}


@pytest.mark.parametrize("name", CASES)
def test_update_follows_the_rule(name):
    optimizer, expected = CASES[name]
    assert_paths_equal(run(optimizer), expected)


def test_rules_differ_from_each_other():
    """Guard against the hand rules being trivially equal (which would hide bugs)."""
    paths = {name: np.array(expected) for name, (_, expected) in CASES.items()}
    names = [n for n in paths if n != "sgd"]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not np.allclose(paths[a], paths[b]), (a, b)


def test_nesterov_differs_from_momentum_by_its_lookahead():
    state = opt.VelocityState(velocity=np.array([0.5, -1.0]))
    params = np.array([1.0, 2.0])
    np.testing.assert_array_equal(
        opt.nesterov(0.1, 0.9).lookahead(state, params), params - 0.9 * state.velocity
    )
    assert opt.momentum(0.1, 0.9).lookahead(state, params) is params


def test_adam_first_step_has_size_lr():
    """With bias correction the first Adam step is lr·sign(g) (eps aside)."""
    params = np.array([1.0, -3.0])
    g = np.array([4.0, -0.01])
    new, state = opt.adam(lr=0.1, eps=1e-12).update(g, opt.adam(0.1).init(params), params)
    np.testing.assert_allclose(new, params - 0.1 * np.sign(g), rtol=1e-9)
    assert state.count == 1


def test_eps_is_added_after_the_square_root():
    params = np.zeros(2)
    g = np.array([1e-4, 1e-4])
    lr, eps = 1.0, 1e-4
    new, _ = opt.adagrad(lr=lr, eps=eps).update(g, opt.adagrad(lr).init(params), params)
    np.testing.assert_allclose(new, -lr * g / (np.sqrt(g**2) + eps), rtol=1e-12)  # = -0.5
    np.testing.assert_allclose(new, [-0.5, -0.5], rtol=1e-12)


# --- purity -------------------------------------------------------------------------


def state_arrays(state) -> list[np.ndarray]:
    return [np.asarray(v) for v in state]


@pytest.mark.parametrize("name", CASES)
def test_update_does_not_mutate_state_or_params(name):
    optimizer, _ = CASES[name]
    params = START.copy()
    state = optimizer.init(params)
    # Run a couple of steps so the state is non-trivial.
    for _ in range(2):
        params, state = optimizer.update(grad_fn(params), state, params)
    before_state = copy.deepcopy(state_arrays(state))
    before_params = params.copy()
    g = grad_fn(params)
    before_g = g.copy()
    new_params, new_state = optimizer.update(g, state, params)
    for a, b in zip(state_arrays(state), before_state, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(params, before_params)
    np.testing.assert_array_equal(g, before_g)
    assert new_params is not params
    for a, b in zip(state_arrays(new_state), state_arrays(state), strict=True):
        if a.ndim:
            assert not np.shares_memory(a, b)


@pytest.mark.parametrize("name", CASES)
def test_init_state_is_unchanged_after_update(name):
    optimizer, _ = CASES[name]
    params = START.copy()
    state = optimizer.init(params)
    before = copy.deepcopy(state_arrays(state))
    optimizer.update(grad_fn(params), state, params)
    optimizer.update(grad_fn(params), state, params)
    for a, b in zip(state_arrays(state), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not any(np.shares_memory(a, params) for a in state_arrays(state) if a.ndim)


def test_same_state_gives_same_update():
    optimizer = opt.adam(lr=0.1)
    params = START.copy()
    state = optimizer.init(params)
    a, _ = optimizer.update(grad_fn(params), state, params)
    b, _ = optimizer.update(grad_fn(params), state, params)
    np.testing.assert_array_equal(a, b)


def test_momentum_with_beta_zero_is_gd():
    assert_paths_equal(run(opt.momentum(lr=0.1, beta=0.0)), run(opt.gd(lr=0.1)))
    for a, b in zip(run(opt.momentum(0.1, 0.0)), run(opt.gd(0.1)), strict=True):
        np.testing.assert_array_equal(a, b)


def test_nesterov_with_beta_zero_is_gd():
    assert_paths_equal(run(opt.nesterov(lr=0.1, beta=0.0)), run(opt.gd(lr=0.1)))


# --- specs build the same optimizers ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gd:lr=0.1", hand_gd(0.1)),
        ("sgd:lr=0.1,noise=3", hand_gd(0.1)),
        ("momentum:lr=0.05,beta=0.8", hand_momentum(0.05, 0.8)),
        ("nesterov:lr=0.05,beta=0.8", hand_nesterov(0.05, 0.8)),
        ("adagrad:lr=0.3,eps=0.001", hand_adagrad(0.3, 1e-3)),
        ("rmsprop:lr=0.02,rho=0.7,eps=0.001", hand_rmsprop(0.02, 0.7, 1e-3)),
        ("adam:lr=0.1,beta1=0.8,beta2=0.95,eps=0.001", hand_adam(0.1, 0.8, 0.95, 1e-3)),
        ("rmsprop:lr=0.02", hand_rmsprop(0.02, 0.9, 1e-8)),
        ("adam:lr=0.1", hand_adam(0.1, 0.9, 0.999, 1e-8)),
    ],
)
def test_spec_build_passes_every_hyperparameter(text, expected):
    assert_paths_equal(run(parse_optimizer(text).build()), expected)


def test_newton_takes_one_step_to_the_minimum_of_a_quadratic():
    # by hand: θ* = −A⁻¹B = −(1/2.75)·[[1, −0.5], [−0.5, 3]]·[−1, 2] = [2/2.75, −6.5/2.75]
    minimum = np.array([2.0, -6.5]) / 2.75
    path = run(opt.newton(lambda p: A, lr=1.0), steps=2)
    np.testing.assert_allclose(path[1], minimum, rtol=1e-12)
    np.testing.assert_allclose(path[2], minimum, rtol=1e-12)  # and stays there


def test_newton_lr_and_damping_by_hand():
    # θ1 = θ0 − lr·(A + λI)⁻¹ g0, with the inverse written out for the 2×2 case
    lr, lam = 0.5, 2.0
    m = A + lam * np.eye(2)
    inverse = np.array([[m[1, 1], -m[0, 1]], [-m[1, 0], m[0, 0]]]) / np.linalg.det(m)
    expected = [START]
    for _ in range(3):
        expected.append(expected[-1] - lr * inverse @ grad_fn(expected[-1]))
    assert_paths_equal(run(opt.newton(lambda p: A, lr=lr, damping=lam), steps=3), expected)


def test_newton_at_a_saddle_and_on_a_flat_direction():
    saddle = np.diag([-1.0, 4.0])  # f = (4y² − x²)/2: Newton jumps to the saddle at once
    opt_saddle = opt.newton(lambda p: saddle)
    p = np.array([0.3, 0.8])
    p, _ = opt_saddle.update(saddle @ p, opt_saddle.init(p), p)
    np.testing.assert_allclose(p, [0.0, 0.0], atol=1e-15)
    # damping λ = 2 > 1 turns the negative curvature into a descent direction
    damped = opt.newton(lambda p: saddle, damping=2.0)
    q = np.array([0.3, 0.8])
    q, _ = damped.update(saddle @ q, damped.init(q), q)
    np.testing.assert_allclose(q, [0.3 + 0.3 / 1.0, 0.8 - 3.2 / 6.0])
    # singular H: no step along the flat direction, the full step along the other
    flat = opt.newton(lambda p: np.diag([0.0, 2.0]))
    r, state = flat.update(np.array([1.0, 2.0]), flat.init(None), np.array([5.0, 5.0]))
    assert r.tolist() == [5.0, 4.0] and state.evaluations == (0, 1, 1)
    # H = 0 exactly: no step at all; a non-finite H: nan (the recorder calls it diverged)
    zero = opt.newton(lambda p: np.zeros((2, 2)))
    assert zero.update(np.ones(2), zero.init(None), np.ones(2))[0].tolist() == [1.0, 1.0]
    broken = opt.newton(lambda p: np.full((2, 2), np.nan))
    assert np.isnan(broken.update(np.ones(2), broken.init(None), np.ones(2))[0]).all()


def test_newton_direction_broadcasts_over_points():
    h = np.stack([np.diag([1.0, 2.0]), np.diag([-1.0, 4.0]), np.zeros((2, 2))], axis=-1)
    g = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    d = opt.newton_direction(h, g)
    assert d.shape == (2, 3)
    for k in range(3):
        np.testing.assert_allclose(d[:, k], opt.newton_direction(h[..., k], g[:, k]))
    np.testing.assert_allclose(d, [[1.0, -1.0, 0.0], [1.0, 0.5, 0.0]])
