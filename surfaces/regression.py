"""A data-driven surface: the loss of 2-parameter linear regression.

The loss over the slope ``w`` and intercept ``b`` is the mean of per-sample
losses, the source's ``L(W) = 1/N Σ L_i``::

    L(w, b) = 1/N Σ_i ½ (w x_i + b − y_i)²

over a fixed synthetic dataset drawn from a seeded generator. The full-batch
``f`` and ``grad`` use the dataset's moments so they broadcast over grids
cheaply; :class:`~surfaces.base.Dataset` gives real minibatch gradients for SGD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray

#: The line the data are drawn around: ``y = TRUE_SLOPE x + TRUE_INTERCEPT + noise``.
TRUE_SLOPE = 2.0
TRUE_INTERCEPT = -1.0


@dataclass(frozen=True)
class RegressionData:
    """Samples ``(x_i, y_i)`` and the moments used for full-batch evaluation."""

    x: Array
    y: Array

    @property
    def n_samples(self) -> int:
        """Number of samples ``N``."""
        return int(self.x.size)

    def f(self, p: Array) -> Array:
        """Mean loss at ``p`` of shape ``(2, ...)``; broadcasts."""
        w, b = np.asarray(p, dtype=float)
        x, y = self.x, self.y
        sxx, sx, sxy, sy, syy = (x * x).mean(), x.mean(), (x * y).mean(), y.mean(), (y * y).mean()
        return 0.5 * (w * w * sxx + 2 * w * b * sx + b * b - 2 * w * sxy - 2 * b * sy + syy)

    def grad(self, p: Array) -> Array:
        """Full-batch gradient at ``p`` of shape ``(2, ...)``; broadcasts."""
        w, b = np.asarray(p, dtype=float)
        x, y = self.x, self.y
        sxx, sx, sxy, sy = (x * x).mean(), x.mean(), (x * y).mean(), y.mean()
        return np.stack([w * sxx + b * sx - sxy, w * sx + b - sy])

    def hess(self, p: Array) -> Array:
        """Hessian at ``p`` of shape ``(2, ...)``: the constant ``[[E x², E x], [E x, 1]]``."""
        w = np.asarray(p, dtype=float)[0]
        sxx, sx = float((self.x * self.x).mean()), float(self.x.mean())
        ones = np.ones_like(w)
        return np.stack([np.stack([sxx * ones, sx * ones]), np.stack([sx * ones, ones])])

    def batch_grad(self, p: Array, indices: Array) -> Array:
        """Gradient at one point ``p`` (shape ``(2,)``) of the mean loss over ``indices``."""
        w, b = np.asarray(p, dtype=float)
        x, y = self.x[indices], self.y[indices]
        residual = w * x + b - y
        return np.array([np.mean(residual * x), np.mean(residual)])

    def minimum(self) -> tuple[float, float]:
        """The least-squares solution ``(w*, b*)``."""
        design = np.stack([self.x, np.ones_like(self.x)], axis=1)
        (w, b), *_ = np.linalg.lstsq(design, self.y, rcond=None)
        return float(w), float(b)


#: Defaults of the dataset: label noise 2 makes batch-32 gradients visibly noisy.
DEFAULT_SAMPLES, DEFAULT_NOISE, DEFAULT_SEED = 1024, 2.0, 0


def make_data(
    *, samples: int = DEFAULT_SAMPLES, noise: float = DEFAULT_NOISE, seed: int = DEFAULT_SEED
) -> RegressionData:
    """Draw the synthetic dataset.

    Parameters
    ----------
    samples
        Number of samples ``N``.
    noise
        Standard deviation of the label noise.
    seed
        Seed of the generator; the same seed gives the same data.

    Examples
    --------
    >>> data = make_data(samples=8, seed=1)
    >>> data.n_samples
    8
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 3.0, size=samples)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + noise * rng.standard_normal(samples)
    return RegressionData(x=x, y=y)
