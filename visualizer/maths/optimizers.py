"""Optimizers as pairs of pure functions, in the style of optax.

Each factory closes over its hyperparameters and returns an :class:`Optimizer`:
``init(params) -> state`` and ``update(grad, state, params) -> (new_params, state)``.
State is a small named tuple, returned fresh and never mutated. ``grad`` is the
gradient at ``lookahead(state, params)``, which is ``params`` for every optimizer
but Nesterov's. Stochastic gradients (``sgd``) come from a seeded gradient oracle
built by the recorder, so the optimizers themselves are deterministic.

Examples
--------
>>> import numpy as np
>>> opt = momentum(lr=0.1, beta=0.9)
>>> params = np.array([1.0, 2.0])
>>> state = opt.init(params)
>>> params, state = opt.update(2 * params, state, params)
>>> params.tolist(), state.velocity.tolist()
([0.8, 1.6], [0.2, 0.4])

Your own optimizer is the same pair, with a label and the hyperparameters the
legend should show; race it against the built-ins (this is the README's example):

>>> def lion(lr=1e-3, beta1=0.9, beta2=0.99):
...     # Lion (Chen et al., 2023): the sign of an interpolated momentum
...     def init(params):
...         return np.zeros_like(params)
...     def update(grad, m, params):
...         step = np.sign(beta1 * m + (1 - beta1) * grad)
...         return params - lr * step, beta2 * m + (1 - beta2) * grad
...     hyper = {"lr": lr, "beta1": beta1, "beta2": beta2}
...     return Optimizer(init, update, label="lion", hyper=hyper)
>>> from surfaces import get_surface
>>> from visualizer.maths.recorder import record
>>> rec = record(get_surface("rosenbrock"), ["momentum:lr=0.0004", lion(lr=0.01)], steps=300)
>>> [(run.label, run.spec.hyper_text()) for run in rec.runs]
[('momentum', 'lr=0.0004 beta=0.9'), ('lion', 'lr=0.01 beta1=0.9 beta2=0.99')]
>>> bool(rec.runs[1].losses[-1] < rec.runs[0].losses[-1])
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

Array = np.ndarray


def _identity_lookahead(state: Any, params: Array) -> Array:
    return params


class Optimizer(NamedTuple):
    """A pure optimizer: ``init``, ``update`` and where to evaluate the gradient.

    Your own optimizer is one of these too; give it a ``label`` for the legend and
    the ``hyper``-parameters it wants shown beside it. See :func:`sign_sgd`.

    Attributes
    ----------
    init
        ``init(params) -> state``.
    update
        ``update(grad, state, params) -> (new_params, new_state)``.
    lookahead
        ``lookahead(state, params)``: where the gradient is taken (Nesterov).
    label
        Legend label of a user's optimizer (the built-ins are named by their spec).
    hyper
        Hyperparameters to show in the legend, ``{"lr": 0.01}``.
    """

    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array], tuple[Array, Any]]
    lookahead: Callable[[Any, Array], Array] = _identity_lookahead
    label: str | None = None
    hyper: Mapping[str, Any] = MappingProxyType({})


class EmptyState(NamedTuple):
    """State of a stateless optimizer."""


class VelocityState(NamedTuple):
    """Heavy-ball state: the velocity ``v`` (the last step taken, as ``θ ← θ − v``)."""

    velocity: Array


class AccumulatorState(NamedTuple):
    """Running (possibly decayed) sum of squared gradients."""

    sum_sq: Array


class AdamState(NamedTuple):
    """First and second moment estimates and the step count."""

    count: int
    mu: Array
    nu: Array


def gd(lr: float) -> Optimizer:
    """Gradient descent ``θ ← θ − lr·g`` (Cauchy, 1847)."""

    def init(params: Array) -> EmptyState:
        return EmptyState()

    def update(grad: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        return params - lr * grad, state

    return Optimizer(init, update)


def sgd(lr: float) -> Optimizer:
    """Stochastic gradient descent: :func:`gd` fed a stochastic gradient.

    The update rule is the same as :func:`gd`; the recorder supplies minibatch or
    noisy gradients from a seeded oracle.
    """
    return gd(lr)


def momentum(lr: float, beta: float = 0.9) -> Optimizer:
    """Heavy-ball momentum in the source's form ``v ← β·v + lr·g ; θ ← θ − v``."""

    def init(params: Array) -> VelocityState:
        return VelocityState(velocity=np.zeros_like(params))

    def update(grad: Array, state: VelocityState, params: Array) -> tuple[Array, VelocityState]:
        v = beta * state.velocity + lr * grad
        return params - v, VelocityState(velocity=v)

    return Optimizer(init, update)


