"""The two views of a surface: 2D contours and a 3D surface.

Each view is a *layer* of a frame. It draws its static parts when the figure is
first drawn, then, per frame, :meth:`Layer.draw_trail` adds the trail segments
that are new since the previous frame (onto the saved background) and
:meth:`Layer.draw_dynamic` draws what moves (balls, arrows).
"""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import IdentityTransform, Transform, offset_copy

from visualizer.geometry import (
    HeightField,
    Projection,
    contour_levels,
    shown_steps,
    surface_grid,
    visible,
)
from visualizer.layer import Layer
from visualizer.layout import Rect
from visualizer.recorder import Recording, Run
from visualizer.theme import Theme


def make_ball(
    figure: Figure, theme: Theme, color: str, size: float, transform: Transform
) -> tuple[Line2D, Line2D]:
    """A ball marker and its highlight (a small white spot up-left) that reads as a sphere.

    Both are animated artists in ``transform``'s coordinates; set their data to move them.
    """
    ball = Line2D(
        [],
        [],
        marker="o",
        markersize=size,
        markerfacecolor=color,
        markeredgecolor=theme.ball_edge,
        markeredgewidth=max(1.0, size * 0.14),
        linestyle="none",
        transform=transform,
        animated=True,
        zorder=10,
    )
    shine = Line2D(
        [],
        [],
        marker="o",
        markersize=size * 0.32,
        markerfacecolor="white",
        markeredgewidth=0,
        alpha=0.8,
        linestyle="none",
        transform=offset_copy(transform, figure, x=-size / 6, y=size / 6, units="points"),
        animated=True,
        zorder=11,
    )
    return ball, shine


class ArrowSet:
    """Arrows at each ball: the negative gradient, and momentum's velocity.

    Lengths grow with ``sqrt(|vector| / largest at the start)`` up to 11% of the
    window's diagonal, so arrows shrink to nothing at a minimum instead of
    pointing somewhere arbitrary. The velocity arrow shows the step taken,
    ``−v`` (as ``θ ← θ − v``), dashed.
    """

    def __init__(self, rec: Recording, theme: Theme, transform: Transform) -> None:
        self.rec, self.theme = rec, theme
        xmin, xmax, ymin, ymax = rec.surface.window
        self.length = 0.11 * float(np.hypot(xmax - xmin, ymax - ymin))
        runs = rec.runs
        grads = [np.hypot(*r.gradients[: r.last_step + 1].T) for r in runs]
        vels = [
            np.hypot(*r.velocities[: r.last_step + 1].T) for r in runs if r.velocities is not None
        ]
        self.grad_ref = max((float(g[0]) for g in grads if g.size), default=0.0)
        self.vel_ref = max((float(v.max()) for v in vels if v.size), default=0.0)
        self.grad_arrows = [self._arrow(theme.color(i), transform, False) for i in range(len(runs))]
        self.vel_arrows = [
            self._arrow(theme.color(i), transform, True) if r.velocities is not None else None
            for i, r in enumerate(runs)
        ]

    def _arrow(self, color: str, transform: Transform, velocity: bool) -> FancyArrowPatch:
        style = (
            {"linewidth": 1.6, "linestyle": (0, (3, 2))}
            if velocity
            else {
                "linewidth": 1.8,
                "path_effects": [
                    patheffects.withStroke(linewidth=3.2, foreground=self.theme.background)
                ],
            }
        )
        return FancyArrowPatch(
            (0, 0),
            (0, 0),
            arrowstyle="-|>,head_length=6,head_width=3.5",
            color=color,
            transform=transform,
            animated=True,
            zorder=9,
            **style,
        )

    def attach(self, ax: Axes) -> None:
        """Add the arrows to ``ax`` (for clipping and the renderer)."""
        for arrow in (*self.grad_arrows, *self.vel_arrows):
            if arrow is not None:
                ax.add_patch(arrow)

    def _scaled(self, vector: np.ndarray, reference: float) -> np.ndarray | None:
        norm = float(np.hypot(*vector))
        if not np.isfinite(norm) or norm == 0 or reference == 0:
            return None
        length = self.length * min(1.0, np.sqrt(norm / reference))
        return vector / norm * length if length > 0.04 * self.length else None

    def vectors(self, i: int, run: Run, step: int) -> list[tuple[FancyArrowPatch, np.ndarray]]:
        """The arrows of run ``i`` at ``step`` with their vectors in data units."""
        out = []
        g = self._scaled(-run.gradients[step], self.grad_ref)
        if g is not None:
            out.append((self.grad_arrows[i], g))
        arrow = self.vel_arrows[i]
        if arrow is not None and run.velocities is not None:
            v = self._scaled(-run.velocities[step], self.vel_ref)
            if v is not None:
                out.append((arrow, v))
        return out


