"""Geometry of the views, in numpy only: what is drawn where, without a Figure.

This module owns the maths the views and panels share: the sampling grid of a
surface, its contour levels, the heights the 3D view draws, which steps of a run
a frame shows, and the 3D camera as plain matrices (:class:`Projection`) with the
ray test that decides what the surface hides (:func:`visible`). The views turn
these numbers into matplotlib artists; tests call them directly.

Examples
--------
>>> from surfaces import get_surface
>>> X, Y, Z = surface_grid(get_surface("bowl"), 3)  # window x in [-5, 5], y in [-3.2, 3.2]
>>> Z[1].tolist(), X[1].tolist()
([12.5, 0.0, 12.5], [-5.0, 0.0, 5.0])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from surfaces.base import Surface
from visualizer.maths.recorder import Run

#: Heights are clipped to this magnitude so that their differences stay finite.
MAX_HEIGHT = 1e300
#: Beyond this range of values, linear levels and heights are useless: go logarithmic.
WIDE_RANGE = 1e12


def shown_steps(run: Run, start: int, stop: int) -> slice | None:
    """Slice of a run's rows to draw for the steps ``start..stop``, or ``None``.

    A run that diverged is drawn up to its last finite step.
    """
    stop = min(stop, run.last_step)
    if stop <= start:
        return None
    return slice(start, stop + 1)


def surface_grid(
    surface: Surface, n: int, window: tuple[float, float, float, float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X, Y, Z`` on an ``n × n`` grid over ``window`` (the surface's by default).

    Non-finite values are replaced by the largest finite one, and every value is
    clipped to ``±MAX_HEIGHT`` so that differences of heights stay finite.
    """
    xmin, xmax, ymin, ymax = surface.window if window is None else window
    X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    with np.errstate(all="ignore"):
        Z = np.asarray(surface.f(np.stack([X, Y])), dtype=float)
    Z = np.broadcast_to(Z, X.shape).copy()
    finite = np.isfinite(Z)
    if not finite.all():
        Z[~finite] = np.nanmax(np.where(finite, Z, np.nan)) if finite.any() else 0.0
    return X, Y, np.clip(Z, -MAX_HEIGHT, MAX_HEIGHT)


def wide_range(Z: np.ndarray) -> bool:
    """Whether ``Z`` spans so many orders of magnitude that only a log scale shows it."""
    return bool(float(np.max(Z)) - float(np.min(Z)) > WIDE_RANGE)


def to_height(f: np.ndarray, zmin: float, log: bool) -> np.ndarray:
    """Loss values as drawn heights: ``f``, or ``log10(1 + f − zmin)``."""
    return np.log10(1.0 + np.maximum(f - zmin, 0.0)) if log else f


