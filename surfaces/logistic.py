"""A data-driven surface: the loss of 1-feature logistic regression.

With labels ``ỹ_i = ±1`` (from 0/1), the loss over the weight ``w`` and bias ``b``
is the mean logistic loss::

    L(w, b) = 1/N Σ_i log(1 + exp(−ỹ_i (w x_i + b)))

``f`` and ``grad`` broadcast over grids (summing over the samples in chunks, so
a grid of any size stays within a few tens of MB); :meth:`LogisticData.batch_grad`
gives real minibatch gradients. The loss is convex; its minimum is found by
Newton's method, and does not exist when the classes are separable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surfaces.errors import SpecError

Array = np.ndarray

#: How the default data are drawn: ``P(y = 1 | x) = σ(TRUE_W x + TRUE_B)``.
TRUE_W, TRUE_B = 2.0, -1.0
#: Largest number of grid points × samples evaluated at once.
_CHUNK = 2**21


def _sigmoid(z: Array) -> Array:
    """``1 / (1 + e^{−z})`` without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass(frozen=True)
class LogisticData:
    """Samples ``(x_i, ỹ_i)`` with ``ỹ_i = ±1``."""

    x: Array
    t: Array

    @property
    def n_samples(self) -> int:
        """Number of samples ``N``."""
        return int(self.x.size)

    def _mean_over_samples(self, p: Array, term: str) -> Array:
        w, b = (np.asarray(v, dtype=float)[..., None] for v in np.asarray(p, dtype=float))
        out = []
        step = max(1, _CHUNK // max(1, w.size))
        total = [np.zeros(np.broadcast_shapes(w.shape, b.shape)[:-1]) for _ in range(2)]
        for lo in range(0, self.n_samples, step):
            x, t = self.x[lo : lo + step], self.t[lo : lo + step]
            margin = t * (w * x + b)
            if term == "loss":
                total[0] = total[0] + np.logaddexp(0.0, -margin).sum(axis=-1)
            else:
                s = -t * _sigmoid(-margin)
                total[0] = total[0] + (s * x).sum(axis=-1)
                total[1] = total[1] + s.sum(axis=-1)
        out = [v / self.n_samples for v in total]
        return out[0] if term == "loss" else np.stack(out)

    def f(self, p: Array) -> Array:
        """Mean loss at ``p`` of shape ``(2, ...)``; broadcasts."""
        return self._mean_over_samples(p, "loss")

    def grad(self, p: Array) -> Array:
        """Full-batch gradient at ``p`` of shape ``(2, ...)``; broadcasts."""
        return self._mean_over_samples(p, "grad")

    def batch_grad(self, p: Array, indices: Array) -> Array:
        """Gradient at one point ``p`` (shape ``(2,)``) of the mean loss over ``indices``."""
        w, b = np.asarray(p, dtype=float)
        x, t = self.x[indices], self.t[indices]
        s = -t * _sigmoid(-t * (w * x + b))
        return np.array([np.mean(s * x), np.mean(s)])

    def curvature(self) -> float:
        """An upper bound of the Hessian's largest eigenvalue: that of ``¼ E[(x, 1)(x, 1)ᵀ]``."""
        a, c = np.mean(self.x**2), np.mean(self.x)
        return float(0.25 * (0.5 * (a + 1) + np.hypot(0.5 * (a - 1), c)))

    def minimum(self) -> tuple[float, float] | None:
        """The minimizer ``(w*, b*)`` by Newton's method, or ``None`` if the classes separate.

        In one feature the classes separate (and the loss has no minimum, only an
        infimum of 0 at infinity) exactly when one class lies strictly on one side.
        """
        neg, pos = self.x[self.t < 0], self.x[self.t > 0]
        if neg.size == 0 or pos.size == 0 or neg.max() < pos.min() or pos.max() < neg.min():
            return None
        theta = np.zeros(2)
        design = np.stack([self.x, np.ones_like(self.x)], axis=1)
        with np.errstate(all="ignore"):
            for _ in range(100):
                margin = self.t * (design @ theta)
                s = _sigmoid(-margin)
                g = design.T @ (-self.t * s) / self.n_samples
                h = (design.T * (s * (1 - s))) @ design / self.n_samples
                try:
                    step = np.linalg.solve(h + 1e-300 * np.eye(2), g)
                except np.linalg.LinAlgError:
                    return None
                theta = theta - step
                if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > 1e6:
                    return None
                if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(theta))):
                    return float(theta[0]), float(theta[1])
        return None


def logistic_data(x: Array, labels: Array, *, source: str = "data") -> LogisticData:
    """Check 0/1 labels and make the ±1 form.

    Raises
    ------
    SpecError
        Labels other than 0 and 1, or fewer than two samples.
    """
    x, labels = np.asarray(x, dtype=float), np.asarray(labels, dtype=float)
    if x.size < 2:
        raise SpecError(f"{source}: at least 2 samples are needed, got {x.size}")
    bad = ~np.isin(labels, (0.0, 1.0))
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise SpecError(f"{source}: labels must be 0 or 1; row {row} has {labels[row - 1]:g}")
    return LogisticData(x=x, t=2.0 * labels - 1.0)


def make_data(*, samples: int = 512, seed: int = 0) -> LogisticData:
    """Draw the default dataset: ``x ~ U(−3, 3)``, ``P(y = 1) = σ(2x − 1)``.

    Examples
    --------
    >>> data = make_data(samples=8, seed=1)
    >>> data.n_samples, sorted(set(data.t.tolist()))
    (8, [-1.0, 1.0])
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, size=samples)
    labels = (rng.uniform(size=samples) < _sigmoid(TRUE_W * x + TRUE_B)).astype(float)
    return logistic_data(x, labels)