def nesterov(lr: float, beta: float = 0.9) -> Optimizer:
    """Nesterov momentum ``v ← β·v + lr·∇f(θ − β·v) ; θ ← θ − v``."""

    def lookahead(state: VelocityState, params: Array) -> Array:
        return params - beta * state.velocity

    base = momentum(lr, beta)
    return Optimizer(base.init, base.update, lookahead)


def adagrad(lr: float, eps: float = 1e-8) -> Optimizer:
    """AdaGrad ``G ← G + g² ; θ ← θ − lr·g/(√G + eps)``."""

    def init(params: Array) -> AccumulatorState:
        return AccumulatorState(sum_sq=np.zeros_like(params))

    def update(
        grad: Array, state: AccumulatorState, params: Array
    ) -> tuple[Array, AccumulatorState]:
        g2 = state.sum_sq + grad**2
        return params - lr * grad / (np.sqrt(g2) + eps), AccumulatorState(sum_sq=g2)

    return Optimizer(init, update)


def rmsprop(lr: float, rho: float = 0.9, eps: float = 1e-8) -> Optimizer:
    """RMSProp ``s ← ρ·s + (1−ρ)·g² ; θ ← θ − lr·g/(√s + eps)``."""

    def init(params: Array) -> AccumulatorState:
        return AccumulatorState(sum_sq=np.zeros_like(params))

    def update(
        grad: Array, state: AccumulatorState, params: Array
    ) -> tuple[Array, AccumulatorState]:
        s = rho * state.sum_sq + (1.0 - rho) * grad**2
        return params - lr * grad / (np.sqrt(s) + eps), AccumulatorState(sum_sq=s)

    return Optimizer(init, update)


