"""The negative gradient field: arrows of −∇f over the contour view.

The article's first picture: at every point, −∇f points downhill, at right angles
to the contour line through that point, and its length is the rate of descent.
:func:`field_vectors` computes the arrows (pure numpy); :class:`GradientField`
draws them once, as part of the static background, with matplotlib's ``quiver``
in data units, so on the contour view's equal-aspect axes each arrow really
crosses its contour at a right angle.

Examples
--------
>>> from surfaces import get_surface
>>> X, Y, U, V = field_vectors(get_surface("bowl"), n=(5, 3))
>>> X.shape, (float(X[1, 0]), float(Y[1, 0]))
((3, 5), (-4.0, 0.0))
>>> round(float(U[1, 0]), 3), abs(float(V[1, 0]))  # -grad = (4, 0); longest arrow 0.8 * 2
(1.412, 0.0)
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from surfaces.base import Surface
from visualizer.drawing.layer import Layer
from visualizer.drawing.theme import Theme

#: Longest arrow, as a fraction of the grid spacing (so arrows never touch).
LONGEST = 0.8
#: About one arrow per this many pixels of the view, so small frames get fewer, not tinier.
PIXELS_PER_ARROW = 45


def field_vectors(
    surface: Surface, *, n: tuple[int, int] = (17, 11)
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grid points ``X, Y`` over the window and the arrows ``U, V`` of −∇f there.

    Arrows keep their directions and relative lengths; the longest finite one is
    :data:`LONGEST` of the grid spacing. Non-finite gradients give zero arrows.

    Parameters
    ----------
    surface
        The surface; its window sets the grid.
    n
        Grid points along x and along y.
    """
    xmin, xmax, ymin, ymax = surface.window
    nx, ny = n
    dx, dy = (xmax - xmin) / nx, (ymax - ymin) / ny
    X, Y = np.meshgrid(
        np.linspace(xmin + dx / 2, xmax - dx / 2, nx), np.linspace(ymin + dy / 2, ymax - dy / 2, ny)
    )
    with np.errstate(all="ignore"):
        G = -np.asarray(surface.grad(np.stack([X, Y])), dtype=float)
    G[:, ~np.all(np.isfinite(G), axis=0)] = 0.0
    norm = np.hypot(G[0], G[1])
    top = float(norm.max()) if norm.size else 0.0
    scale = LONGEST * min(dx, dy) / top if top > 0 else 0.0
    return X, Y, G[0] * scale, G[1] * scale


def grid_for(width_px: float, height_px: float) -> tuple[int, int]:
    """Arrows along x and y for a view of this many pixels: one per ~45 px, 5..17 by 4..11.

    Examples
    --------
    >>> grid_for(800, 420), grid_for(300, 160)
    ((17, 9), (7, 4))
    """
    nx = int(np.clip(round(width_px / PIXELS_PER_ARROW), 5, 17))
    ny = int(np.clip(round(height_px / PIXELS_PER_ARROW), 4, 11))
    return nx, ny


class GradientField(Layer):
    """The −∇f arrows on a contour view's axes, drawn once with the background."""

    def __init__(self, ax: Axes, surface: Surface, theme: Theme) -> None:
        X, Y, U, V = field_vectors(surface, n=grid_for(ax.bbox.width, ax.bbox.height))
        self.quiver = ax.quiver(
            X,
            Y,
            U,
            V,
            angles="xy",
            scale_units="xy",
            scale=1.0,
            color=theme.muted,
            alpha=0.75,
            width=0.0028,
            headwidth=3.5,
            headlength=4.0,
            zorder=2,
        )
