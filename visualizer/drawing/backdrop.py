"""The contour backdrop of the explore page: drawn by matplotlib once, as a PNG.

The axes fill the whole image, with the window's limits, so pixel ``(u, v)`` of a
``W × H`` backdrop (``u`` right, ``v`` down, from the top-left corner of the image)
is the point ``x = xmin + u/W·(xmax − xmin)``, ``y = ymax − v/H·(ymax − ymin)``:
the page maps the runs onto it with no other information. Filled contours, their
lines and the known minima are drawn as in the contour view
(:class:`visualizer.drawing.views.ContourView`); ticks, runs and the start are the
page's.

Examples
--------
>>> from surfaces import get_surface
>>> png = contour_backdrop(get_surface("bowl"), "light", (64, 48))
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io

from surfaces.base import Surface
from visualizer.drawing.contour_view import draw_contours, draw_minima
from visualizer.drawing.geometry import surface_grid
from visualizer.drawing.theme import THEMES


def contour_backdrop(surface: Surface, theme: str, size: tuple[int, int]) -> bytes:
    """A PNG of ``size`` pixels: the surface's contours over its window, nothing else.

    Parameters
    ----------
    surface
        The surface; its ``window`` is the image's extent.
    theme
        ``"light"`` or ``"dark"``.
    size
        ``(W, H)`` in pixels.
    """
    from matplotlib.figure import Figure

    palette = THEMES[theme]
    width, height = size
    dpi = 100.0
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor=palette.background)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    xmin, xmax, ymin, ymax = surface.window
    n = max(120, min(400, max(width, height) // 2))
    X, Y, Z = surface_grid(surface, n)
    draw_contours(ax, palette, surface, X, Y, Z)
    draw_minima(ax, palette, surface)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor=palette.background)
    return buffer.getvalue()
