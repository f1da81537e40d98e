"""Renderers: turn a :class:`~visualizer.maths.recorder.Recording` into frames.

A renderer draws the static parts of a figure once (contours, the 3D surface,
axes, titles, legend swatches) and then yields one ``uint8`` array of shape
``(H, W, 4)`` (RGBA, opaque) per frame, drawing only what moves. Trails are drawn
incrementally onto a saved background, so each frame costs the same whatever
the number of steps behind it. Renderers know nothing about files: hand the
frames to :func:`visualizer.encoding.writers.write_frames`.

Examples
--------
>>> from surfaces import get_surface
>>> from visualizer.maths.recorder import record
>>> from visualizer.maths.specs import parse_optimizer
>>> rec = record(get_surface("bowl"), [parse_optimizer("gd:lr=0.2")], steps=10)
>>> frames = list(render_frames(rec, RenderOptions(size=(320, 180), frames=3)))
>>> len(frames), frames[0].shape, frames[0].dtype.name
(3, (180, 320, 4), 'uint8')
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from visualizer.drawing.contour_view import ContourView
from visualizer.drawing.field import GradientField
from visualizer.drawing.layer import Layer
from visualizer.drawing.layout import Layout, make_layout
from visualizer.drawing.panels import LegendPanel, LossPanel
from visualizer.drawing.surface_view import SurfaceView
from visualizer.drawing.theme import THEMES, Theme, run_styles
from visualizer.encoding.pacing import frame_steps
from visualizer.maths.recorder import Recording
from visualizer.scene.options import VIEWS, RenderOptions

#: Pixels added around drawn boxes: line widths, anti-aliasing and rounding reach past extents.
PAD_PX = 6
#: Width of the ring around a redrawn box that is restored after clipped drawing.
RING_PX = 2


class FrameRenderer:
    """Builds the figure for a recording and renders frames with blitting.

    Parameters
    ----------
    rec
        The recording to draw.
    options
        How to draw it.
    """

    def __init__(self, rec: Recording, options: RenderOptions) -> None:
        if options.view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, got {options.view!r}")
        self.rec = rec
        self.options = options
        self.theme: Theme = THEMES[options.theme]
        self.styles = run_styles(rec, self.theme)
        w, h = options.size
        dpi = options.resolved_dpi()
        self.figure = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor=self.theme.background)
        self.canvas = FigureCanvasAgg(self.figure)
        self.layout: Layout = make_layout(rec, options)
        self.layers: list[Layer] = []
        fig, lay, theme = self.figure, self.layout, self.theme
        if lay.contour is not None:
            contour = ContourView(
                fig, lay.contour, rec, theme, arrows=options.arrows, labels=options.labels
            )
            self.layers.append(contour)
            if options.field:
                self.layers.append(GradientField(contour.ax, rec.surface, theme))
        for i, panel in enumerate(lay.grid):
            view = ContourView(fig, panel, rec, theme, arrows=options.arrows, only=i)
            self.layers.append(view)
            if options.field:
                self.layers.append(GradientField(view.ax, rec.surface, theme))
        if lay.surface is not None:
            self.layers.append(
                SurfaceView(
                    fig,
                    lay.surface,
                    rec,
                    theme,
                    elev=options.elev,
                    azim=options.azim,
                    arrows=options.arrows,
                    orbit=options.orbit,
                    labels=options.labels,
                )
            )
        if lay.loss is not None:
            self.layers.append(LossPanel(fig, lay.loss, rec, theme))
        self.legend = LegendPanel(
            fig,
            lay,
            rec,
            theme,
            title=options.title,
            headline=options.headline,
            arrows=options.arrows,
        )
        self.layers.append(self.legend)
        self.steps = frame_steps(rec.steps, options.frames)
        self._turning: tuple[Any, Any, list[tuple[Artist, Bbox]]] | None = None  # see _draw_turned

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every frame with a fixed camera (blitting).

        Only the regions where layers draw per frame (:meth:`drawing_boxes`) are
        saved and restored, not the whole figure.
        """
        canvas = self.canvas
        self._draw_static()
        boxes = self.drawing_boxes()
        background = [canvas.copy_from_bbox(box) for box in boxes]
        previous = 0
        for index, step in enumerate(self.steps):
            step = int(step)
            for region in background:
                canvas.restore_region(region)
            for layer in self.layers:
                layer.draw_trail(previous, step)
            background = [canvas.copy_from_bbox(box) for box in boxes]
            for layer in self.layers:
                layer.draw_dynamic(step)
            yield self._finish(index)
            previous = step

    def drawing_boxes(self) -> list[Bbox]:
        """Pixel boxes that hold everything the layers draw per frame.

        Each layer that draws per frame says where (:meth:`Layer.drawing_box`); if
        one does not know, the box is the whole figure. Boxes are padded to whole
        pixels.
        """
        boxes = []
        for layer in self.layers:
            kind = type(layer)
            if kind.draw_trail is Layer.draw_trail and kind.draw_dynamic is Layer.draw_dynamic:
                continue  # draws nothing on the canvas per frame (stamps only)
            clip = layer.drawing_box()
            if clip is None:
                return [self.figure.bbox]
            (x0, y0), (x1, y1) = clip.get_points()
            pad = 2  # Agg rounds clip boxes to whole pixels
            box = Bbox.from_extents(
                np.floor(x0) - pad, np.floor(y0) - pad, np.ceil(x1) + pad, np.ceil(y1) + pad
            )
            boxes.append(Bbox.intersection(box, self.figure.bbox) or box)
        return boxes

    def frame_at(self, index: int, turn: float | None = None) -> np.ndarray:
        """Render frame ``index`` from scratch (full redraw), optionally turning the camera."""
        step = int(self.steps[index])
        if turn is not None:
            for layer in self.layers:
                layer.turn(turn)
        if turn is None or not self._draw_turned():
            self._draw_static()
        for layer in self.layers:
            layer.draw_trail(0, step)
        for layer in self.layers:
            layer.draw_dynamic(step)
        return self._finish(index)

    def _draw_static(self) -> None:
        self.canvas.draw()
        for layer in self.layers:
            layer.draw_background()

    def _draw_turned(self) -> bool:
        """What :meth:`_draw_static` draws, redrawing only the 3D axes that turn.

        The rest of the figure does not move with the camera, so it is drawn
        once, twice over: ``under`` holds what the figure draws before the 3D
        axes, ``still`` everything but them. Per frame: restore ``under``, draw
        the 3D axes, and keep the box of the pixels they changed
        (:meth:`_changed_box`) and every later artist that reaches into it;
        restore ``still`` and then that box, and draw those later artists again,
        in order. Outside the box the 3D axes left ``under`` as it was, so the
        later artists drew there what ``still`` holds; inside it every pixel goes
        through the same drawing operations as in a full redraw, so the frames are
        the same. Returns ``False`` when there is no 3D view.
        """
        ax = next((lay.ax for lay in self.layers if isinstance(lay, SurfaceView)), None)
        if ax is None:
            return False
        canvas, figure = self.canvas, self.figure
        if self._turning is None:
            self._turning = self._draw_still(ax)
        under, still, later, under_px = self._turning
        renderer = canvas.get_renderer()
        canvas.restore_region(under)
        ax.draw(renderer)
        box = self._changed_box(under_px)
        if box is None:  # the 3D axes changed no pixel: the figure is ``still``
            canvas.restore_region(still)
            for layer in self.layers:
                layer.draw_background()
            return True
        reached = [artist for artist, extent in later if extent.overlaps(box)]
        drawn = canvas.copy_from_bbox(box)
        canvas.restore_region(still)
        canvas.restore_region(drawn)
        if any(isinstance(artist, Axes) for artist in reached):
            return False  # an axes cannot be clipped: draw it all
        for artist in reached:  # in the order the figure draws them, clipped to the box
            clip = artist.get_clip_box()
            artist.set_clip_box(box)
            artist.draw(renderer)
            artist.set_clip_box(clip)
        if reached:
            # Agg clips markers one pixel wider than the box: outside it is ``still``
            height = int(figure.bbox.height)
            x0, y0, x1, y1 = (int(v) for v in box.extents)
            top, bottom = height - y1, height - y0  # rows from the top, as regions count
            for strip in (
                (x0 - RING_PX, top - RING_PX, x1 + RING_PX, top),
                (x0 - RING_PX, bottom, x1 + RING_PX, bottom + RING_PX),
                (x0 - RING_PX, top, x0, bottom),
                (x1, top, x1 + RING_PX, bottom),
            ):
                left, upper = max(strip[0], 0), max(strip[1], 0)
                right, lower = min(strip[2], int(figure.bbox.width)), min(strip[3], height)
                if left < right and upper < lower:
                    # a bbox given to restore_region includes its right column and its
                    # bottom row (Agg's inclusive rectangles); xy: where its corner goes
                    box_in = (left, upper, right - 1, lower - 1)
                    canvas.restore_region(still, bbox=box_in, xy=(0, 0))
        for layer in self.layers:
            layer.draw_background()
        return True

    def _draw_still(self, ax: Axes) -> tuple[Any, Any, list[tuple[Artist, Bbox]], np.ndarray]:
        """``under``, ``still``, the artists drawn after ``ax`` with their (padded)
        boxes, and ``under``'s pixels (one ``uint32`` per pixel, rows from the top)."""
        canvas, figure = self.canvas, self.figure
        order = sorted(
            (a for a in figure.get_children() if a is not figure.patch and not a.get_animated()),
            key=lambda a: a.get_zorder(),
        )  # the order in which Figure.draw draws them
        later = order[order.index(ax) + 1 :]
        shown = [a.get_visible() for a in order]
        try:
            for a in (ax, *later):
                a.set_visible(False)
            canvas.draw()
            under = canvas.copy_from_bbox(figure.bbox)
            under_px = self._pixels().copy()
            for a, visible in zip(order, shown, strict=True):
                a.set_visible(visible and a is not ax)
            canvas.draw()
            still = canvas.copy_from_bbox(figure.bbox)
        finally:
            for a, visible in zip(order, shown, strict=True):
                a.set_visible(visible)
        renderer = canvas.get_renderer()
        boxes = [
            (a, a.get_tightbbox(renderer).padded(PAD_PX))
            for a in later
            if a.get_visible() and a.get_tightbbox(renderer) is not None
        ]
        return under, still, boxes, under_px

    def _pixels(self) -> np.ndarray:
        """The canvas as it is now, one ``uint32`` per pixel (a view, not a copy)."""
        rgba = np.asarray(self.canvas.buffer_rgba())
        return rgba.view(np.uint32).reshape(rgba.shape[:2])

    def _changed_box(self, before: np.ndarray) -> Bbox | None:
        """The box (whole pixels, display coordinates) of the pixels that differ from
        ``before``; ``None`` when none does."""
        changed = self._pixels() != before
        rows = np.flatnonzero(changed.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(changed[rows[0] : rows[-1] + 1].any(axis=0))
        height = changed.shape[0]
        x0, x1 = float(cols[0]), float(cols[-1] + 1)
        return Bbox.from_extents(x0, float(height - rows[-1] - 1), x1, float(height - rows[0]))

    def _finish(self, index: int) -> np.ndarray:
        frame = np.array(self.canvas.buffer_rgba())  # a contiguous copy: fast
        for layer in self.layers:
            layer.stamp(frame, int(self.steps[index]))  # the step the picture shows
        return frame


def orbit_turns(n_frames: int) -> np.ndarray:
    """How far the camera has turned (degrees) at each frame of an orbit: one full turn.

    Examples
    --------
    >>> orbit_turns(4).tolist()
    [0.0, 90.0, 180.0, 270.0]
    """
    return np.linspace(0.0, 360.0, n_frames, endpoint=False)


def _orbit_worker_init(rec: Recording, options: RenderOptions, parent: int | None = None) -> None:
    """A worker draws frames only.

    Its signals: :func:`visualizer.encoding.files.signals_of_a_worker` (it dies with
    ``parent``).
    """
    from visualizer.encoding.files import signals_of_a_worker

    signals_of_a_worker(parent)
    global _WORKER
    _WORKER = FrameRenderer(rec, options)


_WORKER: FrameRenderer | None = None
#: Frame slots in memory shared with the orbit's workers (set before they fork).
_SLOTS: np.ndarray | None = None


def _orbit_worker_frame(args: tuple[int, float, int]) -> np.ndarray | None:
    """Draw a frame into shared slot ``slot``; return it only if it does not fit there."""
    assert _WORKER is not None
    index, azim, slot = args
    frame = _WORKER.frame_at(index, azim)
    if _SLOTS is None or frame.shape != _SLOTS.shape[1:]:
        return frame  # through the pool's pipe (pickled)
    _SLOTS[slot] = frame
    return None


def orbit_workers(rec: Recording, options: RenderOptions, workers: int | None = None) -> int:
    """How many processes :func:`render_frames` starts to draw an orbit's frames (0: none).

    ``workers`` (``None``: one per core this process may use) unless there is no
    orbit, fewer than 4 frames, or a thread already running (forking a process that
    has other threads can deadlock the child on a lock one of them held: the
    writer's thread feeding ffmpeg, torch's or jax's pools).
    """
    import multiprocessing as mp
    import sys
    import threading

    from visualizer.encoding.processes import usable_cores

    if not (options.orbit and options.view in ("surface", "both")):
        return 0
    count = min(workers if workers is not None else usable_cores(), usable_cores())
    n = len(frame_steps(rec.steps, options.frames))
    threaded = threading.active_count() > 1 or "torch" in sys.modules or "jaxlib" in sys.modules
    if count <= 1 or n < 4 or threaded or "fork" not in mp.get_all_start_methods():
        return 0
    return count


def render_frames(
    rec: Recording, options: RenderOptions, *, workers: int | None = None
) -> Iterator[np.ndarray]:
    """Yield the animation's frames.

    Parameters
    ----------
    rec
        The recording to draw.
    options
        How to draw it.
    workers
        Processes for ``orbit`` (every frame is a full redraw there); ``None``
        uses every core. Ignored without ``orbit``.

    Yields
    ------
    numpy.ndarray
        ``uint8`` frames of shape ``(H, W, 4)`` (RGBA, opaque).
    """
    if not (options.orbit and options.view in ("surface", "both")):
        yield from FrameRenderer(rec, options).frames()
        return
    n = len(frame_steps(rec.steps, options.frames))
    azims = orbit_turns(n)
    jobs: Sequence[tuple[int, float]] = [(i, float(a)) for i, a in enumerate(azims)]
    import multiprocessing as mp
    import os

    count = orbit_workers(rec, options, workers)
    if count == 0:
        renderer = FrameRenderer(rec, options)  # the pool's workers build their own
        for i, a in jobs:
            yield renderer.frame_at(i, a)
        return
    # The workers put their frames in shared memory (two slots per worker, reused in
    # turn) instead of pickling them through a pipe: about 3 ms less per frame here. At
    # most ``window`` frames are asked for ahead, so a slot is read before it is reused
    # (and no more than ``window`` finished frames wait for a slow reader).
    import mmap
    from collections import deque

    global _SLOTS
    window = min(2 * count, n)
    w, h = options.size
    shared = mmap.mmap(-1, window * h * w * 4)  # anonymous and shared with the children
    slots = np.frombuffer(shared, dtype=np.uint8).reshape(window, h, w, 4)
    _SLOTS = slots
    ctx = mp.get_context("fork")
    try:
        with ctx.Pool(
            count, initializer=_orbit_worker_init, initargs=(rec, options, os.getpid())
        ) as pool:
            _SLOTS = None  # the workers have theirs; this process reads ``slots``
            pending: deque[tuple[Any, int]] = deque()
            for i, a in jobs:
                if len(pending) == window:
                    yield _slot_frame(slots, *pending.popleft())
                slot = i % window
                pending.append((pool.apply_async(_orbit_worker_frame, ((i, a, slot),)), slot))
            while pending:
                yield _slot_frame(slots, *pending.popleft())
    finally:
        _SLOTS = None


def _slot_frame(slots: np.ndarray, result: Any, slot: int) -> np.ndarray:
    """The frame of a worker's ``result``: a copy of its slot unless it came whole."""
    frame = result.get()
    return slots[slot].copy() if frame is None else frame
