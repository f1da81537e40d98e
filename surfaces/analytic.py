"""Analytic surfaces: closed-form losses with exact gradients.

Every ``f`` takes ``p`` of shape ``(2, ...)`` and broadcasts, like
``scipy.optimize.rosen``; every ``grad`` returns shape ``(2, ...)``.

Examples
--------
>>> import numpy as np
>>> X, Y = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 3))
>>> rosen(np.stack([X, Y])).shape
(3, 3)
>>> float(rosen(np.array([1.0, 1.0])))
0.0
"""

from __future__ import annotations

import numpy as np

from surfaces.base import Array
from surfaces.base import xy as _xy

# --- bowl -----------------------------------------------------------------


def bowl(p: Array) -> Array:
    """Round quadratic bowl ``0.5 (x² + y²)``."""
    x, y = _xy(p)
    return 0.5 * (x**2 + y**2)


def bowl_der(p: Array) -> Array:
    """Gradient of :func:`bowl`."""
    x, y = _xy(p)
    return np.stack([x, y])


# --- ravine ---------------------------------------------------------------


def ravine(p: Array, kappa: float = 50.0) -> Array:
    """Ill-conditioned quadratic valley ``0.5 (x² + κ y²)`` (condition number ``κ``)."""
    x, y = _xy(p)
    return 0.5 * (x**2 + kappa * y**2)


def ravine_der(p: Array, kappa: float = 50.0) -> Array:
    """Gradient of :func:`ravine`."""
    x, y = _xy(p)
    return np.stack([x, kappa * y])


# --- saddle ---------------------------------------------------------------


#: Curvature across the saddle (along y). Steep enough that gradient descent at
#: momentum's effective step lr/(1 − β) = 1 diverges (|1 − 4| > 1), while momentum
#: at lr = 0.1, β = 0.9 is stable (lr·4 < 2(1 + β)).
SADDLE_CROSS = 4.0


def saddle(p: Array) -> Array:
    """Saddle at the origin with minima at ``(±1, 0)``: ``x⁴/4 − x²/2 + 2y²``.

    Near the origin it is ``(4y² − x²)/2``; the quartic term bounds it below.
    """
    x, y = _xy(p)
    return 0.25 * x**4 - 0.5 * x**2 + 0.5 * SADDLE_CROSS * y**2


def saddle_der(p: Array) -> Array:
    """Gradient of :func:`saddle`."""
    x, y = _xy(p)
    return np.stack([x**3 - x, SADDLE_CROSS * y])


# --- local minimum ----------------------------------------------------------

#: Tilt of the double well: makes the left well deeper than the right one.
LOCAL_MINIMUM_TILT = 0.3
#: Curvature across the wells (along y). Jumping the ridge takes gradient descent a
#: step of lr ≳ 0.3, but any lr above 2/10 = 0.2 diverges across: no plain GD both
#: escapes and survives, while momentum (lr = 0.05, β = 0.9) does both.
LOCAL_MINIMUM_CROSS = 10.0


def local_minimum(p: Array) -> Array:
    """Tilted double well ``(x² − 4)²/16 + 0.3 x + 5 y²``.

    A shallow minimum near ``x ≈ 1.8`` and a deeper one near ``x ≈ −2.1``, with a
    ridge near ``x ≈ 0.3`` between them; steep across (curvature 10 along y).
    """
    x, y = _xy(p)
    return (x**2 - 4.0) ** 2 / 16.0 + LOCAL_MINIMUM_TILT * x + 0.5 * LOCAL_MINIMUM_CROSS * y**2


def local_minimum_der(p: Array) -> Array:
    """Gradient of :func:`local_minimum`."""
    x, y = _xy(p)
    return np.stack([x * (x**2 - 4.0) / 4.0 + LOCAL_MINIMUM_TILT, LOCAL_MINIMUM_CROSS * y])


def local_minimum_minima() -> tuple[tuple[float, float], ...]:
    """The two minima of :func:`local_minimum`, deep one first."""
    roots = np.roots([0.25, 0.0, -1.0, LOCAL_MINIMUM_TILT])  # x (x² − 4)/4 + tilt = 0
    real = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
    return ((float(real[0]), 0.0), (float(real[2]), 0.0))


# --- plateau ------------------------------------------------------------------

#: Curvature ratio of the plateau's well (y against x), so the paths do not overlap.
PLATEAU_ASPECT = 2.0


def plateau(p: Array) -> Array:
    """A flat plateau around one well: ``1 − exp(−(x² + 2y²)/2)``; minimum 0 at the origin.

    Not a saddle: the gradient vanishes nowhere but at the minimum and always points
    away from it, but far from the well it is exponentially small (about 0.008 at
    ``(3.2, 1)``), so the plateau is nearly flat.
    """
    x, y = _xy(p)
    return 1.0 - np.exp(-0.5 * (x**2 + PLATEAU_ASPECT * y**2))


def plateau_der(p: Array) -> Array:
    """Gradient of :func:`plateau`."""
    x, y = _xy(p)
    e = np.exp(-0.5 * (x**2 + PLATEAU_ASPECT * y**2))
    return np.stack([x * e, PLATEAU_ASPECT * y * e])


# --- classic test functions ---------------------------------------------------


def rosen(p: Array) -> Array:
    """Rosenbrock's banana ``(1 − x)² + 100 (y − x²)²``; minimum at ``(1, 1)``."""
    x, y = _xy(p)
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def rosen_der(p: Array) -> Array:
    """Gradient of :func:`rosen`."""
    x, y = _xy(p)
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)])


