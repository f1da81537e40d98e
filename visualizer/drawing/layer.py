"""The one interface every part of a frame implements.

A frame is drawn in layers (the views, the legend, the loss panel). The renderer
draws the static parts of every layer once (the figure, then
:meth:`Layer.draw_background`), then per frame calls
:meth:`Layer.draw_trail` (what is new since the previous frame, kept on the saved
background), :meth:`Layer.draw_dynamic` (what moves) and :meth:`Layer.stamp`
(text blended into the grabbed array). Like matplotlib's ``AbstractMovieWriter``,
the base class gives every method a no-op default, so a layer overrides only what
it draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.transforms import Bbox


class Layer:
    """Something drawn in every frame; each method does nothing unless overridden."""

    def draw_background(self) -> None:
        """Draw static parts that need the drawn figure (a 3D camera) onto the canvas."""

    def draw_trail(self, start: float, stop: float) -> None:
        """Draw what is new between step-times ``start`` and ``stop`` onto the canvas.

        Step-times are floats (see :meth:`draw_dynamic`); a layer that draws whole
        steps draws those from ``floor(start)`` to ``floor(stop)``.
        """

    def draw_dynamic(self, t: float) -> None:
        """Draw the moving parts at step-time ``t``.

        ``t`` is a float: iterate ``floor(t)`` plus the fraction of the way to the
        next (:mod:`visualizer.maths.motion`). A layer that shows whole steps uses
        ``floor(t)``; one that moves balls places them between iterates.
        """

    def drawing_box(self) -> Bbox | None:
        """Pixel box that clips all :meth:`draw_trail` and :meth:`draw_dynamic` draw.

        The renderer saves and restores only these boxes between frames; ``None``
        (the default) means anywhere in the figure.
        """
        return None

    def turn(self, degrees: float) -> None:
        """Turn the camera to ``degrees`` of azimuth from where it started (3D views only)."""

    def stamp(self, frame: np.ndarray, step: int) -> None:
        """Blend what changes every frame into the grabbed ``frame`` array."""