def display_height(surface: Surface, Z: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Heights as drawn: the loss, or ``log10(1 + f − f_min)`` for wide-range surfaces.

    Returns the transformed heights, the offset ``f_min`` used, and whether the log
    transform is applied.
    """
    zmin = float(np.min(Z))
    log = surface.log_height or wide_range(Z)
    return to_height(Z, zmin, log), zmin, log


def contour_levels(
    surface: Surface, Z: np.ndarray, n: int = 22
) -> tuple[np.ndarray, np.ndarray | None]:
    """Values to contour and their levels: log-spaced where the surface needs them.

    Returns ``(T, levels)``; ``levels`` is ``None`` when the surface is flat within
    floating-point precision, so there is nothing to draw.
    """
    with np.errstate(all="ignore"):
        Z = np.asarray(Z, dtype=float)
        zmin, zmax = float(np.min(Z)), float(np.max(Z))
        span = zmax - zmin
        if not np.isfinite(span) or span <= 1e-12 * max(1.0, abs(zmin), abs(zmax)):
            return Z, None
        if surface.log_levels or wide_range(Z):
            T = np.log10(Z - zmin + span * 1e-4)
            top = float(np.percentile(T, 99.5))
        else:
            T = Z
            top = float(np.percentile(Z, 99.0))
        levels = np.unique(np.linspace(float(np.min(T)), top, n))
    if levels.size < 3 or not np.all(np.isfinite(levels)):
        return T, None
    return T, levels


def path_window(
    window: tuple[float, float, float, float],
    paths: list[np.ndarray],
    minima: tuple[tuple[float, float], ...] = (),
    *,
    pad: float = 0.12,
    least: float = 0.4,
) -> tuple[float, float, float, float]:
    """The part of ``window`` that the 3D view needs to show ``paths``.

    The bounding box of the paths' finite points inside ``window``, with the minima
    the paths head for (the one nearest each path's end), padded by ``pad`` of its
    size on every side and at least ``least`` of the window's size in each
    direction, and never beyond ``window``. Walls that no path reaches only waste
    pixels in 3D.

    Examples
    --------
    >>> path_window((-5.0, 5.0, -5.0, 5.0), [np.array([[-4.0, 1.0], [-1.0, 0.5]])], ((0.0, 0.0),))
    (-4.48, 0.48, -1.5, 2.5)
    """
    xmin, xmax, ymin, ymax = window
    pts = [np.empty((0, 2))]
    for P in paths:
        P = P[np.all(np.isfinite(P), axis=1)]
        P = P[(P[:, 0] >= xmin) & (P[:, 0] <= xmax) & (P[:, 1] >= ymin) & (P[:, 1] <= ymax)]
        if len(P) == 0:
            continue
        pts.append(P)
        if minima:
            M = np.asarray(minima, dtype=float)
            pts.append(M[[int(np.argmin(np.hypot(*(M - P[-1]).T)))]])
    Q = np.concatenate(pts)
    if len(Q) == 0:
        return window
    lo, hi = Q.min(axis=0), Q.max(axis=0)
    size = np.array([xmax - xmin, ymax - ymin])
    extent = np.maximum((hi - lo) * (1 + 2 * pad), least * size)
    mid = np.clip((lo + hi) / 2, [xmin, ymin] + extent / 2, [xmax, ymax] - extent / 2)
    lo, hi = np.maximum(mid - extent / 2, [xmin, ymin]), np.minimum(mid + extent / 2, [xmax, ymax])
    return (
        round(float(lo[0]), 12),
        round(float(hi[0]), 12),
        round(float(lo[1]), 12),
        round(float(hi[1]), 12),
    )


@dataclass(frozen=True)
class HeightField:
    """A surface's heights as the 3D view draws them.

    Attributes
    ----------
    surface
        The surface.
    window
        ``(xmin, xmax, ymin, ymax)`` of the drawn surface.
    zmin, log
        Heights are ``f``, or ``log10(1 + f − zmin)`` when ``log``.
    hmin, hmax
        The drawn height range; nothing is drawn above ``hmax``.
    knee
        Heights above the knee are compressed smoothly towards ``hmax``
        (``None``: cut off at ``hmax``), so the walls above the paths do not
        squash the part of the surface where the paths are.
    """

    surface: Surface
    window: tuple[float, float, float, float]
    zmin: float
    log: bool
    hmin: float
    hmax: float
    knee: float | None = None

    #: Room above the knee, as a fraction of the knee's height over ``hmin``.
    ROOM = 0.25

    @classmethod
    def of(
        cls,
        surface: Surface,
        Z: np.ndarray,
        *,
        window: tuple[float, float, float, float] | None = None,
        top: float | None = None,
    ) -> HeightField:
        """The height field of ``surface`` sampled as ``Z`` (from :func:`surface_grid`).

        Without ``top``, the top is the 99.5th percentile of the heights. With it
        (a loss, typically the highest loss on the paths) heights above ``top``
        are compressed into a rim of :attr:`ROOM` of its height. A surface flat
        within floating-point precision gets a unit of height so the axes stay
        valid.
        """
        window = surface.window if window is None else window
        H, zmin, log = display_height(surface, Z)
        hmin, hmax = float(H.min()), float(np.percentile(H, 99.5))
        knee = None
        if top is not None and np.isfinite(top):
            k = float(to_height(np.asarray(top, dtype=float), zmin, log))
            if hmin < k < hmax:
                knee = k
                hmax = min(hmax, k + cls.ROOM * (k - hmin))
        span = hmax - hmin
        if not np.isfinite(span) or span <= 1e-12 * max(1.0, abs(hmin), abs(hmax)):
            hmax = hmin + max(1.0, abs(hmin)) * 1e-6 if np.isfinite(span) else 1.0
            knee = None
        return cls(surface, window, zmin, log, hmin, hmax, knee)

    @property
    def span(self) -> float:
        """``hmax − hmin``."""
        return self.hmax - self.hmin

    def of_values(self, f: np.ndarray) -> np.ndarray:
        """Drawn heights of loss values ``f`` (finite, as :func:`surface_grid` gives them)."""
        h = to_height(f, self.zmin, self.log)
        if self.knee is None:
            return np.minimum(h, self.hmax)
        room = self.hmax - self.knee
        with np.errstate(over="ignore"):
            rim = self.knee + room * (1.0 - np.exp(-(h - self.knee) / room))
        return np.where(h > self.knee, rim, h)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Drawn height of the surface at ``(x, y)`` (broadcasts)."""
        with np.errstate(all="ignore"):
            f = np.asarray(self.surface.f(np.stack([x, y])), dtype=float)
            f = np.clip(np.nan_to_num(f, nan=MAX_HEIGHT), -MAX_HEIGHT, MAX_HEIGHT)
        return np.broadcast_to(self.of_values(f), np.shape(x))

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether ``(x, y)`` lies in the window, where there is a surface to sit on."""
        xmin, xmax, ymin, ymax = self.window
        return (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)


def _pad(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    return np.array([x, y, z, np.ones_like(x)])


@dataclass(frozen=True)
class Projection:
    """A 3D camera as two matrices (what ``mpl_toolkits.mplot3d`` computes).

    Attributes
    ----------
    M
        ``4 × 4`` homogeneous projection of data coordinates (``Axes3D.get_proj()``).
    to_pixels
        ``3 × 3`` affine map of projected ``(u, v)`` to screen pixels
        (the 3D axes' ``transData``).
    """

    M: np.ndarray
    to_pixels: np.ndarray

    def projected(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Projected ``(u, v, w)`` of 3D points, shape ``(3, n)``; ``w`` is the depth."""
        vecw = np.dot(self.M, _pad(x, y, z))
        return vecw[0:3] / vecw[3]

    def unprojected(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Data coordinates ``(3, n)`` of projected points (the inverse of :meth:`projected`)."""
        vecr = np.dot(np.linalg.inv(self.M), _pad(u, v, w))
        vecr = np.where(vecr[3] != 0, vecr / np.where(vecr[3] != 0, vecr[3], 1.0), vecr)
        return vecr[:3]

    def project(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Screen pixels and projected depth of 3D points: shape ``(n, 3)``."""
        u, v, w = self.projected(x, y, z)
        A = self.to_pixels
        px = A[0, 0] * u + A[0, 1] * v + A[0, 2]
        py = A[1, 0] * u + A[1, 1] * v + A[1, 2]
        return np.column_stack([px, py, w])

    def eye(self) -> np.ndarray:
        """The camera position in data coordinates: where projected x, y and w are all zero."""
        rows = self.M[[0, 1, 3]]
        return np.linalg.solve(rows[:, :3], -rows[:, 3])


def visible(
    projection: Projection,
    heights: HeightField,
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    samples: int = 96,
) -> np.ndarray:
    """Whether each 3D point ``(x, y, z)`` can be seen past the surface.

    March from each point towards the camera (through the inverse projection, so
    perspective is respected) and test whether the ray passes below the height
    field. Only the part of the ray that can still meet the surface is sampled:
    until it leaves the window or rises above the highest point. Accepts any
    shape; returns one flag per point, flattened.
    """
    x, y, z = (np.asarray(a, dtype=float).ravel() for a in (x, y, z))
    if x.size == 0:
        return np.zeros(0, dtype=bool)
    u, v, w = projection.projected(x, y, z)
    # a second point on each camera ray, a little closer to the eye
    qx, qy, qz = projection.unprojected(u, v, w - 0.05)
    xmin, xmax, ymin, ymax = heights.window
    scale = np.array([xmax - xmin, ymax - ymin, heights.span or 1.0])
    d = np.stack([qx - x, qy - y, qz - z], axis=1) / scale  # box units
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    # how far (in box units) each ray can go before it leaves the window or the
    # height range, where nothing can hide it any more
    lo = np.array([xmin, ymin, -np.inf])
    hi = np.array([xmax, ymax, heights.hmax])
    p = np.stack([x, y, z], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = d * scale
        t_hi = np.where(step > 0, (hi - p) / step, np.where(step < 0, (lo - p) / step, np.inf))
    t_max = np.clip(np.nan_to_num(t_hi.min(axis=1), nan=0.0, posinf=2.0), 0.0, 2.0)
    # start a little away from the point, so the surface right under it cannot hide it
    t0 = np.minimum(0.01, t_max)
    t = t0[:, None] + (t_max - t0)[:, None] * np.linspace(0.0, 1.0, samples)[None, :]
    # the points of the rays, ``p + t * step``, one contiguous array per coordinate
    rx = x[:, None] + t * step[:, 0:1]
    ry = y[:, None] + t * step[:, 1:2]
    rz = z[:, None] + t * step[:, 2:3]
    # a ray that only grazes the surface (within 0.1% of the height range) still sees
    below = rz < heights(rx, ry) - 1e-3 * scale[2]
    below &= heights.inside(rx, ry)
    return ~below.any(axis=1)


def travel_direction(paths: list[np.ndarray]) -> float | None:
    """Angle (degrees from +x) of the runs' mean travel, start to last finite point.

    ``None`` when the runs go nowhere on average (then no direction is better).
    """
    moves = []
    for P in paths:
        P = P[np.all(np.isfinite(P), axis=1)]
        if len(P) > 1:
            moves.append(P[-1] - P[0])
    if not moves:
        return None
    d = np.mean(moves, axis=0)
    if not np.hypot(*d) > 0:
        return None
    return float(np.degrees(np.arctan2(d[1], d[0])))


def choose_camera(
    project_for: Callable[[float, float], Projection],
    heights: HeightField,
    points: np.ndarray,
    travel_deg: float,
    *,
    elevations: tuple[float, ...] = (28.0, 34.0, 40.0, 46.0, 52.0, 58.0, 64.0),
    enough: float = 0.92,
) -> tuple[float, float]:
    """A camera ``(elev, azim)`` that sees the paths' travel side-on, and sees the paths.

    The camera looks at right angles to the direction of travel (so progress is
    not foreshortened), from the side and the lowest elevation at which at least
    ``enough`` of ``points`` (``(n, 3)``, on the paths) are visible past the
    surface; failing that, from where most are. The side from which x increases
    left to right on screen, as in a 2D view beside it, is tried first at every
    elevation.

    ``project_for(elev, azim)`` gives the camera's projection.
    """
    sides = [(travel_deg + side + 180.0) % 360.0 - 180.0 for side in (-90.0, 90.0)]
    # the side from which x increases left to right on screen (as in the 2D view beside
    # it): the screen's rightward direction is (−sin azim, cos azim), so sin(azim) < 0
    sides.sort(key=lambda azim: np.sin(np.radians(azim)) >= -1e-9)
    best = (-1.0, elevations[-1], sides[0])
    if len(points) == 0:  # nothing to see (every run diverged at once): the last resort
        return best[1], best[2]
    for azim in sides:  # every elevation from the x-rightwards side before the other
        for elev in elevations:
            seen = float(visible(project_for(elev, azim), heights, *points.T, samples=48).mean())
            if seen >= enough:
                return elev, azim
            if seen > best[0] + 1e-9:
                best = (seen, elev, azim)
    return best[1], best[2]


def nice_below(value: float) -> float:
    """The largest of 1, 2, 5 × 10^k not above ``value`` (``value`` > 0).

    Examples
    --------
    >>> nice_below(0.37), nice_below(7.0), nice_below(20.0)
    (0.2, 5.0, 20.0)
    """
    k = np.floor(np.log10(value))
    for m in (5.0, 2.0, 1.0):
        if m * 10**k <= value * (1 + 1e-12):
            return float(f"{m * 10**k:.12g}")
    return float(f"{10 ** (k - 1) * 5:.12g}")  # pragma: no cover (value < 10**k is impossible)


@dataclass(frozen=True)
class ArrowScales:
    """How the arrows at the balls are drawn: to scale, and the scale is stated.

    A ``−∇f`` arrow is ``gradient × gradient_scale`` long in data units, a step
    arrow (the last step momentum took, ``−v``) is ``step × step_scale``. Each
    scale is a round number (1, 2, 5 × 10^k) chosen so the longest arrow of the
    recording is at most :attr:`FRACTION` of the window's diagonal; ``None`` when
    there is nothing to draw.
    """

    gradient_scale: float | None
    step_scale: float | None
    #: Shorter than this fraction of the diagonal, an arrow is not drawn.
    min_length: float

    FRACTION = 0.16

    @classmethod
    def of(cls, runs: list[Run], window: tuple[float, float, float, float]) -> ArrowScales:
        """Scales for ``runs`` drawn over ``window``.

        The gradient's reference is its size at the start; the step's, the longest
        step of the runs that did not diverge (a diverging run's steps grow without
        bound and would shrink every other arrow to nothing).
        """
        xmin, xmax, ymin, ymax = window
        longest = cls.FRACTION * float(np.hypot(xmax - xmin, ymax - ymin))

        def scale(norms: list[np.ndarray]) -> float | None:
            norms = [n[np.isfinite(n)] for n in norms]
            top = max((float(n.max()) for n in norms if n.size), default=0.0)
            return nice_below(longest / top) if top > 0 else None

        grads = scale([np.hypot(*r.gradients[:1].T) for r in runs])
        moving = [r for r in runs if r.velocities is not None]
        calm = [r for r in moving if r.diverged_at is None] or moving
        steps = scale([np.hypot(*r.velocities[: r.last_step + 1].T) for r in calm])
        return cls(grads, steps, 0.012 * longest / cls.FRACTION)

    def legend_text(self) -> str:
        """What the arrows mean, with their scales, one line each.

        Examples
        --------
        >>> print(ArrowScales(0.05, 2.0, 0.01).legend_text())
        solid arrow: −∇f × 0.05
        dashed arrow: step taken × 2
        """
        parts = []
        if self.gradient_scale is not None:
            parts.append(f"solid arrow: −∇f × {self.gradient_scale:g}")
        if self.step_scale is not None:
            parts.append(f"dashed arrow: step taken × {self.step_scale:g}")
        return "\n".join(parts)


def stacked_sizes(points: np.ndarray, radius: float) -> np.ndarray:
    """Size factor of each ball, drawn in order, so none hides another completely.

    A ball whose centre lies within ``radius`` (pixels) of balls drawn before it
    is drawn smaller, 0.4 smaller per such ball (down to 0.3): the balls under it
    show as rings of their colours around it.

    Examples
    --------
    >>> stacked_sizes(np.array([[0.0, 0.0], [1.0, 0.0], [50.0, 0.0], [0.0, 1.0]]), 5.0).tolist()
    [1.0, 0.6, 1.0, 0.3]
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    out = np.ones(len(points))
    for j in range(1, len(points)):
        d = np.hypot(*(points[:j] - points[j]).T)
        under = int(np.sum(d < radius))
        out[j] = max(0.3, round(1.0 - 0.4 * under, 12))
    return out


def fit_square(
    corners_uv: np.ndarray,
    view_lim: tuple[float, float, float, float],
    region_px: tuple[float, float, float, float],
    margin_px: tuple[float, float],
) -> tuple[float, float, float]:
    """Where a square 3D axes goes so that its projected box fills ``region_px``.

    matplotlib's 3D axes is square and maps projected ``(u, v)`` within
    ``view_lim`` (``u0, u1, v0, v1``) onto it; a long, low box then leaves bands of
    empty space. Given the projected corners of the box (``corners_uv``, shape
    ``(2, n)``), this returns the square's left, bottom and side in pixels such
    that the corners fill ``region_px`` (``x, y, w, h``) less ``margin_px``
    (``mx, my``, room for tick labels) on each side, centred. The square may
    reach past the region: only the box is drawn.

    Examples
    --------
    >>> fit_square(np.array([[-0.5, 0.5], [-0.1, 0.1]]), (-1, 1, -1, 1), (0, 0, 200, 100), (0, 0))
    (-100.0, -150.0, 400.0)
    """
    u0, u1, v0, v1 = view_lim
    fx = (corners_uv[0] - u0) / (u1 - u0)
    fy = (corners_uv[1] - v0) / (v1 - v0)
    x, y, w, h = region_px
    mx, my = margin_px
    side = min((w - 2 * mx) / max(np.ptp(fx), 1e-9), (h - 2 * my) / max(np.ptp(fy), 1e-9))
    side = max(side, 1.0)
    left = x + w / 2 - side * (fx.min() + fx.max()) / 2
    bottom = y + h / 2 - side * (fy.min() + fy.max()) / 2
    return float(left), float(bottom), float(side)


def minimum_value(surface: Surface, lows: list[float], *, iterations: int = 400) -> float:
    """``f*`` for loss gaps: the least value at the surface's known minima.

    Without known minima, the least of a grid search (120 × 120 over the window)
    and the paths' ``lows``, refined by gradient descent with backtracking from
    the best of them. Never above the lowest loss on the paths, so a gap is never
    negative.

    Examples
    --------
    >>> from surfaces import get_surface
    >>> minimum_value(get_surface("local-minimum"), [0.5]) < -0.5  # the deeper basin
    True
    >>> round(minimum_value(get_surface("(x - 1)**2 + (y + 2)**2 + 3"), [4.0]), 9)
    3.0
    """
    finite_lows = [v for v in lows if np.isfinite(v)]
    floor = min(finite_lows, default=np.inf)
    if surface.minima:
        M = np.asarray(surface.minima, dtype=float).T
        with np.errstate(all="ignore"):
            f_min = float(np.nanmin(np.asarray(surface.f(M), dtype=float)))
        return min(f_min, floor)
    X, Y, Z = surface_grid(surface, 120)
    k = int(np.argmin(Z))
    p = np.array([X.flat[k], Y.flat[k]])
    best = float(Z.flat[k])
    with np.errstate(all="ignore"):
        step = 0.1 * float(np.hypot(X.max() - X.min(), Y.max() - Y.min()))
        for _ in range(iterations):
            g = np.asarray(surface.grad(p), dtype=float)
            if not np.all(np.isfinite(g)) or not np.any(g):
                break
            while step > 1e-15:
                q = p - step * g / np.hypot(*g)
                fq = float(surface.f(q))
                if np.isfinite(fq) and fq < best:
                    p, best = q, fq
                    step *= 1.5
                    break
                step *= 0.5
            else:
                break
    return min(best, floor)
