"""What both views draw at a run's position: a ball, its gradient arrows, its name tag."""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform, Transform, offset_copy

from visualizer.drawing.geometry import ArrowScales
from visualizer.drawing.layout import text_pt
from visualizer.drawing.theme import Theme, run_styles
from visualizer.maths.recorder import Recording, Run

#: Smallest drawn ball, in pixels across: on small frames (480x270) balls stay visible.
MIN_BALL_PX = 10.0
#: Size of each marker relative to a circle's, so that every shape reads about as large
#: (a triangle fills less of its box than a circle, a diamond more).
MARKER_SCALE = {"o": 1.0, "s": 1.0, "D": 0.8, "v": 1.05, "^": 1.05, "P": 1.08, "X": 1.05}


def ball_pt(size_pt: float, dpi: float) -> float:
    """A ball's size in points: ``size_pt``, or more where that is under :data:`MIN_BALL_PX`.

    Examples
    --------
    >>> ball_pt(13.0, 100.0), round(ball_pt(13.0, 37.5), 2)
    (13.0, 19.2)
    """
    return max(size_pt, MIN_BALL_PX * 72.0 / dpi)


class Ball:
    """A run's ball: its optimizer's marker shape, so runs are told apart without colour.

    The body is the run's colour with a ring of the theme's ``ball_edge`` and, around
    that, a thin outline in the contrasting text colour: on a pale floor the outline
    shows, on a dark wall the ring, so the shape stands out from any surface under any
    colour vision. A round ball gets a highlight (a small white spot up-left) that reads
    as a sphere.

    Parameters
    ----------
    figure, theme
        The figure and its theme.
    color, marker
        The run's colour and marker (:class:`~visualizer.drawing.theme.RunStyle`).
    size_pt
        Nominal size in points (raised on small frames, see :func:`ball_pt`).
    transform
        Coordinates of :meth:`draw`'s ``x, y``.
    """

    def __init__(
        self,
        figure: Figure,
        theme: Theme,
        color: str,
        marker: str,
        size_pt: float,
        transform: Transform,
    ) -> None:
        self.figure, self.theme, self.color = figure, theme, color
        self.size = ball_pt(size_pt, figure.dpi) * MARKER_SCALE.get(marker, 1.0)
        self.outline = theme.text
        self.body = Line2D(
            [],
            [],
            marker=marker,
            markersize=self.size,
            markerfacecolor=color,
            markeredgecolor=theme.ball_edge,
            linestyle="none",
            transform=transform,
            animated=True,
            zorder=10,
        )
        self.shine = (
            Line2D(
                [],
                [],
                marker="o",
                markersize=self.size * 0.32,
                markerfacecolor="white",
                markeredgewidth=0,
                alpha=0.8,
                linestyle="none",
                transform=offset_copy(
                    transform, figure, x=-self.size / 6, y=self.size / 6, units="points"
                ),
                animated=True,
                zorder=11,
            )
            if marker == "o"
            else None
        )

    @property
    def radius_px(self) -> float:
        """Half the ball's nominal size, in pixels."""
        return self.size / 2 * self.figure.dpi / 72.0

    def artists(self) -> list[Line2D]:
        """The artists (to add to an axes, or to clip)."""
        return [self.body] + ([self.shine] if self.shine is not None else [])

    def draw(self, x: float, y: float, *, scale: float = 1.0, seen: bool = True) -> None:
        """Draw the ball at ``(x, y)``, ``scale`` times its size.

        ``scale < 1``: a ball on top of others, with a thin edge so their rings show.
        ``seen=False``: behind a 3D surface, a translucent body with a solid rim.
        """
        body, size = self.body, self.size * scale
        edge = size * 0.14 if scale == 1.0 else 0.5
        body.set_markersize(size)
        body.set_markeredgewidth(edge)
        body.set_data([x], [y])
        if seen:
            body.set_markerfacecolor(self.color)
            body.set_markeredgecolor(self.theme.ball_edge)
            # stacked on other balls (scale < 1): no outline, so their rings show
            # at least 1.5 px of outline outside the ring, however small the frame
            rim = max(1.1, 1.5 * 72.0 / self.figure.dpi)
            outline = patheffects.Stroke(linewidth=edge + 2 * rim, foreground=self.outline)
            body.set_path_effects([outline, patheffects.Normal()] if scale == 1.0 else [])
        else:
            body.set_markerfacecolor((*to_rgb(self.color), 0.35))
            body.set_markeredgecolor(self.color)
            body.set_path_effects([])
        renderer = self.figure.canvas.get_renderer()
        body.draw(renderer)
        if self.shine is not None and seen:
            self.shine.set_markersize(size * 0.32)
            self.shine.set_data([x], [y])
            self.shine.draw(renderer)


