"""Nelder–Mead's simplex, drawn at each step: the current triangle, the last ones fading.

A run with :attr:`~visualizer.maths.recorder.Run.simplices` (``scipy:Nelder-Mead``)
gets, at step ``t``, the triangle of iteration ``t`` in its colour with a light fill,
and those of the :data:`FADE_STEPS` iterations before it as thinner outlines, each
fainter the older it is, so the reflections, expansions, contractions and shrinks
read as motion. Both views use it: the contour view in data coordinates, the
surface view with each vertex on the surface (projected to pixels by the view;
edges are straight chords between the vertices, as the paths' are).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.transforms import Bbox, Transform

from visualizer.drawing.theme import RunStyle
from visualizer.maths.recorder import Recording, Run

#: Where a triangle goes: its vertices in the artists' coordinates and whether all
#: three are in sight, or ``None`` when it cannot be drawn.
Placement = Callable[[np.ndarray], "tuple[np.ndarray, bool] | None"]

#: How many iterations before the current one are still drawn, fading out.
FADE_STEPS = 8
#: Opacity of the newest past triangle; older ones fade linearly to zero.
PAST_ALPHA = 0.55


def simplex_row(run: Run, step: int) -> int:
    """The row of ``run.simplices`` shown at ``step``: held once the run stopped or diverged.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> run = SimpleNamespace(last_step=40, stopped_at=12)
    >>> simplex_row(run, 5), simplex_row(run, 30)
    (5, 12)
    """
    last = run.last_step if run.stopped_at is None else min(run.last_step, run.stopped_at)
    return max(0, min(step, last))


def fade_alphas(count: int) -> np.ndarray:
    """Opacity of the past triangles, newest first: ``PAST_ALPHA`` down towards 0.

    Examples
    --------
    >>> fade_alphas(3).round(3).tolist()
    [0.55, 0.489, 0.428]
    """
    return PAST_ALPHA * (1.0 - np.arange(count) / (FADE_STEPS + 1))


class SimplexMarks:
    """The simplices of every run that has them, drawn with one line and one patch."""

    def __init__(
        self,
        figure: Figure,
        rec: Recording,
        styles: list[RunStyle],
        transform: Transform,
        clip: Bbox,
    ) -> None:
        self.entries = [
            (run, style.color)
            for run, style in zip(rec.runs, styles, strict=True)
            if run.simplices is not None
        ]
        self.line = Line2D([], [], transform=transform, animated=True, solid_joinstyle="round")
        self.fill = Polygon(np.zeros((3, 2)), closed=True, transform=transform, animated=True)
        for artist in (self.line, self.fill):
            artist.set_figure(figure)
            artist.set_clip_box(clip)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def draw(self, step: int, place: Placement, renderer: object) -> None:
        """Draw each run's triangles at ``step``.

        ``place`` maps ``(3, 2)`` vertices to the artists' coordinates and whether
        all three are in sight, or to ``None`` (not drawable: off the surface). A
        triangle partly hidden by the surface is drawn dashed and fainter, as the
        paths' hidden parts are.
        """
        for run, color in self.entries:
            row = simplex_row(run, step)
            first = max(0, row - FADE_STEPS)
            past = range(row - 1, first - 1, -1)
            for k, alpha in reversed(list(zip(past, fade_alphas(len(past)), strict=True))):
                self._outline(place(run.simplices[k]), color, alpha, 1.0, renderer)
            placed = place(run.simplices[row])
            if placed is None or not np.all(np.isfinite(placed[0])):
                continue
            self.fill.set_xy(placed[0])
            self.fill.set_facecolor(color)
            self.fill.set_alpha(0.18 if placed[1] else 0.08)
            self.fill.set_linewidth(0)
            self.fill.draw(renderer)
            self._outline(placed, color, 1.0, 1.8, renderer)

    def _outline(
        self,
        placed: tuple[np.ndarray, bool] | None,
        color: str,
        alpha: float,
        width: float,
        renderer: object,
    ) -> None:
        if placed is None or not np.all(np.isfinite(placed[0])):
            return
        points, seen = placed
        closed = np.vstack([points, points[:1]])
        self.line.set_data(closed[:, 0], closed[:, 1])
        self.line.set_color(color)
        self.line.set_alpha(alpha if seen else 0.5 * alpha)
        self.line.set_linewidth(width)
        self.line.set_linestyle("-" if seen else (0, (2.5, 2)))
        self.line.draw(renderer)