class ContourView(Layer):
    """Filled contours of the surface with trails and balls on top.

    Parameters
    ----------
    figure
        The figure to draw in.
    rect
        Where the axes go.
    rec
        The recording.
    theme
        Colours.
    arrows
        Draw the negative gradient (and momentum's velocity) at each ball.
    """

    def __init__(
        self, figure: Figure, rect: Rect, rec: Recording, theme: Theme, *, arrows: bool = False
    ) -> None:
        self.figure, self.rec, self.theme, self.arrows = figure, rec, theme, arrows
        surface = rec.surface
        ax = figure.add_axes(rect.bounds)
        self.ax = ax
        xmin, xmax, ymin, ymax = surface.window
        n = int(np.clip(max(rect.w * figure.bbox.width, rect.h * figure.bbox.height) / 2, 120, 400))
        X, Y, Z = surface_grid(surface, n)
        self._draw_contours(X, Y, Z)
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_xlabel(surface.labels[0], color=theme.muted, fontsize=11, labelpad=2)
        ax.set_ylabel(surface.labels[1], color=theme.muted, fontsize=11, labelpad=2)
        ax.tick_params(colors=theme.muted, labelsize=9.5, length=3)
        for spine in ax.spines.values():
            spine.set_color(theme.grid)
        for mx, my in surface.minima:
            ax.plot(
                [mx],
                [my],
                marker="*",
                markersize=13,
                color=theme.background,
                markeredgecolor=theme.minimum_marker,
                markeredgewidth=1.1,
                zorder=5,
            )
        sx, sy = rec.start
        ax.plot(
            [sx],
            [sy],
            marker="o",
            markersize=9,
            markerfacecolor="none",
            markeredgecolor=theme.text,
            markeredgewidth=1.4,
            zorder=5,
        )
        self.trails: list[Line2D] = []
        self.balls: list[Line2D] = []
        self.shines: list[Line2D] = []
        for i, _run in enumerate(rec.runs):
            color = theme.color(i)
            trail = Line2D(
                [],
                [],
                color=color,
                linewidth=2.2,
                marker="o",
                markersize=2.6,
                solid_capstyle="round",
                solid_joinstyle="round",
                animated=True,
                zorder=8,
            )
            ball, shine = make_ball(figure, theme, color, 13, ax.transData)
            for artist in (trail, ball, shine):
                ax.add_line(artist)
            self.trails.append(trail)
            self.balls.append(ball)
            self.shines.append(shine)
        self.arrow_set = ArrowSet(rec, theme, ax.transData) if arrows else None
        if self.arrow_set is not None:
            self.arrow_set.attach(ax)

    def _draw_contours(self, X: np.ndarray, Y: np.ndarray, Z: np.ndarray) -> None:
        ax, theme = self.ax, self.theme
        T, levels = contour_levels(self.rec.surface, Z)
        if levels is None:  # a flat (or numerically flat) surface: one colour, no lines
            ax.set_facecolor(theme.cmap()(0.0))
            return
        ax.set_facecolor(theme.background)
        ax.contourf(X, Y, T, levels=levels, cmap=theme.cmap(), extend="max", zorder=0)
        ax.contour(
            X,
            Y,
            T,
            levels=levels,
            colors=theme.contour_line,
            linewidths=0.55,
            alpha=0.35,
            zorder=1,
        )

    def draw_trail(self, start: int, stop: int) -> None:
        """Draw the trail segments between ``start`` and ``stop``."""
        for run, trail in zip(self.rec.runs, self.trails, strict=True):
            rows = shown_steps(run, start, stop)
            if rows is None:
                continue
            pts = run.positions[rows]
            trail.set_data(pts[:, 0], pts[:, 1])
            self.ax.draw_artist(trail)

    def draw_dynamic(self, step: int) -> None:
        """Draw the balls (and arrows) at ``step``."""
        for i, run in enumerate(self.rec.runs):
            if step > run.last_step:
                continue
            x, y = run.positions[step]
            if self.arrow_set is not None:
                self._draw_arrows(i, run, step, x, y)
            self.balls[i].set_data([x], [y])
            self.shines[i].set_data([x], [y])
            self.ax.draw_artist(self.balls[i])
            self.ax.draw_artist(self.shines[i])

    def _draw_arrows(self, i: int, run: Run, step: int, x: float, y: float) -> None:
        renderer = self.figure.canvas.get_renderer()
        for arrow, vector in self.arrow_set.vectors(i, run, step):
            arrow.set_positions((x, y), (x + vector[0], y + vector[1]))
            arrow.draw(renderer)


