"""Where each part of a frame goes, in figure fractions.

Two arrangements:

- one view (``contour`` or ``surface``): the view on the left, a sidebar on the
  right with the legend on top and the optional loss panel below it;
- ``both``: the contour and the 3D view side by side, with the legend (and the
  optional loss panel) in a band along the bottom;
- ``grid``: small multiples, one contour panel per run (same start, window and
  colour scale), with the sidebar of the one-view arrangement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from visualizer.maths.recorder import Recording
    from visualizer.scene.options import RenderOptions


#: No text is drawn smaller than this, in pixels: secondary text (ticks, hyperparameters,
#: the subtitle) is dropped instead, primary text (title, labels, live numbers) grows to it.
MIN_TEXT_PX = 9.0
#: At 1280x720 and the default dpi, no text is smaller than this, in pixels.
FULL_SIZE_TEXT_PX = 14.0


def text_pt(size_pt: float, dpi: float, *, primary: bool = False) -> float | None:
    """Font size to draw text of nominal ``size_pt`` at ``dpi``; ``None`` to drop it.

    Examples
    --------
    >>> text_pt(10.5, 100.0), text_pt(10.5, 37.5), text_pt(13.0, 37.5, primary=True)
    (10.5, None, 17.28)
    """
    if size_pt * dpi / 72.0 >= MIN_TEXT_PX:
        return size_pt
    return round(MIN_TEXT_PX * 72.0 / dpi, 6) if primary else None


def label_axes(
    ax: Axes, labels: tuple[str, ...], *, color: str, tick_pt: float = 10.5, label_pt: float = 11.0
) -> None:
    """Axis labels and tick labels at legible sizes, or none where they would be too small.

    ``labels`` are the x, y (and z) axis labels; ``ax`` may be a 3D axes.
    """
    from matplotlib.ticker import NullFormatter

    dpi = ax.figure.dpi
    tick, label = text_pt(tick_pt, dpi), text_pt(label_pt, dpi)
    axes = [ax.xaxis, ax.yaxis] + ([ax.zaxis] if hasattr(ax, "zaxis") else [])
    for axis, text in zip(axes, labels, strict=True):
        if label is not None:
            axis.set_label_text(text, fontsize=label, color=color)
        if tick is None:
            axis.set_major_formatter(NullFormatter())
            axis.set_minor_formatter(NullFormatter())
        else:
            axis.set_tick_params(which="both", labelsize=tick, labelcolor=color, color=color)


def headline_band(options: RenderOptions) -> float:
    """Height (figure fraction) the headline adds above the title: one line of 18 pt.

    Examples
    --------
    >>> from visualizer.scene.options import RenderOptions
    >>> round(headline_band(RenderOptions(headline="x")), 3)
    0.05
    """
    dpi, h = options.resolved_dpi(), options.size[1]
    return max(18.0 * dpi / 72.0, MIN_TEXT_PX) * 1.45 / h


@dataclass(frozen=True)
class Rect:
    """A rectangle in figure fractions: left, bottom, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, width, height)`` for ``Figure.add_axes``."""
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class Layout:
    """Rectangles of every part; ``None`` for parts not shown.

    ``legend_columns`` is how many columns the legend entries are spread over;
    ``grid`` holds one panel per run for the ``grid`` view (small multiples).
    """

    title_y: float
    contour: Rect | None
    surface: Rect | None
    loss: Rect | None
    legend: Rect
    legend_columns: int
    grid: tuple[Rect, ...] = ()
    headline_h: float = 0.0

    @property
    def heading_y(self) -> float:
        """Top of the surface's name and formula: under the headline, if there is one."""
        return self.title_y - self.headline_h


def _fit_aspect(region: Rect, aspect: float, fig_aspect: float) -> Rect:
    """Largest rectangle of data aspect ``aspect`` (height/width) centred in ``region``."""
    # in pixels: region.w * W by region.h * H; fig_aspect = H / W
    w_px, h_px = region.w, region.h * fig_aspect
    if h_px / w_px > aspect:  # region too tall: full width
        new_h = w_px * aspect / fig_aspect
        return Rect(region.x, region.y + (region.h - new_h) / 2, region.w, new_h)
    new_w = h_px / aspect
    return Rect(region.x + (region.w - new_w) / 2, region.y, new_w, region.h)


def _grid(area: Rect, n: int, aspect: float, fig_aspect: float, title_h: float) -> tuple[Rect, ...]:
    """``n`` panels of data aspect ``aspect`` in ``area``, each under a title ``title_h`` high.

    The number of columns is the one that gives the largest panels.
    """
    best: tuple[float, tuple[Rect, ...]] = (-1.0, ())
    gap = 0.012
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        cell_w = (area.w - gap * (cols - 1)) / cols
        cell_h = (area.h - gap * (rows - 1)) / rows
        if cell_h <= title_h:
            continue
        cells = []
        for k in range(n):
            r, c = divmod(k, cols)
            cell = Rect(
                area.x + c * (cell_w + gap),
                area.y + area.h - (r + 1) * cell_h - r * gap,
                cell_w,
                cell_h - title_h,
            )
            cells.append(_fit_aspect(cell, aspect, fig_aspect))
        size = cells[0].w * cells[0].h
        if size > best[0]:
            best = (size, tuple(cells))
    return best[1]