def adam(lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam (Kingma & Ba, 2015) with bias correction; ``eps`` is added after the root."""

    def init(params: Array) -> AdamState:
        return AdamState(count=0, mu=np.zeros_like(params), nu=np.zeros_like(params))

    def update(grad: Array, state: AdamState, params: Array) -> tuple[Array, AdamState]:
        count = state.count + 1
        mu = beta1 * state.mu + (1.0 - beta1) * grad
        nu = beta2 * state.nu + (1.0 - beta2) * grad**2
        mu_hat = mu / (1.0 - beta1**count)
        nu_hat = nu / (1.0 - beta2**count)
        return params - lr * mu_hat / (np.sqrt(nu_hat) + eps), AdamState(count, mu, nu)

    return Optimizer(init, update)


def sign_sgd(lr: float) -> Optimizer:
    """signSGD (Bernstein et al., 2018): ``θ ← θ − lr·sign(g)``; an example of your own.

    Examples
    --------
    >>> opt = sign_sgd(lr=0.1)
    >>> opt.update(np.array([3.0, -0.2]), opt.init(None), np.array([1.0, 1.0]))[0].tolist()
    [0.9, 1.1]
    >>> opt.label, dict(opt.hyper)
    ('sign-sgd', {'lr': 0.1})
    """

    def init(params: Array) -> EmptyState:
        return EmptyState()

    def update(grad: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        return params - lr * np.sign(grad), state

    return Optimizer(init, update, label="sign-sgd", hyper={"lr": lr})


class ScheduledState(NamedTuple):
    """State of :func:`scheduled`: the step count and the inner optimizer's state."""

    count: int
    inner: Any


def scheduled(optimizer: Optimizer, factors: Array) -> Optimizer:
    """Scale each step of ``optimizer`` by ``factors[t]`` at step ``t``.

    The inner optimizer updates its state as usual; only the move is scaled,
    ``θ ← θ + factors[t]·(θ' − θ)``. For a step linear in the learning rate (every
    built-in, and torch's and optax's ``SGD``, ``Adam``, ``Lion``…) that is the
    learning rate ``lr·factors[t]``, exactly as ``torch.optim.lr_scheduler`` sets it.

    Examples
    --------
    >>> opt = scheduled(gd(lr=1.0), np.array([1.0, 0.5]))
    >>> p, state = np.array([4.0]), opt.init(np.array([4.0]))
    >>> p, state = opt.update(p, state, p)
    >>> p, state = opt.update(np.array([1.0]), state, p)
    >>> p.tolist(), state.count
    ([-0.5], 2)
    """
    factors = np.asarray(factors, dtype=float)

    def init(params: Array) -> ScheduledState:
        return ScheduledState(count=0, inner=optimizer.init(params))

    def update(grad: Array, state: ScheduledState, params: Array) -> tuple[Array, ScheduledState]:
        moved, inner = optimizer.update(grad, state.inner, params)
        new = params + factors[state.count] * (moved - params)
        return new, ScheduledState(count=state.count + 1, inner=inner)

    def lookahead(state: ScheduledState, params: Array) -> Array:
        return optimizer.lookahead(state.inner, params)

    return optimizer._replace(init=init, update=update, lookahead=lookahead)


def rule_state(state: Any) -> Any:
    """The state of an optimizer's own rule, under a schedule (:func:`scheduled`) if any.

    Examples
    --------
    >>> p = np.array([1.0])
    >>> rule_state(scheduled(momentum(0.1), np.ones(3)).init(p)).velocity.tolist()
    [0.0]
    """
    return state.inner if isinstance(state, ScheduledState) else state


def velocity(state: Any) -> Array | None:
    """An optimizer's velocity (its last step, ``θ ← θ − v``), or ``None`` for a rule
    without one. The one accessor the recorders read it through.

    Examples
    --------
    >>> opt = momentum(lr=0.5, beta=0.9)
    >>> p, state = opt.update(np.array([2.0]), opt.init(np.array([0.0])), np.array([0.0]))
    >>> velocity(state).tolist(), velocity(gd(0.1).init(p))
    ([1.0], None)
    """
    inner = rule_state(state)
    return inner.velocity if isinstance(inner, VelocityState) else None


#: Eigenvalues of ``H + λI`` at most this times the largest (in size) count as zero.
NEWTON_RCOND = 1e-12


class NewtonState(NamedTuple):
    """Newton's state: the evaluations so far, ``(f, ∇f, H)`` (it keeps nothing else)."""

    evaluations: tuple[int, int, int]


def newton_direction(hess: Array, grad: Array, damping: float = 0.0) -> Array:
    """``(H + λI)⁺ g``: the step Newton's method subtracts, for any symmetric ``H``.

    ``hess`` is ``(2, 2, ...)`` and ``grad`` ``(2, ...)``; they broadcast. The
    pseudo-inverse is taken through the eigendecomposition ``H + λI = V diag(w) Vᵀ``:
    each eigendirection is divided by its eigenvalue ``w``, **whatever its sign**
    (negative curvature is kept, so the step heads for the critical point of the
    local quadratic model, a saddle's too), and an eigenvalue with ``|w|`` at most
    :data:`NEWTON_RCOND` times the largest gets no step at all (a flat direction: the
    model has no critical point along it). A non-finite ``H`` or ``g`` gives ``nan``.

    Examples
    --------
    >>> newton_direction(np.diag([-1.0, 4.0]), np.array([0.5, 2.0])).tolist()
    [-0.5, 0.5]
    >>> newton_direction(np.diag([0.0, 2.0]), np.array([1.0, 2.0])).tolist()  # singular
    [0.0, 1.0]
    >>> newton_direction(np.diag([-1.0, 4.0]), np.array([0.5, 2.0]), damping=3.0).tolist()
    [0.25, 0.2857142857142857]
    """
    h = np.moveaxis(np.asarray(hess, dtype=float), (0, 1), (-2, -1))
    g = np.moveaxis(np.asarray(grad, dtype=float), 0, -1)
    ok = np.all(np.isfinite(h), axis=(-2, -1)) & np.all(np.isfinite(g), axis=-1)
    h = np.where(ok[..., None, None], h, 0.0) + damping * np.eye(2)
    w, v = np.linalg.eigh(h)
    size = np.max(np.abs(w), axis=-1, keepdims=True)
    kept = np.abs(w) > NEWTON_RCOND * size
    inverse = np.where(kept, 1.0 / np.where(kept, w, 1.0), 0.0)
    along = np.einsum("...ji,...j->...i", v, np.where(ok[..., None], g, 0.0))
    step = np.einsum("...ij,...j->...i", v, inverse * along)
    return np.moveaxis(np.where(ok[..., None], step, np.nan), -1, 0)


def newton(hess: Callable[[Array], Array], lr: float = 1.0, damping: float = 0.0) -> Optimizer:
    """Newton's method ``θ ← θ − lr·(H + λI)⁻¹ g``, ``H`` the Hessian at ``θ``.

    ``hess(params)`` returns the Hessian (``(2, 2, ...)`` for params ``(2, ...)``);
    singular and indefinite Hessians are handled as :func:`newton_direction` says.
    Each step costs one gradient (the one it is given) and one Hessian, counted in
    its state.

    Examples
    --------
    One step with ``lr = 1`` lands on the minimum of a quadratic, ``θ* = −A⁻¹b``:

    >>> A, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])
    >>> opt = newton(lambda p: A, lr=1.0)
    >>> p = np.array([5.0, -7.0])
    >>> p, state = opt.update(A @ p + b, opt.init(p), p)
    >>> np.allclose(p, -np.linalg.solve(A, b)), state.evaluations
    (True, (0, 1, 1))
    """

    def init(params: Array) -> NewtonState:
        return NewtonState(evaluations=(0, 0, 0))

    def update(grad: Array, state: NewtonState, params: Array) -> tuple[Array, NewtonState]:
        step = newton_direction(hess(params), grad, damping)
        f, g, h = state.evaluations
        return params - lr * step, NewtonState(evaluations=(f, g + 1, h + 1))

    return Optimizer(init, update)
