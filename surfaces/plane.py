"""A plane in parameter space, shared by every run, and how far paths lie off it.

A network has thousands of parameters; a picture has two axes. Every run's
trajectory is projected onto one plane ``θ_c + a·d₁ + b·d₂``:

- :func:`pca_plane`: ``d₁, d₂`` are the two leading principal directions of all
  the trajectories together, taken around ``θ_c``, the final point of a
  reference run (as in Li et al., 2018, "Visualizing the loss landscape of
  neural nets", section 7). The plane explains the fraction
  ``(s₁² + s₂²) / Σ s²`` of the paths' squared distance from ``θ_c``.
- :func:`random_plane`: two filter-normalised random directions (Li et al.,
  section 4): each filter of the random direction (one unit's incoming weights)
  is rescaled to the norm of the same filter of ``θ_c``; biases get zero.

Coordinates are the least-squares fit ``(a, b)`` of ``θ − θ_c`` in the plane
(the orthogonal projection), and the distance of ``θ`` from the plane is the
norm of what is left over. Pure numpy.

Examples
--------
>>> paths = np.array([[3.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
>>> plane = pca_plane(paths, center=paths[-1])
>>> round(plane.explained, 4)
1.0
>>> np.round(plane.off_plane(np.array([[0.0, 0.0, 2.0]])), 3).tolist()
[2.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surfaces.mlp import Layer

Array = np.ndarray

PLANES = ("pca", "random")


@dataclass(frozen=True)
class Plane:
    """The plane ``center + a·d₁ + b·d₂``.

    Attributes
    ----------
    center
        ``θ_c``, shape ``(D,)``.
    directions
        ``d₁, d₂`` stacked, shape ``(2, D)``; orthonormal for PCA, not in general
        for random directions.
    explained
        Fraction of the paths' squared distance from ``center`` that lies in the
        plane (for PCA, the explained variance of the two components).
    ratios
        The same fraction along ``d₁`` and ``d₂`` separately (they add up to
        ``explained`` for orthogonal directions).
    kind
        ``"pca"`` or ``"random"``.
    """

    center: Array
    directions: Array
    explained: float
    ratios: tuple[float, float]
    kind: str

    def coordinates(self, points: Array) -> Array:
        """Plane coordinates ``(n, 2)`` of points ``(n, D)``: the orthogonal projection."""
        return self.components(np.asarray(points, dtype=float) - self.center)

    def components(self, vectors: Array) -> Array:
        """Coordinates ``(n, 2)`` of displacement vectors ``(n, D)`` (no centring)."""
        d = self.directions
        gram = d @ d.T
        return np.linalg.solve(gram, d @ np.atleast_2d(vectors).T).T

    def lift(self, coords: Array) -> Array:
        """Points ``(n, D)`` of the plane at coordinates ``(n, 2)``."""
        return self.center + np.atleast_2d(coords) @ self.directions

    def off_plane(self, points: Array) -> Array:
        """Euclidean distance ``(n,)`` of each point ``(n, D)`` from the plane."""
        points = np.atleast_2d(np.asarray(points, dtype=float))
        return np.linalg.norm(points - self.lift(self.coordinates(points)), axis=1)


def _finite_rows(points: Array) -> Array:
    points = np.atleast_2d(np.asarray(points, dtype=float))
    return points[np.all(np.isfinite(points), axis=1)]


def _fractions(rows: Array, directions: Array, kind: str, center: Array) -> Plane:
    """A :class:`Plane` with its explained fractions measured on ``rows``."""
    plane = Plane(center, directions, 1.0, (1.0, 0.0), kind)
    offsets = rows - center
    total = float(np.sum(offsets**2))
    if total <= 0.0:
        return plane
    coords = plane.components(offsets)
    inside = float(np.sum((coords @ directions) ** 2))
    units = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    along = np.sum((offsets @ units.T) ** 2, axis=0) / total
    return Plane(center, directions, inside / total, (float(along[0]), float(along[1])), kind)


def _orient(directions: Array, rows: Array, center: Array, start: Array | None) -> Array:
    """Flip each direction so the start (or the first row) has negative coordinates."""
    anchor = start if start is not None else (rows[0] if len(rows) else center)
    signs = np.where(directions @ (anchor - center) > 0, -1.0, 1.0)
    return directions * signs[:, None]


def pca_plane(points: Array, *, center: Array, start: Array | None = None) -> Plane:
    """The plane of the two leading principal directions of ``points`` around ``center``.

    Parameters
    ----------
    points
        Every iterate of every run, stacked: shape ``(n, D)``; rows with
        non-finite values (diverged steps) are ignored.
    center
        ``θ_c``, usually the final point of the reference run.
    start
        The shared initialisation; directions are signed so that it has
        negative coordinates (the paths run up and to the right). ``None`` uses
        the first row.

    Returns
    -------
    Plane
        Orthonormal directions; when the paths span fewer than two directions,
        the missing ones are completed orthonormally (they explain nothing).
    """
    center = np.asarray(center, dtype=float)
    rows = _finite_rows(points)
    offsets = rows - center
    dim = center.size
    if dim < 2:
        raise ValueError("a plane needs at least two parameters")
    _, s, vt = np.linalg.svd(offsets, full_matrices=False) if len(offsets) else (0, [], [])
    basis = [v for v, sv in zip(vt, s, strict=False) if sv > 1e-12 * max(1.0, s[0])][:2]
    for e in np.eye(dim):  # complete to two orthonormal directions
        if len(basis) == 2:
            break
        r = e - sum((e @ b) * b for b in basis)
        if np.linalg.norm(r) > 1e-6:
            basis.append(r / np.linalg.norm(r))
    directions = _orient(np.array(basis), rows, center, start)
    return _fractions(rows, directions, "pca", center)


def filter_normalized(direction: Array, center: Array, layers: Sequence[Layer]) -> Array:
    """Rescale each filter of ``direction`` to the norm of the same filter of ``center``.

    A weight block of shape ``(fan_in, fan_out)`` has one filter per column (the
    incoming weights of one unit); bias blocks are set to zero, as in Li et al.

    Examples
    --------
    >>> layer = Layer(0, (2, 2), "weight"), Layer(4, (2,), "bias")
    >>> d = filter_normalized(np.ones(6), np.array([3.0, 0, 4, 1, 5, 5]), layer)
    >>> np.round(d, 3).tolist()
    [3.536, 0.707, 3.536, 0.707, 0.0, 0.0]
    """
    out = np.zeros_like(np.asarray(direction, dtype=float))
    for layer in layers:
        if layer.kind != "weight":
            continue
        block = np.asarray(direction[layer.start : layer.stop], dtype=float).reshape(layer.shape)
        ref = np.asarray(center[layer.start : layer.stop], dtype=float).reshape(layer.shape)
        norms = np.linalg.norm(block, axis=0)
        scale = np.linalg.norm(ref, axis=0) / np.where(norms > 0, norms, 1.0)
        out[layer.start : layer.stop] = (block * scale).ravel()
    return out


def random_plane(
    points: Array,
    *,
    center: Array,
    layers: Sequence[Layer],
    rng: np.random.Generator,
    start: Array | None = None,
) -> Plane:
    """Two filter-normalised Gaussian directions around ``center`` (Li et al., 2018).

    ``points`` are only used to measure how much of the paths the plane holds.
    """
    center = np.asarray(center, dtype=float)
    rows = _finite_rows(points)
    directions = np.stack(
        [filter_normalized(rng.standard_normal(center.size), center, layers) for _ in range(2)]
    )
    norms = np.linalg.norm(directions, axis=1)
    if np.any(norms == 0):  # a zero centre: fall back to unit-norm filters
        raw = np.stack([rng.standard_normal(center.size) for _ in range(2)])
        directions = np.stack([filter_normalized(r, np.ones_like(center), layers) for r in raw])
    directions = _orient(directions, rows, center, start)
    return _fractions(rows, directions, "random", center)