def make_layout(rec: Recording, options: RenderOptions) -> Layout:
    """Compute the layout of a frame for ``rec`` drawn with ``options``."""
    w, h = options.size
    fig_aspect = h / w
    xmin, xmax, ymin, ymax = rec.surface.window
    aspect = (ymax - ymin) / (xmax - xmin)
    # a headline (the takeaway) is a line of its own above the surface's name and formula
    headline_h = headline_band(options) if options.headline else 0.0
    title_band = 0.13 + headline_h
    top = 1.0 - title_band
    n = len(rec.runs)
    # live lines under each legend entry (a model run's readouts, a scheduled lr) are
    # drawn with the hyperparameters: room for them, and for the loss on a line of its
    # own (a label too wide for it beside), or the legend drops them all
    readouts = max((len(run.readout(0).splitlines()) for run in rec.runs), default=0)
    live = 1.0 + 1.05 * readouts if readouts else 0.0

    if options.view != "both":  # one view (or the grid's panels) left, a sidebar right
        side_w = 0.29
        side = Rect(1.0 - side_w, 0.06, side_w - 0.02, top - 0.06)
        main = Rect(0.065, 0.10, 1.0 - side_w - 0.09, top - 0.12)
        contour = surface = None
        grid: tuple[Rect, ...] = ()
        if options.view == "contour":
            contour = _fit_aspect(main, aspect, fig_aspect)
        elif options.view == "grid":
            title_h = max(13.0 * options.resolved_dpi() / 72.0, MIN_TEXT_PX) * 1.6 / h
            grid = _grid(
                Rect(0.03, 0.04, main.x + main.w - 0.03, top - 0.05), n, aspect, fig_aspect, title_h
            )
        else:
            surface = Rect(0.0, 0.05, 1.0 - side_w, top - 0.03)
        loss = None
        legend = side
        # the legend takes what its entries need (about 2.6 lines of 13 pt each, a line
        # more with the hyperparameters, and the live lines), the loss panel the rest; a
        # frame too small for both keeps the legend and drops the loss panel
        small = 13.0 * options.resolved_dpi() / 72.0 < MIN_TEXT_PX
        line = max(13.0 * options.resolved_dpi() / 72.0, MIN_TEXT_PX) / h
        key = 2.6 if options.arrows else 0.0  # the arrows' key: two lines
        # small: the label and the loss on a line of its own (the hyperparameters go first)
        entry = 2.8 if small else 2.6 + live
        needed = (2.0 + n * entry + key) * line + 0.09
        loss_h = float(np.clip(side.h - needed, 0.22 * side.h, 0.42 * side.h))
        if options.loss_panel and not (small and side.h - needed < 0.22 * side.h):
            loss = Rect(side.x + 0.045, side.y + 0.02, side.w - 0.055, loss_h)
            legend = Rect(side.x, side.y + loss_h + 0.08, side.w, side.h - loss_h - 0.08)
        return Layout(1.0 - 0.035, contour, surface, loss, legend, 1, grid, headline_h)

    # the band holds the legend's rows (at least 9 px a line), up to half the frame
    columns = 1 if n <= 2 else (2 if n <= 6 else 3)
    rows = -(-n // columns)
    line = max(13.0 * options.resolved_dpi() / 72.0, MIN_TEXT_PX) / h
    small = 13.0 * options.resolved_dpi() / 72.0 < MIN_TEXT_PX
    per_row = 2.6 if small else 3.6 + live  # label, hyperparameters (not when small), loss
    key = 2.6 if options.arrows else 0.0  # the arrows' key: two lines
    band_h = float(np.clip((2.2 + rows * per_row + key) * line + 0.04, 0.25, 0.5))
    band = Rect(0.02, 0.015, 0.96, band_h - 0.03)
    views_bottom = band_h + 0.02
    left = Rect(0.06, views_bottom + 0.05, 0.40, top - views_bottom - 0.07)
    contour = _fit_aspect(left, aspect, fig_aspect)
    surface = Rect(0.48, views_bottom + 0.02, 0.52, top - views_bottom)
    loss = None
    legend = band
    if options.loss_panel:
        loss = Rect(0.66, band.y + 0.045, 0.32, band.h - 0.075)
        legend = Rect(band.x, band.y, 0.58, band.h)
    return Layout(1.0 - 0.035, contour, surface, loss, legend, columns, (), headline_h)
