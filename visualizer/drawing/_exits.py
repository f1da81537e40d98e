"""Where a run leaves the picture: its path clipped at the window, and the mark left there.

A run *leaves the picture* at :meth:`~visualizer.maths.recorder.Run.left_at` (the
one definition the legend, the captions and the command's notes use). Both views
draw its path only up to there: the last step is cut where it crosses the window's
edge (:func:`drawn_path`), so the jumps it takes outside the window are not drawn
as strokes across the picture, and a small ✕ with "left at step N" marks the place
(:class:`ExitMark`).
"""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform

from visualizer.drawing.layout import text_pt
from visualizer.drawing.theme import Theme
from visualizer.maths.recorder import Run

Window = tuple[float, float, float, float]


def exit_point(inside: np.ndarray, outside: np.ndarray, window: Window) -> np.ndarray:
    """Where the segment from ``inside`` (in ``window``) to ``outside`` crosses its edge.

    Examples
    --------
    >>> exit_point(np.array([0.0, 0.0]), np.array([4.0, 1.0]), (-2, 2, -2, 2)).tolist()
    [2.0, 0.5]
    >>> exit_point(np.array([0.0, 1.0]), np.array([0.0, -7.0]), (-2, 2, -2, 2)).tolist()
    [0.0, -2.0]
    """
    a, d = np.asarray(inside, dtype=float), np.asarray(outside, dtype=float) - inside
    lo, hi = np.array(window[0::2], dtype=float), np.array(window[1::2], dtype=float)
    t = 1.0
    for k in range(2):
        if d[k] > 0:
            t = min(t, (hi[k] - a[k]) / d[k])
        elif d[k] < 0:
            t = min(t, (lo[k] - a[k]) / d[k])
    return np.clip(a + max(t, 0.0) * d, lo, hi)  # on the edge, not a rounding outside


def drawn_path(run: Run, window: Window) -> tuple[np.ndarray, int | None]:
    """The positions a view draws, and the step the run left ``window`` (or ``None``).

    Every finite position, except for a run that left the picture: its positions up
    to the step before it left, then the point where that last step crosses the
    window's edge (row ``left``); nothing after.

    Examples
    --------
    >>> from surfaces import get_surface
    >>> from visualizer.maths.recorder import record
    >>> s = get_surface("ravine")
    >>> run = record(s, ["gd:lr=0.041"], steps=8).runs[0]
    >>> path, left = drawn_path(run, s.window)
    >>> left, path.shape, round(path[-1, 1].item(), 9)
    (1, (2, 2), -2.4)
    """
    positions = run.positions[: run.last_step + 1]
    left = run.left_at(window)
    if left is None or left == 0:
        return (positions, left) if left is None else (positions[:1], 0)
    edge = exit_point(positions[left - 1], positions[left], window)
    return np.vstack([positions[:left], edge[None, :]]), left


class ExitMark:
    """A ✕ in the run's colour where it left the picture, "left at step N" beside it.

    Drawn once, with the trail (it stays). The text is primary: on small frames it
    grows to the least legible size rather than being dropped.
    """

    def __init__(self, figure: Figure, theme: Theme, color: str, left: int) -> None:
        self.figure = figure
        self.cross = Line2D(
            [],
            [],
            marker="X",
            markersize=8.0,
            markerfacecolor=color,
            markeredgecolor=theme.background,
            markeredgewidth=1.0,
            linestyle="none",
            transform=IdentityTransform(),
            figure=figure,
            animated=True,
            zorder=9,
        )
        size = text_pt(10.5, figure.dpi, primary=True)
        halo = [patheffects.withStroke(linewidth=2.5, foreground=theme.background)]
        self.text = Text(
            0,
            0,
            f"left at step {left}",
            color=theme.text,
            fontsize=size,
            fontweight="bold",
            path_effects=halo,
            transform=IdentityTransform(),
            figure=figure,
            animated=True,
            zorder=9,
        )

    def clip(self, box: object) -> None:
        """Clip the mark to ``box`` (display coordinates)."""
        for artist in (self.cross, self.text):
            artist.set_clip_box(box)  # type: ignore[arg-type]

    def draw(self, x_px: float, y_px: float, centre_px: tuple[float, float]) -> None:
        """Draw the mark at ``(x_px, y_px)``, its text on the side towards ``centre_px``."""
        renderer = self.figure.canvas.get_renderer()
        dx, dy = centre_px[0] - x_px, centre_px[1] - y_px
        # just inside the edge, so the window does not cut the ✕ in half
        inset = 4.0 * self.figure.dpi / 72.0
        x_px += float(np.clip(dx, -inset, inset))
        y_px += float(np.clip(dy, -inset, inset))
        self.cross.set_data([x_px], [y_px])
        self.cross.draw(renderer)
        gap = 8.0 * self.figure.dpi / 72.0
        self.text.set_horizontalalignment("left" if dx >= 0 else "right")
        self.text.set_verticalalignment("bottom" if dy >= 0 else "top")
        self.text.set_position((x_px + np.copysign(gap, dx), y_px + np.copysign(gap, dy)))
        self.text.draw(renderer)
