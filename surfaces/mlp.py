"""A small neural network and its data: the loss of a real model, in numpy.

A one-hidden-layer perceptron ``x → tanh(x W₁ + b₁) W₂ + b₂ → softmax``, trained
with the mean cross-entropy over a labelled dataset::

    L(θ) = 1/N Σ_i −log softmax(MLP_θ(x_i))[y_i]

All parameters live in one flat vector ``θ`` (``W₁, b₁, W₂, b₂`` in that order,
row-major), so the project's optimizers, which work on arrays of any shape, train
it unchanged. The gradient is analytic backpropagation (checked against finite
differences in the tests). :meth:`Classifier.plane_losses` evaluates the loss
on a whole grid of points of a plane in parameter space at once.

Data: two interleaving half-moons and two concentric circles are drawn in numpy
from a seeded generator; the 8x8 ``digits`` come from scikit-learn, which ships
them inside the package (the optional extra ``lossviz[digits]``).

Examples
--------
>>> problem = make_problem(data="moons", hidden=4, samples=64, seed=0)
>>> problem.net.size
22
>>> theta = problem.init
>>> loss, grad = problem.loss_and_grad(theta)
>>> grad.shape, round(loss, 4) == round(problem.loss(theta), 4)
((22,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surfaces.errors import SpecError

Array = np.ndarray

DATASETS = ("moons", "circles", "digits")

#: Label noise (standard deviation, in the data's units) of the generated datasets.
MOONS_NOISE = 0.2
CIRCLES_NOISE = 0.1
#: Radius of the inner circle relative to the outer one.
CIRCLES_FACTOR = 0.5
#: Floats per chunk in :meth:`Classifier.plane_losses`: small enough to stay in cache.
PLANE_CHUNK_FLOATS = 32_768


@dataclass(frozen=True)
class Split:
    """A labelled dataset split into training and test samples.

    Attributes
    ----------
    name
        ``"moons"``, ``"circles"`` or ``"digits"``.
    x_train, y_train
        Features ``(N, d)`` (standardised with the training statistics) and
        integer labels ``(N,)``.
    x_test, y_test
        Held-out samples, standardised the same way.
    n_classes
        Number of classes ``K``.
    """

    name: str
    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    n_classes: int


def two_moons(
    samples: int, rng: np.random.Generator, noise: float = MOONS_NOISE
) -> tuple[Array, Array]:
    """Two interleaving half-circles, labels 0 and 1 alternating by sample.

    Returns ``(x, y)`` with ``x`` of shape ``(samples, 2)``.

    Examples
    --------
    >>> x, y = two_moons(6, np.random.default_rng(0))
    >>> x.shape, y.tolist()
    ((6, 2), [0, 1, 0, 1, 0, 1])
    """
    y = np.arange(samples) % 2
    t = rng.uniform(0.0, np.pi, samples)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(y[:, None] == 0, upper, lower)
    return x + noise * rng.standard_normal(x.shape), y


def two_circles(
    samples: int,
    rng: np.random.Generator,
    noise: float = CIRCLES_NOISE,
    factor: float = CIRCLES_FACTOR,
) -> tuple[Array, Array]:
    """Two concentric circles (outer label 0, inner label 1).

    Examples
    --------
    >>> x, y = two_circles(4, np.random.default_rng(0), noise=0.0)
    >>> np.round(np.hypot(*x.T), 6).tolist()
    [1.0, 0.5, 1.0, 0.5]
    """
    y = np.arange(samples) % 2
    t = rng.uniform(0.0, 2 * np.pi, samples)
    r = np.where(y == 0, 1.0, factor)
    x = r[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    return x + noise * rng.standard_normal(x.shape), y


def _digits() -> tuple[Array, Array]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SpecError("data=digits needs scikit-learn: pip install 'lossviz[digits]'") from None
    bunch = load_digits()
    return np.asarray(bunch.data, dtype=float), np.asarray(bunch.target, dtype=np.intp)


#: Digits has 1797 samples; at least this many stay out of training, for the test set.
DIGITS_MIN_TEST = 297


def make_split(data: str, *, samples: int, seed: int) -> Split:
    """Draw (or load) a dataset and split it into training and test samples.

    Parameters
    ----------
    data
        ``"moons"``, ``"circles"`` or ``"digits"``.
    samples
        Training samples ``N``. Generated data get a test set of the same size
        from the same generator; ``digits`` keeps the samples not drawn for
        training as its test set (so ``N <= 1500``).
    seed
        Seed of the draw and of the shuffle.

    Raises
    ------
    SpecError
        An unknown dataset, too many digits, or scikit-learn missing for ``digits``.
    """
    rng = np.random.default_rng([seed, 7])
    if data in ("moons", "circles"):
        draw = two_moons if data == "moons" else two_circles
        x, y = draw(2 * samples, rng)
        order = rng.permutation(2 * samples)
        x, y = x[order], y[order]
        train, test = slice(0, samples), slice(samples, None)
        n_classes = 2
    elif data == "digits":
        x, y = _digits()
        if samples > len(y) - DIGITS_MIN_TEST:
            raise SpecError(
                f"surface mlp: samples must be <= {len(y) - DIGITS_MIN_TEST} for digits, "
                f"got {samples}"
            )
        order = rng.permutation(len(y))
        x, y = x[order], y[order]
        train, test = slice(0, samples), slice(samples, None)
        n_classes = 10
    else:
        raise SpecError(f"surface mlp: data must be one of {', '.join(DATASETS)}, got {data!r}")
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)  # constant pixels of the digits stay zero
    x = (x - mean) / std
    return Split(data, x[train], y[train], x[test], y[test], n_classes)


@dataclass(frozen=True)
class Layer:
    """Where one block of parameters sits in the flat vector.

    ``kind`` is ``"weight"`` (shape ``(fan_in, fan_out)``: column ``j`` is the
    filter of unit ``j``) or ``"bias"``.
    """

    start: int
    shape: tuple[int, ...]
    kind: str

    @property
    def stop(self) -> int:
        """End of the block in the flat vector."""
        return self.start + int(np.prod(self.shape))


@dataclass(frozen=True)
class MLP:
    """Shapes of a one-hidden-layer tanh perceptron with a softmax output.

    Examples
    --------
    >>> net = MLP(n_in=2, n_hidden=3, n_out=2)
    >>> net.size, [layer.shape for layer in net.layers]
    (17, [(2, 3), (3,), (3, 2), (2,)])
    """

    n_in: int
    n_hidden: int
    n_out: int

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The blocks ``W₁, b₁, W₂, b₂`` of the flat parameter vector."""
        shapes = (
            ((self.n_in, self.n_hidden), "weight"),
            ((self.n_hidden,), "bias"),
            ((self.n_hidden, self.n_out), "weight"),
            ((self.n_out,), "bias"),
        )
        out, start = [], 0
        for shape, kind in shapes:
            out.append(Layer(start, shape, kind))
            start = out[-1].stop
        return tuple(out)

    @property
    def size(self) -> int:
        """Number of parameters ``D``."""
        return self.layers[-1].stop

    def unflatten(self, theta: Array) -> tuple[Array, Array, Array, Array]:
        """Views ``W₁, b₁, W₂, b₂`` of ``theta`` (shape ``(..., D)``)."""
        theta = np.asarray(theta, dtype=float)
        lead = theta.shape[:-1]
        return tuple(
            theta[..., layer.start : layer.stop].reshape(*lead, *layer.shape)
            for layer in self.layers
        )  # type: ignore[return-value]

    def initial(self, rng: np.random.Generator) -> Array:
        """LeCun-normal weights (variance ``1/fan_in``), zero biases."""
        theta = np.zeros(self.size)
        for layer in self.layers:
            if layer.kind == "weight":
                fan_in = layer.shape[0]
                n = layer.stop - layer.start
                theta[layer.start : layer.stop] = rng.standard_normal(n) / np.sqrt(fan_in)
        return theta

    def logits(self, theta: Array, x: Array) -> Array:
        """Output scores ``(N, K)`` for inputs ``x`` of shape ``(N, d)``."""
        w1, b1, w2, b2 = self.unflatten(theta)
        return np.tanh(x @ w1 + b1) @ w2 + b2


