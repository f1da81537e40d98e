"""Model surfaces: a real network's loss, seen on a plane through its parameter space.

A model surface has two faces. Before recording, :func:`mlp_surface` gives a
:class:`~surfaces.base.Surface` whose ``f`` and ``grad`` are the network's
*full-dimensional* training loss and gradient (over the flat parameter vector,
shape ``(D,)``), with a :class:`~surfaces.base.Dataset` for real minibatches and
its :class:`Landscape` in ``Surface.model``. The recorder trains every optimizer
in full dimension, finds the plane shared by all runs (:mod:`surfaces.plane`)
and then calls :func:`plane_surface`: an ordinary 2-parameter surface, the loss
on that plane, which every renderer draws as it draws the analytic ones.

On the plane the loss is evaluated exactly on a ``grid × grid`` lattice over the
window, all points at once (:meth:`~surfaces.mlp.Classifier.plane_losses`);
between lattice points ``f`` interpolates bilinearly, as the contour plot
itself does. Pure numpy.

Examples
--------
>>> s = mlp_surface(hidden=4, data="moons", samples=64, seed=0, plane="pca", grid=20)
>>> s.model.problem.net.size, s.dataset.n_samples
(22, 64)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surfaces.base import Dataset, Preset, ScalarField, Surface, VectorField
from surfaces.mlp import Classifier, make_problem
from surfaces.plane import Plane

Array = np.ndarray

#: The window of a model surface before its plane is known. A scene's ``window``
#: that differs from it is used as the plane's window instead of the fitted one.
AUTO_WINDOW = (-1.0, 1.0, -1.0, 1.0)
#: Margin around the projected paths, as a fraction of their extent.
WINDOW_MARGIN = 0.18
#: The plane window's height over width stays within these (equal scales on both axes).
MIN_ASPECT, MAX_ASPECT = 0.5, 1.0

TITLES = {"moons": "two moons", "circles": "two circles", "digits": "8x8 digits"}


@dataclass(frozen=True)
class Landscape:
    """What a model surface needs beyond ``f`` and ``grad``.

    Attributes
    ----------
    problem
        The network, its data and its initialisation.
    plane
        ``"pca"`` (principal directions of all paths) or ``"random"``
        (filter-normalised random directions).
    grid
        Lattice points per side on which the plane's loss is evaluated.
    seed
        Seed of the data, the initialisation and random directions.
    """

    problem: Classifier
    plane: str
    grid: int
    seed: int


def mlp_surface(
    *, hidden: int, data: str, samples: int, seed: int, plane: str = "pca", grid: int = 80
) -> Surface:
    """The model surface of a one-hidden-layer perceptron on ``data``.

    Parameters
    ----------
    hidden
        Hidden units ``H``.
    data
        ``"moons"``, ``"circles"`` or ``"digits"`` (needs ``lossviz[digits]``).
    samples
        Training samples ``N``.
    seed
        Seed of the data and the initialisation.
    plane
        ``"pca"`` or ``"random"``; see :mod:`surfaces.plane`.
    grid
        Lattice points per side of the plane's loss.
    """
    problem = make_problem(data=data, hidden=hidden, samples=samples, seed=seed)
    net = problem.net
    lr = 0.5 if data != "digits" else 0.2
    return Surface(
        name="mlp",
        title=f"MLP on {TITLES[data]}: {net.n_in}-{hidden}-{net.n_out}, {net.size} parameters",
        formula=r"$L(\theta) = \frac{1}{N}\sum_{i=1}^{N}"
        r" \mathrm{CE}(\mathrm{MLP}_\theta(x_i), y_i)$",
        f=problem.loss,
        grad=problem.grad,
        window=AUTO_WINDOW,
        start=(0.0, 0.0),
        minima=(),
        preset=Preset(
            optimizers=(f"gd:lr={lr:g}", f"sgd:lr={lr:g},batch=32", f"momentum:lr={lr / 10:g}"),
            steps=150,
            note="momentum at lr/10",
        ),
        params={
            "hidden": float(hidden),
            "data": data,
            "samples": float(samples),
            "seed": float(seed),
            "plane": plane,
            "grid": float(grid),
        },
        dataset=Dataset(n_samples=problem.n_samples, batch_grad=problem.batch_grad),
        labels=("d₁", "d₂"),
        camera=(40.0, -120.0),
        model=Landscape(problem=problem, plane=plane, grid=grid, seed=seed),
    )


def fit_window(coords: Array) -> tuple[float, float, float, float]:
    """A window around the projected points ``(n, 2)`` and the centre ``(0, 0)``.

    Both axes keep the same scale (distances on the plane are true distances);
    the shorter side is widened so the height over width stays within
    ``MIN_ASPECT..MAX_ASPECT``.

    Examples
    --------
    >>> fit_window(np.array([[-4.0, -0.1], [0.0, 0.1]]))
    (-4.72, 0.72, -1.36, 1.36)
    """
    pts = np.asarray(coords, dtype=float).reshape(-1, 2)
    pts = np.vstack([pts[np.all(np.isfinite(pts), axis=1)], [[0.0, 0.0]]])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    pad = WINDOW_MARGIN * float(span.max())
    lo, hi = lo - pad, hi + pad
    w, h = hi - lo
    want_h = float(np.clip(h / w, MIN_ASPECT, MAX_ASPECT)) * w
    want_w = max(w, h / MAX_ASPECT)
    mid = (lo + hi) / 2
    half = np.array([want_w, max(h, want_h)]) / 2
    lo, hi = mid - half, mid + half
    return tuple(float(round(v, 12)) for v in (lo[0], hi[0], lo[1], hi[1]))  # type: ignore[return-value]


def bilinear(xs: Array, ys: Array, Z: Array) -> tuple[ScalarField, VectorField]:
    """``f`` and ``grad`` interpolating ``Z[j, i]`` at ``(xs[i], ys[j])`` bilinearly.

    Both take ``(2, ...)`` and broadcast; outside the lattice the nearest edge
    cell is extended linearly. Exact at the lattice points.

    Examples
    --------
    >>> xs = ys = np.array([0.0, 1.0])
    >>> f, grad = bilinear(xs, ys, np.array([[0.0, 1.0], [2.0, 3.0]]))
    >>> float(f(np.array([0.5, 0.5]))), grad(np.array([0.5, 0.5])).tolist()
    (1.5, [1.0, 2.0])
    """
    xs, ys, Z = (np.asarray(a, dtype=float) for a in (xs, ys, Z))
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]

    def locate(p: Array) -> tuple[Array, ...]:
        x, y = np.asarray(p, dtype=float)
        u = np.clip((x - xs[0]) / dx, 0, len(xs) - 1)
        v = np.clip((y - ys[0]) / dy, 0, len(ys) - 1)
        i = np.minimum(np.floor(u).astype(int), len(xs) - 2)
        j = np.minimum(np.floor(v).astype(int), len(ys) - 2)
        s, t = (x - xs[i]) / dx, (y - ys[j]) / dy
        return Z[j, i], Z[j, i + 1], Z[j + 1, i], Z[j + 1, i + 1], s, t

    def f(p: Array) -> Array:
        z00, z10, z01, z11, s, t = locate(p)
        return (z00 * (1 - s) + z10 * s) * (1 - t) + (z01 * (1 - s) + z11 * s) * t

    def grad(p: Array) -> Array:
        z00, z10, z01, z11, s, t = locate(p)
        gx = ((z10 - z00) * (1 - t) + (z11 - z01) * t) / dx
        gy = ((z01 - z00) * (1 - s) + (z11 - z10) * s) / dy
        return np.stack([gx, gy])

    return f, grad


def plane_surface(
    model: Surface,
    plane: Plane,
    *,
    start: Array,
    window: tuple[float, float, float, float],
) -> Surface:
    """The 2-parameter surface of ``model``'s loss on ``plane``.

    Parameters
    ----------
    model
        A surface from :func:`mlp_surface`.
    plane
        The shared plane.
    start
        Plane coordinates of the initialisation.
    window
        The plane window ``(amin, amax, bmin, bmax)``.

    Returns
    -------
    Surface
        ``f`` is exact at the ``grid × grid`` lattice over ``window`` and bilinear
        between. The plane's centre ``(0, 0)`` is the reference run's end point.
    """
    land: Landscape = model.model
    amin, amax, bmin, bmax = window
    xs = np.linspace(amin, amax, land.grid)
    ys = np.linspace(bmin, bmax, land.grid)
    A, B = np.meshgrid(xs, ys)
    Z = land.problem.plane_losses(
        plane.center, plane.directions, np.stack([A.ravel(), B.ravel()], axis=1)
    ).reshape(A.shape)
    f, grad = bilinear(xs, ys, Z)
    r1, r2 = plane.ratios
    if plane.kind == "pca":
        labels = (f"main direction 1 ({r1:.1%} of the paths)", f"direction 2 ({r2:.1%})")
    else:
        labels = ("random direction d₁ (filter-normalised)", "random direction d₂")
    return model.replace(
        f=f,
        grad=grad,
        window=tuple(float(v) for v in window),
        start=(float(start[0]), float(start[1])),
        minima=(),
        labels=labels,
        model=None,
    )