class ArrowSet:
    """Arrows at each ball, to the stated scale of
    :class:`~visualizer.drawing.geometry.ArrowScales`.

    A solid arrow is ``−∇f``; a dashed one is the last step a momentum-type
    optimizer took (``−v``, as ``θ ← θ − v``). Both shrink linearly to nothing at a
    minimum; arrows shorter than a hair are not drawn.
    """

    def __init__(
        self, rec: Recording, theme: Theme, transform: Transform, *, three_d: bool = False
    ) -> None:
        self.rec, self.theme = rec, theme
        self.scales = ArrowScales.of(rec.runs, rec.surface.window)
        width = 2.6 if three_d else 1.8
        colors = [style.color for style in run_styles(rec, theme)]
        self.grad_arrows = [self._arrow(c, transform, False, width) for c in colors]
        self.vel_arrows = [
            self._arrow(colors[i], transform, True, width) if r.velocities is not None else None
            for i, r in enumerate(rec.runs)
        ]

    def _arrow(
        self, color: str, transform: Transform, velocity: bool, width: float
    ) -> FancyArrowPatch:
        halo = [patheffects.withStroke(linewidth=width + 1.6, foreground=self.theme.background)]
        style = (
            {"linewidth": width * 0.9, "linestyle": (0, (3, 2))}
            if velocity
            else {"linewidth": width, "path_effects": halo}
        )
        head = 1.0 if width < 2 else 1.4
        return FancyArrowPatch(
            (0, 0),
            (0, 0),
            arrowstyle=f"-|>,head_length={6 * head:g},head_width={3.5 * head:g}",
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

    def _scaled(self, vector: np.ndarray, scale: float | None) -> np.ndarray | None:
        if scale is None or not np.all(np.isfinite(vector)):
            return None
        v = vector * scale
        return v if float(np.hypot(*v)) >= self.scales.min_length else None

    def vectors(self, i: int, run: Run, step: int) -> list[tuple[FancyArrowPatch, np.ndarray]]:
        """The arrows of run ``i`` at ``step`` with their vectors in data units."""
        out = []
        g = self._scaled(-run.gradients[step], self.scales.gradient_scale)
        if g is not None:
            out.append((self.grad_arrows[i], g))
        arrow = self.vel_arrows[i]
        if arrow is not None and run.velocities is not None:
            v = self._scaled(-run.velocities[step], self.scales.step_scale)
            if v is not None:
                out.append((arrow, v))
        return out


class NameTags:
    """Each run's name next to its ball, in the run's colour on a halo of the background.

    Balls stacked at one place (see :func:`~visualizer.drawing.geometry.stacked_sizes`) get
    their names one line apart.
    """

    def __init__(self, figure: Figure, rec: Recording, theme: Theme) -> None:
        self.figure = figure
        size = text_pt(12, figure.dpi, primary=True)
        halo = [patheffects.withStroke(linewidth=3.0, foreground=theme.background)]
        self.tags = [
            Text(
                0,
                0,
                run.label,
                color=style.color,
                fontsize=size,
                fontweight="bold",
                va="bottom",
                ha="left",
                path_effects=halo,
                transform=IdentityTransform(),
                figure=figure,
                animated=True,
                zorder=12,
            )
            for run, style in zip(rec.runs, run_styles(rec, theme), strict=True)
        ]
        self.line_px = (size or 12) * figure.dpi / 72.0 * 1.2

    def draw(self, i: int, x_px: float, y_px: float, radius_px: float, size: float) -> None:
        """Draw run ``i``'s name beside a ball at ``(x_px, y_px)`` drawn at ``size``."""
        level = round((1.0 - size) / 0.4)  # how many balls lie under this one
        tag = self.tags[i]
        tag.set_position((x_px + 0.9 * radius_px, y_px + 0.5 * radius_px + level * self.line_px))
        tag.draw(self.figure.canvas.get_renderer())