def cross_entropy(logits: Array, y: Array) -> Array:
    """Per-sample cross-entropy of integer labels ``y`` under ``softmax(logits)``.

    ``logits`` has shape ``(..., N, K)``; returns ``(..., N)``. Stable for large logits.

    Examples
    --------
    >>> float(cross_entropy(np.array([[0.0, 0.0]]), np.array([1]))[0]) == float(np.log(2))
    True
    """
    top = logits.max(axis=-1, keepdims=True)
    log_z = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(logits, y[..., None], axis=-1)[..., 0]
    return log_z - picked


@dataclass(frozen=True)
class Classifier:
    """A network, its data and its seeded initialisation: the training problem.

    Attributes
    ----------
    net
        The network's shapes.
    split
        Training and test data.
    init
        The initial parameters ``θ₀`` (shape ``(D,)``) every run starts from.
    """

    net: MLP
    split: Split
    init: Array

    @property
    def n_samples(self) -> int:
        """Number of training samples ``N``."""
        return int(self.split.y_train.size)

    def loss(self, theta: Array) -> float:
        """Mean training cross-entropy at ``theta`` (shape ``(D,)``)."""
        s = self.split
        return float(cross_entropy(self.net.logits(theta, s.x_train), s.y_train).mean())

    def _loss_and_grad(self, theta: Array, x: Array, y: Array) -> tuple[float, Array]:
        net = self.net
        w1, b1, w2, b2 = net.unflatten(theta)
        h = np.tanh(x @ w1 + b1)
        z = h @ w2 + b2
        loss = float(cross_entropy(z, y).mean())
        dz = np.exp(z - z.max(axis=1, keepdims=True))
        dz /= dz.sum(axis=1, keepdims=True)
        dz[np.arange(len(y)), y] -= 1.0
        dz /= len(y)
        dh = (dz @ w2.T) * (1.0 - h * h)
        grads = (x.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0))
        return loss, np.concatenate([g.ravel() for g in grads])

    def loss_and_grad(self, theta: Array) -> tuple[float, Array]:
        """Training loss and its gradient (backpropagation) at ``theta``."""
        return self._loss_and_grad(theta, self.split.x_train, self.split.y_train)

    def grad(self, theta: Array) -> Array:
        """Full-batch gradient ``(D,)`` at ``theta``."""
        return self.loss_and_grad(theta)[1]

    def batch_grad(self, theta: Array, indices: Array) -> Array:
        """Gradient at ``theta`` of the mean loss over the training samples ``indices``."""
        s = self.split
        return self._loss_and_grad(theta, s.x_train[indices], s.y_train[indices])[1]

    def accuracy(self, theta: Array) -> float:
        """Fraction of test samples classified correctly at ``theta``."""
        s = self.split
        if s.y_test.size == 0:
            return float("nan")
        return float(np.mean(self.net.logits(theta, s.x_test).argmax(axis=1) == s.y_test))

    def plane_losses(self, center: Array, directions: Array, coords: Array) -> Array:
        """Training loss at ``center + a·d₁ + b·d₂`` for many ``(a, b)`` at once.

        The hidden pre-activations are linear in ``(a, b)``, so the three
        ``(N, H)`` products with the data are computed once and the grid is
        broadcast over them in chunks; the output layer is a batched matmul.

        Parameters
        ----------
        center
            ``θ_c``, shape ``(D,)``.
        directions
            ``d₁, d₂`` stacked, shape ``(2, D)``.
        coords
            Plane coordinates ``(G, 2)``.

        Returns
        -------
        numpy.ndarray
            Mean training cross-entropy ``(G,)``.
        """
        net, s = self.net, self.split
        x, y = s.x_train, s.y_train
        coords = np.atleast_2d(np.asarray(coords, dtype=float))
        w1, b1, w2, b2 = net.unflatten(np.concatenate([center[None], directions]))
        pre = np.einsum("nd,pdh->pnh", x, w1) + b1[:, None, :]  # (3, N, H)
        n, h = pre.shape[1:]
        k = net.n_out
        w2_all = np.concatenate(list(w2), axis=1)  # (H, 3K): the output layer at θ_c, d₁, d₂
        chunk = max(1, PLANE_CHUNK_FLOATS // max(1, n * max(h, 3 * k)))
        out = np.empty(len(coords))
        for lo in range(0, len(coords), chunk):
            ab = coords[lo : lo + chunk]
            g = len(ab)
            mix = np.concatenate([np.ones((g, 1)), ab], axis=1)  # (g, 3)
            hidden = np.tanh(mix @ pre.reshape(3, n * h)).reshape(g * n, h)
            parts = (hidden @ w2_all).reshape(g, n, 3, k)  # (g, N, 3, K)
            z = (
                parts[:, :, 0]
                + ab[:, 0, None, None] * parts[:, :, 1]
                + ab[:, 1, None, None] * parts[:, :, 2]
                + (mix @ b2)[:, None, :]
            )
            out[lo : lo + chunk] = cross_entropy(z, np.broadcast_to(y, z.shape[:2])).mean(axis=1)
        return out


def make_problem(*, data: str, hidden: int, samples: int, seed: int) -> Classifier:
    """The training problem: data, network and initialisation, all from ``seed``.

    Examples
    --------
    >>> a = make_problem(data="circles", hidden=3, samples=10, seed=1)
    >>> b = make_problem(data="circles", hidden=3, samples=10, seed=1)
    >>> bool(np.array_equal(a.init, b.init) and np.array_equal(a.split.x_train, b.split.x_train))
    True
    """
    split = make_split(data, samples=samples, seed=seed)
    net = MLP(n_in=split.x_train.shape[1], n_hidden=hidden, n_out=split.n_classes)
    init = net.initial(np.random.default_rng([seed, 11]))
    return Classifier(net=net, split=split, init=init)
