"""The 2D view of a surface: filled contours with trails and balls on top.

A *layer* of a frame (:class:`~visualizer.drawing.layer.Layer`). It draws its static
parts when the figure is first drawn, then, per frame, :meth:`Layer.draw_trail` adds the
trail segments that are new since the previous frame (onto the saved background) and
:meth:`Layer.draw_dynamic` draws what moves (balls, arrows).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from surfaces.base import Surface
from visualizer.drawing._exits import ExitMark, drawn_path
from visualizer.drawing._marks import ArrowSet, Ball, NameTags, ball_position, whole_step
from visualizer.drawing.geometry import contour_levels, stacked_sizes, surface_grid
from visualizer.drawing.layer import Layer
from visualizer.drawing.layout import Rect, label_axes, text_pt
from visualizer.drawing.simplex import SimplexMarks
from visualizer.drawing.theme import Theme, run_styles
from visualizer.maths.recorder import Recording, Run

#: How a control run's trail is drawn: thin, dashed and translucent, beneath the others.
CONTROL_TRAIL = {"linewidth": 1.3, "linestyle": (0, (4, 2.5)), "alpha": 0.6, "zorder": 6}


def draw_contours(
    ax: Axes, theme: Theme, surface: Surface, X: np.ndarray, Y: np.ndarray, Z: np.ndarray
) -> None:
    """The filled contours and their lines over ``ax`` (the view's and the explore
    page's backdrop); a flat surface gets one colour and no lines."""
    T, levels = contour_levels(surface, Z)
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


def draw_minima(ax: Axes, theme: Theme, surface: Surface) -> None:
    """A star at each known minimum of ``surface``."""
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


def main_trail(marker: str) -> dict[str, object]:
    """How a run's trail is drawn: a line with its optimizer's marker at each iterate."""
    return {
        "linewidth": 2.2,
        "marker": marker,
        "markersize": 3.6,
        "markeredgewidth": 0,
        "zorder": 8,
    }


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
    only
        Draw only this run (a panel of the ``grid`` view's small multiples), with
        its label above the panel; every panel has the same window, levels and
        colours, so panels compare at a glance.
    """

    BALL_PT = 13.0

    def __init__(
        self,
        figure: Figure,
        rect: Rect,
        rec: Recording,
        theme: Theme,
        *,
        arrows: bool = False,
        only: int | None = None,
        labels: bool = False,
    ) -> None:
        self.figure, self.rec, self.theme, self.arrows = figure, rec, theme, arrows
        self.name_tags = NameTags(figure, rec, theme) if labels else None
        self.indices = list(range(len(rec.runs))) if only is None else [only]
        surface = rec.surface
        ax = figure.add_axes(rect.bounds)
        self.ax = ax
        xmin, xmax, ymin, ymax = surface.window
        n = int(np.clip(max(rect.w * figure.bbox.width, rect.h * figure.bbox.height) / 2, 120, 400))
        X, Y, Z = surface_grid(surface, n)
        self._draw_contours(X, Y, Z)
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        if only is None:
            label_axes(ax, surface.labels, color=theme.muted)
            ax.xaxis.labelpad = ax.yaxis.labelpad = 2
            ax.tick_params(length=3)
        else:  # small multiples: the run's name on top, no ticks (one window for all)
            ax.set_xticks([])
            ax.set_yticks([])
            style = run_styles(rec, theme)[only]
            ax.set_title(
                rec.runs[only].label,
                color=style.color,
                fontsize=text_pt(13, figure.dpi, primary=True),
                fontweight="bold",
                loc="left",
                pad=3,
            )
        for spine in ax.spines.values():
            spine.set_color(theme.grid)
        draw_minima(ax, theme, surface)
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
        self.heads: list[Line2D] = []  # the step in progress, from its iterate to the ball
        self.balls: list[Ball] = []
        self.styles = run_styles(rec, theme)
        # what is drawn of each run: up to where it left the picture (see _exits)
        self.paths = [drawn_path(run, surface.window) for run in rec.runs]
        self.exit_marks: list[ExitMark | None] = []
        for run, style in zip(rec.runs, self.styles, strict=True):
            color = style.color
            trail = Line2D(
                [],
                [],
                color=color,
                solid_capstyle="round",
                solid_joinstyle="round",
                animated=True,
                **(CONTROL_TRAIL if run.spec.control else main_trail(style.marker)),
            )
            style_of = CONTROL_TRAIL if run.spec.control else main_trail(style.marker)
            head = Line2D(  # the trail's line, without the marks (the ball is not an iterate)
                [],
                [],
                color=color,
                solid_capstyle="round",
                animated=True,
                **{k: v for k, v in style_of.items() if not k.startswith("marker")},
            )
            ball = Ball(figure, theme, color, style.marker, self.BALL_PT, ax.transData)
            for artist in (trail, head, *ball.artists()):
                ax.add_line(artist)
            self.trails.append(trail)
            self.heads.append(head)
            self.balls.append(ball)
            left = self.paths[len(self.exit_marks)][1]
            mark = ExitMark(figure, theme, color, left) if left else None
            if mark is not None:
                mark.clip(ax.bbox)
            self.exit_marks.append(mark)
        self.arrow_set = ArrowSet(rec, theme, ax.transData) if arrows else None
        if self.arrow_set is not None:
            self.arrow_set.attach(ax)
        shown = [
            r if k in self.indices else dataclasses.replace(r, simplices=None)
            for k, r in enumerate(rec.runs)
        ]
        self.simplices = SimplexMarks(
            figure, dataclasses.replace(rec, runs=tuple(shown)), self.styles, ax.transData, ax.bbox
        )

    def _draw_contours(self, X: np.ndarray, Y: np.ndarray, Z: np.ndarray) -> None:
        draw_contours(self.ax, self.theme, self.rec.surface, X, Y, Z)

    def draw_trail(self, start: float, stop: float) -> None:
        """Draw the steps completed between step-times ``start`` and ``stop``, controls
        beneath: straight from iterate to iterate, with a mark on each iterate.

        Each step is drawn on its own, so a frame's pixels do not depend on which
        frames came before it (a GIF at 50 fps and a video at 60 fps show the same
        picture at the same step-time). The step in progress: :meth:`draw_dynamic`.
        A run that left the picture is drawn up to the window's edge, where its
        :class:`~visualizer.drawing._exits.ExitMark` goes when the trail gets there.
        """
        first, last = whole_step(start), whole_step(stop)
        runs = self.rec.runs
        order = sorted(self.indices, key=lambda i: not runs[i].spec.control)
        for i in order:
            path, left = self.paths[i]
            trail = self.trails[i]
            for step in range(first, min(last, len(path) - 1)):
                pts = path[step : step + 2]
                trail.set_data(pts[:, 0], pts[:, 1])
                self.ax.draw_artist(trail)
            mark = self.exit_marks[i]
            if mark is not None and left is not None and first < left <= last:
                x, y = self.ax.transData.transform(path[left])
                mark.draw(x, y, tuple(self.ax.bbox.corners().mean(axis=0)))

    def draw_dynamic(self, t: float) -> None:
        """Draw the balls (and arrows) at step-time ``t``; a ball on top of another is smaller.

        Between iterates ``k`` and ``k + 1`` a ball is on the straight segment
        (:func:`~visualizer.maths.motion.position_at`), its trail
        growing behind it; arrows stay at iterate ``k``, where their gradient was taken.
        """
        step = whole_step(t)
        runs = self.rec.runs
        if self.simplices:  # Nelder–Mead's triangles, under the balls
            renderer = self.figure.canvas.get_renderer()
            self.simplices.draw(step, lambda vertices: (vertices, True), renderer)
        # a run is drawn until it leaves the picture (its path's last row is the edge)
        shown = [
            (i, runs[i])
            for i in self.indices
            if step <= runs[i].last_step and (self.paths[i][1] is None or step < self.paths[i][1])
        ]
        if self.arrow_set is not None:
            for i, run in shown:
                self._draw_arrows(i, run, step, *run.positions[step])
        xy = np.array([ball_position(run, t) for _, run in shown]).reshape(-1, 2)
        for (i, run), (x, y) in zip(shown, xy, strict=True):
            path = self.paths[i][0]
            if step < min(run.last_step, len(path) - 1) and t > step:  # iterate to ball
                head = self.heads[i]
                head.set_data([path[step, 0], x], [path[step, 1], y])
                self.ax.draw_artist(head)
        px = self.ax.transData.transform(xy)
        radius = max((self.balls[i].radius_px for i, _ in shown), default=0.0)
        for (i, _run), (x, y), size in zip(shown, xy, stacked_sizes(px, radius), strict=True):
            self.balls[i].draw(x, y, scale=size)
        if self.name_tags is not None:
            for (i, _run), (px_x, px_y), size in zip(
                shown, px, stacked_sizes(px, radius), strict=True
            ):
                self.name_tags.draw(i, px_x, px_y, radius, size)

    def drawing_box(self) -> Bbox:
        """The axes: trails, balls and arrows are clipped to them."""
        return self.ax.bbox

    def _draw_arrows(self, i: int, run: Run, step: int, x: float, y: float) -> None:
        renderer = self.figure.canvas.get_renderer()
        for arrow, vector in self.arrow_set.vectors(i, run, step):
            arrow.set_positions((x, y), (x + vector[0], y + vector[1]))
            arrow.draw(renderer)
