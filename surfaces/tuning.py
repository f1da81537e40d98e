"""Brute-force learning-rate tuning for the quadratic ravine's preset.

The ravine's preset gives each optimizer its own best learning rate, found the
honest way: run every candidate and keep the one that first reaches, *and stays
below*, 1e-3 of the starting loss in the fewest steps. Vectorised over the
candidates, so it costs a few milliseconds.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Where the ravine's runs start; shared with the surface definition.
RAVINE_START = (-4.0, 1.5)


def _settle_steps(positions: np.ndarray, kappa: float, tol: float) -> np.ndarray:
    """Per candidate: first step after which the loss stays below ``tol`` × start loss."""
    x, y = positions[..., 0], positions[..., 1]  # (steps+1, n)
    loss = 0.5 * (x**2 + kappa * y**2)
    bad = ~(loss < tol * loss[0])
    last_bad = np.where(bad.any(axis=0), bad.shape[0] - 1 - np.argmax(bad[::-1], axis=0), -1)
    return np.where(bad[-1], np.iinfo(np.int64).max, last_bad + 1)


def _trajectories(kappa: float, lrs: np.ndarray, beta: float, steps: int) -> np.ndarray:
    p = np.tile(np.asarray(RAVINE_START, dtype=float), (lrs.size, 1))
    v = np.zeros_like(p)
    scale = np.array([1.0, kappa])
    out = np.empty((steps + 1, lrs.size, 2))
    out[0] = p
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            v = beta * v + lrs[:, None] * p * scale
            p = p - v
            out[t] = p
    return out


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
