"""Brute-force learning-rate tuning for the quadratic ravine's preset.

The ravine's preset gives each optimizer its own best learning rate, found the
honest way: run every candidate and keep the one that first reaches, *and stays
below*, 1e-3 of the starting loss in the fewest steps. Vectorised over the
candidates, so it costs a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from surfaces.analytic import ravine, ravine_der
from visualizer.maths.optimizers import momentum

#: Where the ravine's runs start; shared with the surface definition.
RAVINE_START = (-4.0, 1.5)


def _settle_steps(positions: np.ndarray, kappa: float, tol: float) -> np.ndarray:
    """Per candidate: first step after which the loss stays below ``tol`` × start loss."""
    loss = ravine(np.moveaxis(positions, -1, 0), kappa)  # (steps+1, n)
    bad = ~(loss < tol * loss[0])
    last_bad = np.where(bad.any(axis=0), bad.shape[0] - 1 - np.argmax(bad[::-1], axis=0), -1)
    return np.where(bad[-1], np.iinfo(np.int64).max, last_bad + 1)


def _trajectories(kappa: float, lrs: np.ndarray, beta: float, steps: int) -> np.ndarray:
    """Heavy-ball runs on the ravine, one per learning rate, side by side: ``(steps+1, n, 2)``.

    ``beta=0`` is gradient descent. The parameters are held as ``(2, n)``, so the
    ravine's gradient and :func:`~visualizer.maths.optimizers.momentum`'s update run on
    every candidate at once.
    """
    optimizer = momentum(lr=lrs, beta=beta)
    p = np.repeat(np.asarray(RAVINE_START, dtype=float)[:, None], lrs.size, axis=1)
    state = optimizer.init(p)
    out = np.empty((steps + 1, 2, lrs.size))
    out[0] = p
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            p, state = optimizer.update(ravine_der(p, kappa), state, p)
            out[t] = p
    return np.moveaxis(out, 1, 2)


@lru_cache(maxsize=32)
def ravine_best_lrs(kappa: float, *, tol: float = 1e-3, steps: int = 400) -> tuple[float, float]:
    """Best learning rates ``(gd, momentum β=0.9)`` on ``0.5 (x² + κ y²)``.

    Parameters
    ----------
    kappa
        Condition number of the ravine.
    tol
        Target, as a fraction of the starting loss.
    steps
        Horizon of the search.

    Returns
    -------
    tuple of float
        The learning rates, rounded to 3 significant digits.

    Examples
    --------
    >>> gd_lr, mom_lr = ravine_best_lrs(100.0)
    >>> round(gd_lr * 100, 2), round(mom_lr * 100, 2)
    (1.95, 0.41)
    """
    best = []
    for beta, lo, hi in ((0.0, 0.5, 2.0), (0.9, 0.02, 3.5)):
        lrs = np.arange(lo, hi, 0.01) / kappa
        settle = _settle_steps(_trajectories(kappa, lrs, beta, steps), kappa, tol)
        best.append(float(f"{lrs[int(np.argmin(settle))]:.3g}"))
    return best[0], best[1]


def curvature_lr(
    grad: Callable[[np.ndarray], np.ndarray],
    window: tuple[float, float, float, float],
    *,
    n: int = 31,
) -> tuple[float, float]:
    """A safe common learning rate and a gradient scale for an unknown surface.

    The rate is ``1/L``, with ``L`` the 90th percentile, over an ``n × n`` grid of
    the window, of the largest absolute eigenvalue of the Hessian (central
    differences of the gradient), so gradient descent is stable over most of the
    window; but never so large that a typical step (median gradient norm) is
    longer than 10% of the window. The gradient scale is that median norm, to size
    SGD's noise.

    Examples
    --------
    >>> grad = lambda p: np.stack([2 * p[0], 20 * p[1]])  # L = 20, so 1/L = 0.05
    >>> curvature_lr(grad, (-1, 1, -1, 1))  # but a typical step |g| = 11 caps it
    (0.019, 11.0)
    """
    xmin, xmax, ymin, ymax = window
    X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    h = 1e-4 * max(xmax - xmin, ymax - ymin)
    with np.errstate(all="ignore"):
        gx = (grad(np.stack([X + h, Y])) - grad(np.stack([X - h, Y]))) / (2 * h)
        gy = (grad(np.stack([X, Y + h])) - grad(np.stack([X, Y - h]))) / (2 * h)
        a, b, d = gx[0], 0.5 * (gx[1] + gy[0]), gy[1]
        # eigenvalues of [[a, b], [b, d]]
        mid, rad = (a + d) / 2, np.sqrt(((a - d) / 2) ** 2 + b**2)
        top = np.maximum(np.abs(mid + rad), np.abs(mid - rad))
        norms = np.hypot(*grad(np.stack([X, Y])))
    top, norms = top[np.isfinite(top)], norms[np.isfinite(norms)]
    big = float(np.percentile(top, 90)) if top.size else 0.0
    scale = float(np.median(norms)) if norms.size else 0.0
    # and never a typical step longer than 10% of the window (flat or kinked surfaces)
    limits = [1.0 / big if big > 0 else np.inf]
    if scale > 0:
        limits.append(0.1 * max(xmax - xmin, ymax - ymin) / scale)
    lr = min(limits)
    lr = float(f"{lr:.2g}") if np.isfinite(lr) and lr > 0 else 0.1
    return lr, float(f"{scale:.2g}") if scale > 0 else 1.0
