"""Second derivatives of a surface: analytic where it has them, else from its gradient.

A surface with a ``hess`` (every analytic surface and ``regression``) uses it.
Any other (expressions, your own function, ``logistic``) gets central differences of
its gradient, ``H[:, j] = (∇f(p + h e_j) − ∇f(p − h e_j)) / 2h`` with
``h = cbrt(eps)·max(1, |p_j|)``, then symmetrised: four gradient evaluations, about
1e-10 relative on smooth surfaces (the error of the gradient, in turn, where the
gradient itself is numeric). A complex step is not used: the gradients of expression
surfaces are already complex steps, and those of analytic surfaces take real input.

Examples
--------
>>> import numpy as np
>>> from surfaces import get_surface
>>> hessian(get_surface("saddle"))(np.array([0.0, 0.0])).tolist()
[[-1.0, 0.0], [0.0, 4.0]]
>>> hessian_source(get_surface("saddle")), hessian_source(get_surface("x**2 + y**4"))
('analytic', 'central differences of the gradient')
>>> h = hessian(get_surface("x**2 + x*y + y**4"))(np.array([1.0, 1.0]))
>>> np.allclose(h, [[2, 1], [1, 12]], rtol=1e-8)
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from surfaces.base import Array, Surface

#: The relative step of the central differences: the cube root of machine epsilon.
CENTRAL_STEP = float(np.finfo(float).eps ** (1 / 3))


def hessian_source(surface: Surface) -> str:
    """How :func:`hessian` gets the surface's Hessian: ``"analytic"`` or the differences."""
    return "analytic" if surface.hess is not None else "central differences of the gradient"


def hessian(surface: Surface) -> Callable[[Array], Array]:
    """The Hessian ``(2, ...) -> (2, 2, ...)`` of ``surface``; see the module's docstring."""
    if surface.hess is not None:
        return surface.hess
    return lambda p: differenced_hessian(surface.grad, p)


def differenced_hessian(grad: Callable[[Array], Array], p: Array) -> Array:
    """Central differences of ``grad`` at ``p`` of shape ``(2, ...)``, symmetrised."""
    p = np.asarray(p, dtype=float)
    columns = []
    for j in range(2):
        h = CENTRAL_STEP * np.maximum(1.0, np.abs(p[j]))
        plus, minus = p.copy(), p.copy()
        plus[j] = p[j] + h
        minus[j] = p[j] - h
        # divide by the representable step, not by 2h
        columns.append((grad(plus) - grad(minus)) / (plus[j] - minus[j]))
    h = np.stack(columns, axis=1)  # h[i, j] = ∂g_i/∂p_j
    return 0.5 * (h + np.swapaxes(h, 0, 1))