class SurfaceView(Layer):
    """The surface in 3D with trails and balls that sit on it.

    matplotlib paints 3D artists in painter's order, so a path behind a hill
    would be painted over it. Instead, the surface is drawn once and the paths
    are projected to the screen here; each path point and each segment's
    midpoint is ray-tested against the height field (march from the point
    towards the camera; if the ray dips below the surface, the point is hidden),
    and hidden parts are drawn faint and dashed.
    """

    LIFT = 0.012  # balls and trails float this fraction of the height range above
    SUBDIVISIONS = 8  # points per step when draping a path over the surface

    def __init__(
        self,
        figure: Figure,
        rect: Rect,
        rec: Recording,
        theme: Theme,
        *,
        elev: float = 38.0,
        azim: float = -62.0,
        arrows: bool = False,
    ) -> None:
        self.figure, self.rec, self.theme, self.arrows = figure, rec, theme, arrows
        surface = rec.surface
        ax = figure.add_axes(rect.bounds, projection="3d", computed_zorder=False)
        self.ax = ax
        X, Y, Z = surface_grid(surface, 80)
        self.heights = heights = HeightField.of(surface, Z)
        self.lift = self.LIFT * heights.span
        ax.plot_surface(
            X,
            Y,
            heights.of_values(Z),
            cmap=theme.cmap(),
            rcount=64,
            ccount=64,
            linewidth=0.25,
            edgecolor=(1, 1, 1, 0.18) if theme.name == "light" else (0, 0, 0, 0.25),
            antialiased=True,
            shade=True,
            zorder=1,
        )
        xmin, xmax, ymin, ymax = surface.window
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_zlim(heights.hmin, heights.hmin + heights.span * 1.02)
        ax.set_proj_type("persp", focal_length=0.6)
        ax.view_init(elev=elev, azim=azim)
        ax.set_facecolor(theme.background)
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_pane_color((*to_rgb(theme.panel), 1.0))
            axis._axinfo["grid"]["color"] = (*to_rgb(theme.grid), 1.0)
            axis.label.set_color(theme.muted)
        ax.tick_params(colors=theme.muted, labelsize=8, pad=0)
        ax.set_xlabel(surface.labels[0], fontsize=10, labelpad=-4)
        ax.set_ylabel(surface.labels[1], fontsize=10, labelpad=-4)
        ax.set_zlabel("log₁₀(1 + f − f*)" if heights.log else "f", fontsize=10, labelpad=-6)
        self.trails_front: list[Line2D] = []
        self.trails_back: list[Line2D] = []
        self.balls: list[Line2D] = []
        self.shines: list[Line2D] = []
        ident = IdentityTransform()
        for i, _run in enumerate(rec.runs):
            color = theme.color(i)
            front = Line2D([], [], color=color, linewidth=1.9, transform=ident, animated=True)
            back = Line2D(
                [],
                [],
                color=color,
                linewidth=1.6,
                alpha=0.45,
                linestyle=(0, (2.5, 2)),
                transform=ident,
                animated=True,
            )
            ball, shine = make_ball(figure, theme, color, 14, ident)
            for artist in (front, back, ball, shine):
                artist.set_figure(figure)
                artist.set_clip_box(ax.bbox)
            self.trails_front.append(front)
            self.trails_back.append(back)
            self.balls.append(ball)
            self.shines.append(shine)
        self.arrow_set = ArrowSet(rec, theme, ident) if arrows else None
        if self.arrow_set is not None:
            for arrow in self.arrow_set.grad_arrows + self.arrow_set.vel_arrows:
                if arrow is not None:
                    arrow.set_figure(figure)
                    arrow.set_clip_box(ax.bbox)
        # per run: screen pixels (with depth) and visibility of the draped path's points
        self._screen: list[tuple[np.ndarray, np.ndarray]] | None = None

    # --- geometry ---------------------------------------------------------------------

    def projection(self) -> Projection:
        """The camera as it is now (valid once the figure has been drawn)."""
        return Projection(self.ax.get_proj(), self.ax.transData.get_affine().get_matrix())

    def _prepare(self) -> None:
        """Project every run's path, draped over the surface, and ray-test it.

        Each step's segment is subdivided :attr:`SUBDIVISIONS` times and every
        point is lifted onto the surface, so a path reads as a ball rolling on it.
        Runs after the static draw, when the camera is known.
        """
        m = self.SUBDIVISIONS
        self._screen = []
        projection, heights = self.projection(), self.heights
        for run in self.rec.runs:
            P = run.positions[: run.last_step + 1]
            if len(P) > 1:
                t = np.arange(m) / m
                dense = P[:-1, None, :] + t[None, :, None] * (P[1:] - P[:-1])[:, None, :]
                dense = np.concatenate([dense.reshape(-1, 2), P[-1:]])
            else:
                dense = P
            x, y = dense[:, 0], dense[:, 1]
            z = heights(x, y) + self.lift
            pts = projection.project(x, y, z)
            vis = visible(projection, heights, x, y, z)
            # outside the window there is no surface to sit on: draw nothing there
            pts[~heights.inside(x, y)] = np.nan
            self._screen.append((pts, vis))

    # --- layer ------------------------------------------------------------------------

    def draw_trail(self, start: int, stop: int) -> None:
        """Draw the trail between ``start`` and ``stop``; hidden parts faint and dashed."""
        if self._screen is None:
            self._prepare()
        assert self._screen is not None
        renderer = self.figure.canvas.get_renderer()
        m = self.SUBDIVISIONS
        for i, run in enumerate(self.rec.runs):
            rows = shown_steps(run, start, stop)
            if rows is None:
                continue
            pts, vis = self._screen[i]
            lo, hi = rows.start * m, (rows.stop - 1) * m + 1
            xy, v = pts[lo:hi, :2], vis[lo:hi]
            for line, want in ((self.trails_back[i], False), (self.trails_front[i], True)):
                # a point belongs to the line if it or a neighbour has the wanted visibility,
                # so the two lines meet where visibility changes
                keep = v == want
                keep[1:] |= keep[:-1] & (v[1:] != want)
                if not keep.any():
                    continue
                xs = np.where(keep, xy[:, 0], np.nan)
                ys = np.where(keep, xy[:, 1], np.nan)
                line.set_data(xs, ys)
                line.draw(renderer)

    def draw_dynamic(self, step: int) -> None:
        """Draw the balls at ``step`` (faint where the surface hides them)."""
        if self._screen is None:
            self._prepare()
        assert self._screen is not None
        renderer = self.figure.canvas.get_renderer()
        m = self.SUBDIVISIONS
        for i, run in enumerate(self.rec.runs):
            if step > run.last_step:
                continue
            pts, vis = self._screen[i]
            px, py = pts[step * m, 0], pts[step * m, 1]
            alpha = 1.0 if vis[step * m] else 0.35
            if self.arrow_set is not None and vis[step * m]:
                self._draw_arrows(i, run, step, (px, py), renderer)
            for artist in (self.balls[i], self.shines[i]):
                artist.set_data([px], [py])
                artist.set_alpha(alpha if artist is self.balls[i] else 0.8 * alpha)
                artist.draw(renderer)

    def _draw_arrows(
        self, i: int, run: Run, step: int, start_px: tuple[float, float], renderer: object
    ) -> None:
        """Arrows from the ball along the surface: the tip sits on the surface too."""
        assert self.arrow_set is not None
        x, y = run.positions[step]
        projection = self.projection()
        for arrow, vector in self.arrow_set.vectors(i, run, step):
            tx, ty = np.array([x + vector[0]]), np.array([y + vector[1]])
            tip = projection.project(tx, ty, self.heights(tx, ty) + self.lift)[0]
            span = np.hypot(tip[0] - start_px[0], tip[1] - start_px[1])
            if not (np.isfinite(span) and span >= 2.0):  # off the surface, or too short
                continue
            arrow.set_positions(start_px, (tip[0], tip[1]))
            arrow.draw(renderer)

    def set_azim(self, azim: float) -> None:
        """Turn the camera; paths are re-projected at the next draw."""
        self.ax.view_init(elev=self.ax.elev, azim=azim)
        self._screen = None
