"""The 2D view of a surface: filled contours with trails and balls on top.

A *layer* of a frame (:class:`~visualizer.drawing.layer.Layer`). It draws its static
parts when the figure is first drawn, then, per frame, :meth:`Layer.draw_trail` adds the
trail segments that are new since the previous frame (onto the saved background) and
:meth:`Layer.draw_dynamic` draws what moves (balls, arrows).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from visualizer.drawing._marks import ArrowSet, NameTags, make_ball
from visualizer.drawing.geometry import contour_levels, shown_steps, stacked_sizes, surface_grid
from visualizer.drawing.layer import Layer
from visualizer.drawing.layout import Rect, label_axes, text_pt
from visualizer.drawing.simplex import SimplexMarks
from visualizer.drawing.theme import Theme, run_styles
from visualizer.maths.recorder import Recording, Run


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
        self.styles = run_styles(rec, theme)
        for style in self.styles:
            color = style.color
            trail = Line2D(
                [],
                [],
                color=color,
                linewidth=2.2,
                marker=style.marker,
                markersize=3.6,
                markeredgewidth=0,
                solid_capstyle="round",
                solid_joinstyle="round",
                animated=True,
                zorder=8,
            )
            ball, shine = make_ball(figure, theme, color, self.BALL_PT, ax.transData)
            for artist in (trail, ball, shine):
                ax.add_line(artist)
            self.trails.append(trail)
            self.balls.append(ball)
            self.shines.append(shine)
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
        for i in self.indices:
            run, trail = self.rec.runs[i], self.trails[i]
            rows = shown_steps(run, start, stop)
            if rows is None:
                continue
            pts = run.positions[rows]
            trail.set_data(pts[:, 0], pts[:, 1])
            self.ax.draw_artist(trail)

    def draw_dynamic(self, step: int) -> None:
        """Draw the balls (and arrows) at ``step``; a ball on top of another is smaller."""
        runs = self.rec.runs
        if self.simplices:  # Nelder–Mead's triangles, under the balls
            renderer = self.figure.canvas.get_renderer()
            self.simplices.draw(step, lambda vertices: (vertices, True), renderer)
        shown = [(i, runs[i]) for i in self.indices if step <= runs[i].last_step]
        if self.arrow_set is not None:
            for i, run in shown:
                self._draw_arrows(i, run, step, *run.positions[step])
        xy = np.array([run.positions[step] for _, run in shown]).reshape(-1, 2)
        px = self.ax.transData.transform(xy)
        radius = self.BALL_PT / 2 * self.figure.dpi / 72.0
        for (i, _run), (x, y), size in zip(shown, xy, stacked_sizes(px, radius), strict=True):
            ball, shine = self.balls[i], self.shines[i]
            ball.set_markersize(self.BALL_PT * size)
            # a ball on top of others: a thin edge, so their rings show
            ball.set_markeredgewidth(self.BALL_PT * 0.14 if size == 1.0 else 0.5)
            shine.set_markersize(self.BALL_PT * size * 0.32)
            ball.set_data([x], [y])
            shine.set_data([x], [y])
            self.ax.draw_artist(ball)
            self.ax.draw_artist(shine)
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