def beale(p: Array) -> Array:
    """Beale's function; minimum at ``(3, 0.5)``."""
    x, y = _xy(p)
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale_der(p: Array) -> Array:
    """Gradient of :func:`beale`."""
    x, y = _xy(p)
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y**2
    c = 2.625 - x + x * y**3
    dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y**2
    return np.stack([dx, dy])


def himmelblau(p: Array) -> Array:
    """Himmelblau's function ``(x² + y − 11)² + (x + y² − 7)²``; four minima."""
    x, y = _xy(p)
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def himmelblau_der(p: Array) -> Array:
    """Gradient of :func:`himmelblau`."""
    x, y = _xy(p)
    a = x**2 + y - 11.0
    b = x + y**2 - 7.0
    return np.stack([4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b])


HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
)


def rastrigin(p: Array) -> Array:
    """Rastrigin's function ``20 + Σ (t² − 10 cos 2πt)``; global minimum at the origin."""
    x, y = _xy(p)
    return 20.0 + x**2 - 10.0 * np.cos(2 * np.pi * x) + y**2 - 10.0 * np.cos(2 * np.pi * y)


def rastrigin_der(p: Array) -> Array:
    """Gradient of :func:`rastrigin`."""
    x, y = _xy(p)
    return np.stack(
        [
            2.0 * x + 20.0 * np.pi * np.sin(2 * np.pi * x),
            2.0 * y + 20.0 * np.pi * np.sin(2 * np.pi * y),
        ]
    )


# --- Hessians -------------------------------------------------------------------
#
# Each takes ``p`` of shape ``(2, ...)`` and returns ``(2, 2, ...)``, ``H[i, j] =
# ∂²f/∂p_i∂p_j``; they broadcast like the losses. ``tests/test_surfaces.py`` checks
# every one against central differences of its gradient.


def _hessian(xx: Array, xy: Array, yy: Array) -> Array:
    xx, xy, yy = np.broadcast_arrays(xx, xy, yy)
    return np.stack([np.stack([xx, xy]), np.stack([xy, yy])]).astype(float)


def bowl_hess(p: Array) -> Array:
    """Hessian of :func:`bowl`: the identity."""
    x, _ = _xy(p)
    return _hessian(np.ones_like(x), np.zeros_like(x), np.ones_like(x))


def ravine_hess(p: Array, kappa: float = 50.0) -> Array:
    """Hessian of :func:`ravine`: ``diag(1, κ)``."""
    x, _ = _xy(p)
    return _hessian(np.ones_like(x), np.zeros_like(x), np.full_like(x, kappa))


def saddle_hess(p: Array) -> Array:
    """Hessian of :func:`saddle`: ``diag(3x² − 1, 4)``, indefinite for ``|x| < 1/√3``."""
    x, _ = _xy(p)
    return _hessian(3.0 * x**2 - 1.0, np.zeros_like(x), np.full_like(x, SADDLE_CROSS))


def local_minimum_hess(p: Array) -> Array:
    """Hessian of :func:`local_minimum`: ``diag((3x² − 4)/4, 10)``."""
    x, _ = _xy(p)
    cross = np.full_like(x, LOCAL_MINIMUM_CROSS)
    return _hessian((3.0 * x**2 - 4.0) / 4.0, np.zeros_like(x), cross)


def plateau_hess(p: Array) -> Array:
    """Hessian of :func:`plateau`."""
    x, y = _xy(p)
    a = PLATEAU_ASPECT
    e = np.exp(-0.5 * (x**2 + a * y**2))
    return _hessian((1.0 - x**2) * e, -a * x * y * e, a * (1.0 - a * y**2) * e)


def rosen_hess(p: Array) -> Array:
    """Hessian of :func:`rosen`."""
    x, y = _xy(p)
    return _hessian(2.0 - 400.0 * (y - x**2) + 800.0 * x**2, -400.0 * x, np.full_like(x, 200.0))


def beale_hess(p: Array) -> Array:
    """Hessian of :func:`beale`."""
    x, y = _xy(p)
    terms = ((1.5, 1), (2.25, 2), (2.625, 3))
    xx = xy_ = yy = 0.0
    for c, k in terms:
        r = c - x + x * y**k  # residual
        rx, ry = y**k - 1.0, k * x * y ** (k - 1)  # its gradient
        rxy = k * y ** (k - 1)
        ryy = k * (k - 1) * x * y ** (k - 2) if k > 1 else 0.0 * x
        xx = xx + 2 * rx * rx
        xy_ = xy_ + 2 * (rx * ry + r * rxy)
        yy = yy + 2 * (ry * ry + r * ryy)
    return _hessian(xx, xy_, yy)


def himmelblau_hess(p: Array) -> Array:
    """Hessian of :func:`himmelblau`."""
    x, y = _xy(p)
    a = x**2 + y - 11.0
    b = x + y**2 - 7.0
    return _hessian(4.0 * a + 8.0 * x**2 + 2.0, 4.0 * x + 4.0 * y, 2.0 + 4.0 * b + 8.0 * y**2)


def rastrigin_hess(p: Array) -> Array:
    """Hessian of :func:`rastrigin`."""
    x, y = _xy(p)
    k = 40.0 * np.pi**2
    return _hessian(
        2.0 + k * np.cos(2 * np.pi * x), np.zeros_like(x), 2.0 + k * np.cos(2 * np.pi * y)
    )
