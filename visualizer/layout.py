"""Where each part of a frame goes, in figure fractions.

Two arrangements:

- one view (``contour`` or ``surface``): the view on the left, a sidebar on the
  right with the legend on top and the optional loss panel below it;
- ``both``: the contour and the 3D view side by side, with the legend (and the
  optional loss panel) in a band along the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from visualizer.recorder import Recording
    from visualizer.render import RenderOptions


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

    ``legend_columns`` is how many columns the legend entries are spread over.
    """

    title_y: float
    contour: Rect | None
    surface: Rect | None
    loss: Rect | None
    legend: Rect
    legend_columns: int


def _fit_aspect(region: Rect, aspect: float, fig_aspect: float) -> Rect:
    """Largest rectangle of data aspect ``aspect`` (height/width) centred in ``region``."""
    # in pixels: region.w * W by region.h * H; fig_aspect = H / W
    w_px, h_px = region.w, region.h * fig_aspect
    if h_px / w_px > aspect:  # region too tall: full width
        new_h = w_px * aspect / fig_aspect
        return Rect(region.x, region.y + (region.h - new_h) / 2, region.w, new_h)
    new_w = h_px / aspect
    return Rect(region.x + (region.w - new_w) / 2, region.y, new_w, region.h)


def make_layout(rec: Recording, options: RenderOptions) -> Layout:
    """Compute the layout of a frame for ``rec`` drawn with ``options``."""
    w, h = options.size
    fig_aspect = h / w
    xmin, xmax, ymin, ymax = rec.surface.window
    aspect = (ymax - ymin) / (xmax - xmin)
    title_band = 0.13
    top = 1.0 - title_band
    n = len(rec.runs)

    if options.view != "both":
        side_w = 0.29
        side = Rect(1.0 - side_w, 0.06, side_w - 0.02, top - 0.06)
        main = Rect(0.065, 0.10, 1.0 - side_w - 0.09, top - 0.12)
        contour = surface = None
        if options.view == "contour":
            contour = _fit_aspect(main, aspect, fig_aspect)
        else:
            surface = Rect(0.0, 0.05, 1.0 - side_w, top - 0.03)
        loss = None
        legend = side
        if options.loss_panel:
            loss_h = side.h * 0.42
            loss = Rect(side.x + 0.045, side.y + 0.02, side.w - 0.055, loss_h)
            legend = Rect(side.x, side.y + loss_h + 0.08, side.w, side.h - loss_h - 0.08)
        return Layout(1.0 - 0.035, contour, surface, loss, legend, 1)

    band_h = 0.25
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
    columns = 1 if n <= 2 else (2 if n <= 6 else 3)
    return Layout(1.0 - 0.035, contour, surface, loss, legend, columns)
