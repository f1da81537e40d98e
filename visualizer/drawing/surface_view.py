"""The 3D view of a surface: the shaded surface with trails and balls that sit on it.

A *layer* of a frame (:class:`~visualizer.drawing.layer.Layer`), like the contour view
(:mod:`visualizer.drawing.contour_view`).
"""

from __future__ import annotations

from itertools import product

import matplotlib
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D, Bbox, IdentityTransform, TransformedBbox

from visualizer.drawing._exits import ExitMark, drawn_path
from visualizer.drawing._marks import ArrowSet, Ball, NameTags
from visualizer.drawing.geometry import (
    HeightField,
    Projection,
    choose_camera,
    fit_square,
    path_window,
    shown_steps,
    stacked_sizes,
    surface_grid,
    travel_direction,
    visible,
)
from visualizer.drawing.layer import Layer
from visualizer.drawing.layout import Rect, label_axes
from visualizer.drawing.simplex import SimplexMarks
from visualizer.drawing.theme import Theme, run_styles
from visualizer.maths.recorder import Recording, Run


class SurfaceView(Layer):
    """The surface in 3D with trails and balls that sit on it.

    The view is chosen for the paths: the part of the window they use
    (:func:`~visualizer.drawing.geometry.path_window`), heights above the paths'
    highest loss compressed into a low rim, and, unless a camera is given, a
    camera at right angles to their travel (:func:`~visualizer.drawing.geometry.choose_camera`).

    A path is drawn as the optimizer moves: a straight jump from iterate to
    iterate, each iterate on the surface. Draped over the surface instead, the
    wall-to-wall jumps of GD in a ravine become U-shaped curves that all run
    through the same valley floor and merge into one band; as chords they stay
    apart, and a chord shows exactly what an update does: leave one point,
    land on another.

    matplotlib paints 3D artists in painter's order, so a path behind a hill
    would be painted over it. Instead, the surface is drawn once and the paths
    are projected to the screen here; points along each chord are ray-tested
    against the height field (:func:`~visualizer.drawing.geometry.visible`), and hidden
    parts are drawn dashed. Each ball stands on a contact shadow; a hidden ball
    keeps its colour, drawn as a translucent disc with a solid rim.
    """

    LIFT = 0.012  # balls and trails float this fraction of the height range above
    SUBDIVISIONS = 8  # points per step along a chord, for the ray test
    BALL_PT = 14.0

    def __init__(
        self,
        figure: Figure,
        rect: Rect,
        rec: Recording,
        theme: Theme,
        *,
        elev: float | None = None,
        azim: float | None = None,
        arrows: bool = False,
        orbit: bool = False,
        labels: bool = False,
    ) -> None:
        self.figure, self.rec, self.theme, self.arrows = figure, rec, theme, arrows
        surface = rec.surface
        # the 3D grid's colour: read from rcParams when the axes is made (matplotlib
        # offers no setter for it afterwards)
        with matplotlib.rc_context({"grid.color": (*to_rgb(theme.grid), 1.0)}):
            ax = figure.add_axes(rect.bounds, projection="3d", computed_zorder=False)
        self.ax = ax
        paths = [run.positions[: run.last_step + 1] for run in rec.runs]
        window = path_window(surface.window, paths, surface.minima, pad=0.25)
        X, Y, Z = surface_grid(surface, 80, window)
        self.heights = heights = HeightField.of(surface, Z, window=window, top=self._top(window, Z))
        self.lift = self.LIFT * heights.span
        ax.plot_surface(
            X,
            Y,
            heights.of_values(Z),
            cmap=theme.surface_cmap(),
            rcount=64,
            ccount=64,
            linewidth=0.3,
            edgecolor=theme.mesh_line,
            antialiased=True,
            shade=True,
            zorder=1,
        )
        xmin, xmax, ymin, ymax = window
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_zlim(heights.hmin, heights.hmin + heights.span * 1.02)
        dx, dy = xmax - xmin, ymax - ymin
        ratio = float(np.clip(dy / dx, 0.45, 2.2))
        ax.set_box_aspect((1.0, ratio, 0.34 * max(1.0, ratio)), zoom=1.0)
        ax.set_proj_type("persp", focal_length=0.6)
        default_elev, default_azim = surface.camera
        ax.view_init(
            elev=elev if elev is not None else default_elev,
            azim=azim if azim is not None else default_azim,
        )
        if azim is None:
            # where the runs go: a run that diverged says nothing about the valley
            kept = [p for run, p in zip(rec.runs, paths, strict=True) if run.diverged_at is None]
            travel = travel_direction(kept or paths)
            if travel is not None:
                chosen = choose_camera(self._projection_at, heights, self._samples(), travel)
                ax.view_init(elev=elev if elev is not None else chosen[0], azim=chosen[1])
        self.azim = float(ax.azim)
        self._fill(rect, orbit)
        self.clip = clip = TransformedBbox(Bbox.from_bounds(*rect.bounds), figure.transFigure)
        ax.set_facecolor(theme.background)
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_pane_color((*to_rgb(theme.panel), 1.0))
            axis.label.set_color(theme.muted)
            axis.set_major_locator(MaxNLocator(4))
        top = heights.knee if heights.knee is not None else heights.hmax
        ax.set_zticks(
            [t for t in MaxNLocator(3).tick_values(heights.hmin, top) if heights.hmin <= t <= top]
        )
        zlabel = "log₁₀(1 + f − f*)" if heights.log else "f"
        label_axes(ax, (*surface.labels, zlabel), color=theme.muted, label_pt=12)
        ax.tick_params(pad=1)
        ax.xaxis.labelpad = ax.yaxis.labelpad = 2
        ax.zaxis.labelpad = 6
        self.trails_front: list[Line2D] = []
        self.trails_back: list[Line2D] = []
        self.balls: list[Ball] = []
        self.shadows: list[Line2D] = []
        ident = IdentityTransform()
        shadow_marker = MarkerStyle(Path.unit_circle().transformed(Affine2D().scale(1.0, 0.38)))
        self.styles = run_styles(rec, theme)
        # what is drawn of each run: up to where it leaves the 3D window (see _exits);
        # the mark says the step it left the picture, the legend's
        self.paths = [drawn_path(run, heights.window) for run in rec.runs]
        self.exit_marks: list[ExitMark | None] = []
        for run, style, (_, left) in zip(rec.runs, self.styles, self.paths, strict=True):
            color = style.color
            control = run.spec.control
            front = Line2D(
                [],
                [],
                color=color,
                transform=ident,
                animated=True,
                **(
                    {"linewidth": 1.2, "linestyle": (0, (4, 2.5)), "alpha": 0.7}
                    if control
                    else {
                        "linewidth": 1.7,
                        "marker": style.marker,
                        "markersize": 4.0,
                        "markeredgewidth": 0,
                        "markevery": (0, self.SUBDIVISIONS),
                    }
                ),
            )
            back = Line2D(
                [],
                [],
                color=color,
                linewidth=1.0 if control else 1.4,
                alpha=0.3 if control else 0.5,
                linestyle=(0, (2.5, 2)),
                transform=ident,
                animated=True,
            )
            mark = (
                ExitMark(figure, theme, color, run.left_at(surface.window) or 0) if left else None
            )
            self.exit_marks.append(mark)
            ball = Ball(figure, theme, color, style.marker, self.BALL_PT, ident)
            shadow = Line2D(
                [],
                [],
                marker=shadow_marker,
                markersize=ball.size * 1.5,
                markerfacecolor=theme.shadow,
                markeredgewidth=0,
                alpha=0.45,
                linestyle="none",
                transform=ident,
                animated=True,
            )
            for artist in (front, back, *ball.artists(), shadow):
                artist.set_figure(figure)
                artist.set_clip_box(clip)
            if mark is not None:
                mark.clip(clip)
            self.trails_front.append(front)
            self.trails_back.append(back)
            self.balls.append(ball)
            self.shadows.append(shadow)
        self.minimum_marks = [
            Line2D(
                [],
                [],
                marker="*",
                markersize=16,
                color=theme.background,
                markeredgecolor=theme.minimum_marker,
                markeredgewidth=1.3,
                linestyle="none",
                transform=ident,
                figure=figure,
            )
            for _ in surface.minima
        ]
        self.arrow_set = ArrowSet(rec, theme, ident, three_d=True) if arrows else None
        if self.arrow_set is not None:
            for arrow in self.arrow_set.grad_arrows + self.arrow_set.vel_arrows:
                if arrow is not None:
                    arrow.set_figure(figure)
                    arrow.set_clip_box(clip)
        self.name_tags = NameTags(figure, rec, theme) if labels else None
        if self.name_tags is not None:
            for tag in self.name_tags.tags:
                tag.set_clip_box(clip)
        self.simplices = SimplexMarks(figure, rec, self.styles, ident, clip)
        # per run: screen pixels (with depth) and visibility of the points along its chords
        self._screen: list[tuple[np.ndarray, np.ndarray]] | None = None
        # the last step _screen covers; after a turn only up to the step drawn (a full
        # redraw per frame needs no more), else every step (blitting draws them all)
        self._screen_to = -1
        self._turned = False

    # --- geometry ---------------------------------------------------------------------

    def _top(self, window: tuple[float, float, float, float], Z: np.ndarray) -> float | None:
        """Highest loss on the paths inside ``window``, plus a margin: the compression knee."""
        highs = []
        xmin, xmax, ymin, ymax = window
        for run in self.rec.runs:
            P = run.positions[: run.last_step + 1]
            inside = (P[:, 0] >= xmin) & (P[:, 0] <= xmax) & (P[:, 1] >= ymin) & (P[:, 1] <= ymax)
            f = run.losses[: run.last_step + 1][inside]
            f = f[np.isfinite(f)]
            if f.size:
                highs.append(float(f.max()))
        if not highs:
            return None
        low = float(np.min(Z))
        return max(highs) + 0.08 * (max(highs) - low)

    def _samples(self) -> np.ndarray:
        """Points on the paths (iterates and chord midpoints), ``(n, 3)``, for the camera."""
        pts = []
        for run in self.rec.runs:
            P = run.positions[: run.last_step + 1]
            P = P[self.heights.inside(P[:, 0], P[:, 1])]
            if len(P) > 60:
                P = P[np.linspace(0, len(P) - 1, 60).round().astype(int)]
            z = self.heights(P[:, 0], P[:, 1]) + self.lift
            pts.append(np.column_stack([P, z]))
        return np.concatenate(pts) if pts else np.zeros((0, 3))

    def _fill(self, rect: Rect, orbit: bool) -> None:
        """Place the (square) 3D axes so that the box fills ``rect`` (see :func:`fit_square`).

        With ``orbit``, the box must fit at every azimuth of the turn.
        """
        ax, fig = self.ax, self.figure
        W, H = fig.bbox.width, fig.bbox.height
        corners = np.array(list(product(ax.get_xlim3d(), ax.get_ylim3d(), ax.get_zlim3d()))).T
        turns = np.linspace(0.0, 360.0, 12, endpoint=False) if orbit else np.zeros(1)
        uv = [self._projection_at(ax.elev, self.azim + t).projected(*corners)[:2] for t in turns]
        ax.view_init(elev=ax.elev, azim=self.azim)
        lim = ax.viewLim
        px = fig.dpi / 72.0
        left, bottom, side = fit_square(
            np.concatenate(uv, axis=1),
            (lim.x0, lim.x1, lim.y0, lim.y1),
            (rect.x * W, rect.y * H, rect.w * W, rect.h * H),
            (34 * px, 22 * px),
        )
        ax.set_position((left / W, bottom / H, side / W, side / H))

    def _projection_at(self, elev: float, azim: float) -> Projection:
        self.ax.view_init(elev=elev, azim=azim)
        return self.projection()

    def projection(self) -> Projection:
        """The camera as it is now (pixels are valid once the figure has been drawn)."""
        return Projection(self.ax.get_proj(), self.ax.transData.get_affine().get_matrix())

    def _prepare(self, last: int | None = None) -> None:
        """Project every run's path, iterate to iterate, and ray-test it.

        Each step's chord is subdivided :attr:`SUBDIVISIONS` times; iterates sit
        on the surface and the points between them on the straight chord. Runs
        after the static draw, when the camera is known. With ``last``, only up
        to that step (each point is projected and tested on its own, so the
        points are the same as those of the whole path).
        """
        m = self.SUBDIVISIONS
        self._screen = []
        self._screen_to = self.rec.steps if last is None else last
        projection, heights = self.projection(), self.heights
        for path, _left in self.paths:
            P = path[: self._screen_to + 1]
            x, y = P[:, 0], P[:, 1]
            z = heights(x, y) + self.lift
            out = ~heights.inside(x, y)
            if len(P) > 1:
                t = np.arange(m) / m
                Q = np.column_stack([P, z])
                dense = Q[:-1, None, :] + t[None, :, None] * (Q[1:] - Q[:-1])[:, None, :]
                dense = np.concatenate([dense.reshape(-1, 3), Q[-1:]])
                gone = np.repeat(out[:-1] | out[1:], m)
                gone = np.concatenate([gone, out[-1:]])
                gone[::m] = out  # an iterate inside the window is shown even beside a jump out
            else:
                dense, gone = np.column_stack([P, z]), out
            pts = projection.project(*dense.T)
            vis = visible(projection, heights, *dense.T)
            # outside the window there is no surface to sit on: draw nothing there
            pts[gone] = np.nan
            self._screen.append((pts, vis))

    def _prepared(self, step: int) -> None:
        """Make sure the paths are projected and ray-tested up to ``step``."""
        if self._screen is None or step > self._screen_to:
            self._prepare(step if self._turned else None)

    # --- layer ------------------------------------------------------------------------

    def draw_background(self) -> None:
        """Mark the minima that the window shows (faint where the surface hides them)."""
        if not self.minimum_marks:
            return
        projection, heights = self.projection(), self.heights
        M = np.asarray(self.rec.surface.minima, dtype=float)
        z = heights(M[:, 0], M[:, 1]) + self.lift
        pts = projection.project(M[:, 0], M[:, 1], z)
        seen = visible(projection, heights, M[:, 0], M[:, 1], z)
        renderer = self.figure.canvas.get_renderer()
        for mark, (px, py, _), ok, inside in zip(
            self.minimum_marks, pts, seen, heights.inside(M[:, 0], M[:, 1]), strict=True
        ):
            if not inside:
                continue
            mark.set_data([px], [py])
            mark.set_alpha(1.0 if ok else 0.45)
            mark.draw(renderer)

    def draw_trail(self, start: int, stop: int) -> None:
        """Draw the trail between ``start`` and ``stop``; hidden parts faint and dashed."""
        self._prepared(stop)
        assert self._screen is not None
        renderer = self.figure.canvas.get_renderer()
        m = self.SUBDIVISIONS
        runs = self.rec.runs
        for i in sorted(range(len(runs)), key=lambda i: not runs[i].spec.control):
            run = runs[i]
            rows = shown_steps(run, start, min(stop, len(self.paths[i][0]) - 1))
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
            mark, left = self.exit_marks[i], self.paths[i][1]
            if mark is not None and left is not None and start < left <= stop:
                x, y = pts[left * m, :2]
                if np.isfinite(x) and np.isfinite(y):
                    mark.draw(x, y, tuple(self.clip.corners().mean(axis=0)))

    def draw_dynamic(self, step: int) -> None:
        """Draw the balls at ``step``, each on its shadow; hidden ones translucent."""
        self._prepared(step)
        assert self._screen is not None
        renderer = self.figure.canvas.get_renderer()
        m = self.SUBDIVISIONS
        radius = max(ball.radius_px for ball in self.balls) if self.balls else 0.0
        shown = []
        for i, run in enumerate(self.rec.runs):
            left = self.paths[i][1]
            if step > run.last_step or (left is not None and step >= left):
                continue  # stopped, or gone out of the window (its mark shows where)
            pts, vis = self._screen[i]
            px, py = pts[step * m, 0], pts[step * m, 1]
            if not np.isfinite(px):
                continue
            shown.append((i, run, px, py, bool(vis[step * m])))
        if self.simplices:  # Nelder–Mead's triangles on the surface, under the balls
            self.simplices.draw(step, self._on_surface, renderer)
        for i, _run, px, py, _seen in shown:
            self.shadows[i].set_data([px], [py])
            self.shadows[i].draw(renderer)
        for i, run, px, py, seen in shown:
            if self.arrow_set is not None and seen:
                self._draw_arrows(i, run, step, (px, py), renderer)
        # balls stand on their contact point: the centre one radius up the screen
        centres = np.array([(px, py + 0.8 * radius) for _, _, px, py, _ in shown]).reshape(-1, 2)
        sizes = stacked_sizes(centres, radius)
        for (i, _run, px, _py, seen), (_, cy), size in zip(shown, centres, sizes, strict=True):
            self.balls[i].draw(px, cy, scale=size, seen=seen)
            if self.name_tags is not None:
                self.name_tags.draw(i, px, cy, radius, size)

    def _on_surface(self, vertices: np.ndarray) -> tuple[np.ndarray, bool] | None:
        """Pixels of points ``(k, 2)`` on the surface and whether the surface hides none
        of them, or ``None`` if one is off the window."""
        x, y = vertices[:, 0], vertices[:, 1]
        if not np.all(self.heights.inside(x, y)):
            return None
        projection, z = self.projection(), self.heights(x, y) + self.lift
        seen = bool(np.all(visible(projection, self.heights, x, y, z)))
        return projection.project(x, y, z)[:, :2], seen

    def _draw_arrows(
        self, i: int, run: Run, step: int, start_px: tuple[float, float], renderer: object
    ) -> None:
        """Arrows from the ball along the surface: the tip sits on the surface too."""
        assert self.arrow_set is not None
        x, y = run.positions[step]
        projection = self.projection()
        for arrow, vector in self.arrow_set.vectors(i, run, step):
            tx, ty = np.array([x + vector[0]]), np.array([y + vector[1]])
            if not self.heights.inside(tx, ty)[0]:
                continue
            tip = projection.project(tx, ty, self.heights(tx, ty) + self.lift)[0]
            span = np.hypot(tip[0] - start_px[0], tip[1] - start_px[1])
            if not (np.isfinite(span) and span >= 2.0):  # off the surface, or too short
                continue
            arrow.set_positions(start_px, (tip[0], tip[1]))
            arrow.draw(renderer)

    def drawing_box(self) -> Bbox:
        """The region that clips trails, balls, shadows and arrows."""
        return self.clip

    def turn(self, degrees: float) -> None:
        """Turn the camera from its first azimuth; paths are re-projected at the next draw."""
        self.ax.view_init(elev=self.ax.elev, azim=self.azim + degrees)
        self._screen = None
        self._turned = True
