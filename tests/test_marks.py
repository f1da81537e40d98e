"""Tests for visualizer/drawing/_marks.py: balls shaped as their optimizer's marker, large
enough to read, and standing out from the surface beneath them under colour-vision
deficiency (measured on rendered frames, not only on the palette)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from test_theme import DEUTERANOPIA, PROTANOPIA

from surfaces import get_surface
from visualizer.drawing._marks import MIN_BALL_PX, ball_pt
from visualizer.drawing.render import FrameRenderer, RenderOptions
from visualizer.drawing.theme import MARKERS
from visualizer.maths.recorder import Recording, record
from visualizer.maths.specs import parse_optimizer

NAMES = list(MARKERS)  # gd, sgd, momentum, nesterov, adagrad, rmsprop, adam


def spread_rec(surface: str, starts: list[tuple[float, float]]) -> Recording:
    """One run of each optimizer, each at its own start (one recording: one render)."""
    s = get_surface(surface)
    runs = [
        record(s, [parse_optimizer(f"{name}:lr=0.001")], start=start, steps=1).runs[0]
        for name, start in zip(NAMES, starts, strict=True)
    ]
    return Recording(surface=s, start=starts[0], steps=1, seed=0, runs=tuple(runs))


#: On the ravine's grey walls, and around the bowl's pale floor.
GREY = [(-4.0 + 1.3 * k, 1.5 * (-1) ** k) for k in range(7)]
PALE = [(1.5 * np.cos(a), 1.5 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 7, endpoint=False)]


def with_and_without_balls(
    rec: Recording, **options
) -> tuple[np.ndarray, np.ndarray, FrameRenderer]:
    """The frame at step 0 without the balls, and with them."""
    renderer = FrameRenderer(rec, RenderOptions(frames=2, **options))
    renderer._draw_static()
    for layer in renderer.layers:
        layer.draw_trail(0, 0)
    under = np.array(renderer.canvas.buffer_rgba())[..., :3].copy()
    for layer in renderer.layers:
        layer.draw_dynamic(0)
    over = np.array(renderer.canvas.buffer_rgba())[..., :3].copy()
    return under, over, renderer


def ball_centres(rec: Recording, renderer: FrameRenderer, height: int) -> list[np.ndarray]:
    """Each ball's centre in frame pixels (row, column)."""
    view = renderer.layers[0]
    out = []
    for run in rec.runs:
        x, y = view.ax.transData.transform(run.positions[0])
        out.append(np.array([height - y, x]))
    return out


def to_lab(rgb255: np.ndarray, vision: np.ndarray | None) -> np.ndarray:
    c = np.asarray(rgb255, dtype=float) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if vision is not None:
        lin = lin @ vision.T
    M = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = np.clip(lin, 0, 1) @ M.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1
    )


def silhouette_contrast(
    under: np.ndarray,
    over: np.ndarray,
    centre: np.ndarray,
    radius: float,
    vision: np.ndarray | None,
) -> np.ndarray:
    """ΔE, in 24 directions, between the ball's rim (the best of its outer 3 pixels) and
    the surface just outside it, under ``vision``."""
    changed = np.any(under != over, axis=-1)
    out = []
    for angle in np.linspace(0, 2 * np.pi, 24, endpoint=False):
        ray = centre + np.outer(np.arange(0, int(2 * radius) + 8), [np.sin(angle), np.cos(angle)])
        rc = np.round(ray).astype(int)
        edge = np.flatnonzero(changed[rc[:, 0], rc[:, 1]]).max()
        beneath = to_lab(under[tuple(rc[edge + 3])], vision)
        rim = [to_lab(over[tuple(rc[k])], vision) for k in range(max(edge - 2, 0), edge + 1)]
        out.append(max(float(np.linalg.norm(a - beneath)) for a in rim))
    return np.array(out)


@pytest.mark.parametrize(("size", "least"), [((1280, 720), 18), ((480, 270), 8)])
def test_each_ball_is_its_markers_shape_and_large_enough(size, least):
    rec = spread_rec("ravine", GREY)
    under, over, renderer = with_and_without_balls(rec, size=size)
    changed = np.any(under != over, axis=-1)
    for i, centre in enumerate(ball_centres(rec, renderer, size[1])):
        view = renderer.layers[0]
        assert view.balls[i].body.get_marker() == MARKERS[NAMES[i]]
        r = int(3 * view.balls[i].radius_px)
        r0, c0 = (int(v) for v in np.round(centre))
        patch = changed[r0 - r : r0 + r + 1, c0 - r : c0 + r + 1]
        rows, cols = np.flatnonzero(patch.any(axis=1)), np.flatnonzero(patch.any(axis=0))
        extent = min(np.ptp(rows) + 1, np.ptp(cols) + 1)
        assert extent >= least, (NAMES[i], extent)


def test_small_frames_raise_the_ball_to_the_least_size():
    assert ball_pt(13.0, 100.0) == 13.0  # 18 px at 1280x720
    assert ball_pt(13.0, 37.5) * 37.5 / 72 == pytest.approx(MIN_BALL_PX)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(
    ("surface", "starts"), [("ravine", GREY), ("bowl", PALE)], ids=["grey-walls", "pale-floor"]
)
def test_balls_stand_out_from_the_surface_under_colour_vision_deficiency(theme, surface, starts):
    # momentum's green on the ravine's grey walls used to vanish under deuteranopia:
    # the ring and the outline around every ball now keep its silhouette visible
    rec = spread_rec(surface, starts)
    under, over, renderer = with_and_without_balls(rec, size=(640, 360), theme=theme)
    for i, centre in enumerate(ball_centres(rec, renderer, 360)):
        for vision in (None, DEUTERANOPIA, PROTANOPIA):
            radius = renderer.layers[0].balls[i].radius_px
            contrast = silhouette_contrast(under, over, centre, radius, vision)
            # all around but at a few sharp tips (where antialiasing thins any outline)
            assert np.mean(contrast >= 20.0) >= 0.9, (NAMES[i], theme, surface, contrast)
            assert contrast.min() >= 12.0, (NAMES[i], theme, surface, contrast)
