"""Tests for visualizer/render.py: frame selection, frames, and what is drawn where."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import itertools
import time

import numpy as np
import pytest
from helpers import rec_of
from matplotlib.colors import to_rgb

from surfaces import get_surface
from visualizer.drawing.contour_view import ContourView
from visualizer.drawing.geometry import visible
from visualizer.drawing.panels import LossPanel
from visualizer.drawing.render import (
    FrameRenderer,
    RenderOptions,
    frame_steps,
    orbit_turns,
    render_frames,
)
from visualizer.drawing.surface_view import SurfaceView
from visualizer.drawing.theme import DIVERGED_COLOR, THEMES
from visualizer.maths.recorder import Recording, record
from visualizer.maths.specs import parse_optimizer
from visualizer.scene.scene import Scene

SIZE = (320, 180)
COLOR_TOL = 40.0  # Euclidean RGB distance that still counts as "this colour"


def renderer_color(renderer: FrameRenderer, i: int) -> str:
    return renderer.styles[i].color


def rgb255(color: str) -> np.ndarray:
    return np.array(to_rgb(color)) * 255.0


def color_mask(frame: np.ndarray, color: str, tol: float = COLOR_TOL) -> np.ndarray:
    """Pixels of ``frame`` within ``tol`` of ``color``."""
    return np.linalg.norm(frame[..., :3].astype(float) - rgb255(color), axis=2) < tol


def color_near(frame: np.ndarray, xy: tuple[float, float], color: str, radius: int = 3) -> bool:
    """Whether ``color`` appears within ``radius`` pixels of display point ``xy``.

    ``xy`` is in matplotlib display pixels (origin bottom left); frames are top down.
    """
    H, W = frame.shape[:2]
    col, row = round(xy[0]), round(H - xy[1])
    r0, r1 = max(row - radius, 0), min(row + radius + 1, H)
    c0, c1 = max(col - radius, 0), min(col + radius + 1, W)
    if r0 >= r1 or c0 >= c1:
        return False
    return bool(color_mask(frame[r0:r1, c0:c1], color).any())


def bbox_slices(box, height: int) -> tuple[slice, slice]:
    """Rows and columns of the frame covered by an axes (or a bounding box)."""
    x0, y0, x1, y1 = getattr(box, "bbox", box).extents
    return slice(int(height - y1), int(np.ceil(height - y0))), slice(int(x0), int(np.ceil(x1)))


# --- frame_steps ---------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [1, 2, 3, 7, 10, 59, 120, 1000])
@pytest.mark.parametrize("frames", [1, 2, 3, 4, 5, 11, 50, 121, 2000])
def test_frame_steps_count_ends_and_spacing(steps, frames):
    shown = frame_steps(steps, frames)
    assert len(shown) == frames
    assert shown.dtype.kind == "i"
    assert shown[-1] == steps
    assert np.all(np.diff(shown) >= 0)
    assert shown.min() >= 0 and shown.max() <= steps
    if frames > 1:
        assert shown[0] == 0
    if 1 < frames <= steps + 1:
        gaps = np.diff(shown)
        assert len(set(shown.tolist())) == frames  # no step shown twice
        assert gaps.max() - gaps.min() <= 1  # evenly spaced, up to rounding
        ideal = np.linspace(0, steps, frames)
        assert np.max(np.abs(shown - ideal)) <= 0.5


@pytest.mark.parametrize("steps", [1, 5, 120])
def test_frame_steps_one_frame_is_the_last_step(steps):
    assert frame_steps(steps, 1).tolist() == [steps]


@pytest.mark.parametrize("steps", [1, 5, 120])
def test_frame_steps_none_is_every_step(steps):
    assert frame_steps(steps, None).tolist() == list(range(steps + 1))
    assert frame_steps(steps, steps + 1).tolist() == list(range(steps + 1))


def test_frame_steps_examples():
    assert frame_steps(10, 4).tolist() == [0, 3, 7, 10]
    assert frame_steps(10, 2).tolist() == [0, 10]


def test_resolved_dpi_scales_with_size_unless_given():
    assert RenderOptions(size=(1280, 720)).resolved_dpi() == pytest.approx(100.0)
    assert RenderOptions(size=(640, 360)).resolved_dpi() == pytest.approx(50.0)
    assert RenderOptions(size=(640, 720)).resolved_dpi() == pytest.approx(50.0)
    assert RenderOptions(size=(640, 360), dpi=80).resolved_dpi() == 80.0


def test_orbit_turns_evenly_from_the_camera():
    az = orbit_turns(5)
    assert len(az) == 5
    assert az[0] == 0.0
    steps = np.diff(az)
    assert np.all(steps > 0) and np.allclose(steps, steps[0])
    assert az[-1] - az[0] <= 360.0


# --- frames --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ravine_rec() -> Recording:
    surface = get_surface("ravine")
    # the tuned runs; the preset's last run, a control, diverges at step 5
    specs = [parse_optimizer(s) for s in surface.preset.optimizers[:3]]
    return record(surface, specs, steps=40)


@pytest.mark.parametrize("view", ["contour", "surface", "both"])
def test_frames_are_opaque_uint8_rgba_of_the_size(ravine_rec, view):
    options = RenderOptions(view=view, size=(256, 144), frames=4)
    frames = list(render_frames(ravine_rec, options))
    assert len(frames) == 4
    for frame in frames:
        assert frame.shape == (144, 256, 4)
        assert frame.dtype == np.uint8
        assert np.all(frame[..., 3] == 255)
    # the balls move on every frame, so no two consecutive frames show the same view
    renderer = FrameRenderer(ravine_rec, options)
    for layer in renderer.layers[:-1]:
        region = bbox_slices(layer.ax, 144)
        for a, b in itertools.pairwise(frames):
            assert np.any(a[region] != b[region]), type(layer).__name__


def test_frames_count_follows_options(ravine_rec):
    assert len(list(render_frames(ravine_rec, RenderOptions(size=(256, 144), frames=1)))) == 1
    rec = rec_of("bowl", "gd:lr=0.2", steps=6)
    assert len(list(render_frames(rec, RenderOptions(size=(256, 144))))) == 7


def test_frames_are_fresh_arrays(ravine_rec):
    frames = list(render_frames(ravine_rec, RenderOptions(size=(256, 144), frames=3)))
    assert not np.shares_memory(frames[0], frames[1])
    assert np.any(frames[0] != frames[-1])


def test_unknown_view_is_a_value_error(ravine_rec):
    with pytest.raises(ValueError, match="view must be one of"):
        FrameRenderer(ravine_rec, RenderOptions(view="x", size=SIZE))


def test_rendering_is_deterministic(ravine_rec):
    options = RenderOptions(view="both", size=(256, 144), frames=3)
    a = list(render_frames(ravine_rec, options))
    b = list(render_frames(ravine_rec, options))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# --- balls are where the recorder says ----------------------------------------------------


def _covered(points: list[np.ndarray], i: int, radius: float) -> bool:
    """Whether ball ``i`` is (partly) under a ball drawn after it."""
    return any(np.hypot(*(points[j] - points[i])) < radius for j in range(i + 1, len(points)))


def test_contour_balls_are_drawn_at_the_recorded_positions(ravine_rec):
    renderer = FrameRenderer(ravine_rec, RenderOptions(view="contour", size=SIZE, frames=5))
    frames = list(renderer.frames())
    view = renderer.layers[0]
    assert isinstance(view, ContourView)
    checked = 0
    for frame, step in zip(frames, renderer.steps, strict=True):
        points = [view.ax.transData.transform(run.positions[step]) for run in ravine_rec.runs]
        for i, point in enumerate(points):
            if _covered(points, i, radius=6):
                continue
            assert color_near(frame, point, renderer_color(renderer, i)), (i, int(step), point)
            checked += 1
    assert checked >= 10


def test_contour_does_not_draw_ahead_of_the_current_step(ravine_rec):
    renderer = FrameRenderer(ravine_rec, RenderOptions(view="contour", size=SIZE, frames=3))
    first = next(renderer.frames())
    view = renderer.layers[0]
    checked = 0
    for i, run in enumerate(ravine_rec.runs):
        start = view.ax.transData.transform(run.positions[0])
        end = view.ax.transData.transform(run.positions[run.last_step])
        if np.hypot(*(end - start)) < 20:
            continue
        assert not color_near(first, end, renderer_color(renderer, i), radius=2), run.label
        checked += 1
    assert checked >= 2
    # every ball starts at the start; the last one drawn is on top
    start = view.ax.transData.transform(ravine_rec.start)
    assert color_near(first, start, renderer_color(renderer, len(ravine_rec.runs) - 1))


def test_surface_balls_are_drawn_at_their_projection(ravine_rec):
    renderer = FrameRenderer(ravine_rec, RenderOptions(view="surface", size=SIZE, frames=5))
    frames = list(renderer.frames())
    view = renderer.layers[0]
    assert isinstance(view, SurfaceView)
    checked = 0
    for frame, step in zip(frames, renderer.steps, strict=True):
        points, seen = [], []
        for run in ravine_rec.runs:
            x, y = run.positions[step]
            z = view.heights(np.array([x]), np.array([y])) + view.lift
            points.append(view.projection().project(np.array([x]), np.array([y]), z)[0, :2])
            seen.append(
                bool(visible(view.projection(), view.heights, np.array([x]), np.array([y]), z)[0])
            )
        # a ball stands on its contact point: its centre is 0.8 of the radius up
        lift = np.array([0.0, 0.8 * max(ball.radius_px for ball in view.balls)])
        for i, point in enumerate(points):
            if not seen[i] or _covered(points, i, radius=6):
                continue
            centre = point + lift
            assert color_near(frame, centre, renderer_color(renderer, i)), (i, int(step), point)
            checked += 1
    assert checked >= 8


def test_surface_ball_behind_a_ridge_is_faint_and_in_front_is_solid(monkeypatch):
    # a ridge along x; the camera looks from -y, so y = +3 is behind it and y = -3 in front
    monkeypatch.setattr(
        "visualizer.drawing.surface_view.path_window", lambda window, *a, **k: window
    )
    surface = "10*exp(-4*y**2) + 0.05*x**2"
    color = THEMES["light"].styles(["gd"])[0].color
    for start, hidden in (((4.5, 3.0), True), ((4.5, -3.0), False)):
        rec = rec_of(surface, "gd:lr=1", steps=20, start=start)
        options = RenderOptions(view="surface", size=SIZE, frames=2, elev=38.0, azim=-62.0)
        renderer = FrameRenderer(rec, options)
        last = list(renderer.frames())[-1]
        view = renderer.layers[0]
        x, y = rec.runs[0].positions[-1]
        z = view.heights(np.array([x]), np.array([y])) + view.lift
        assert (
            bool(visible(view.projection(), view.heights, np.array([x]), np.array([y]), z)[0])
            is not hidden
        )
        point = view.projection().project(np.array([x]), np.array([y]), z)[0, :2]
        # the ball stands on its contact point; hidden, it keeps its colour as a rim only
        centre = point + np.array([0, 0.8 * view.balls[0].radius_px])
        assert color_near(last, centre, color, radius=1) is not hidden, start
        assert color_near(last, centre, color, radius=4), start


@pytest.mark.parametrize("view", ["contour", "surface", "both"])
def test_trails_stay_inside_their_axes(view):
    # gd:lr=5 on the bowl jumps far outside the window before it is stopped as diverged;
    # its path must not be painted over the title, the legend text or the other view.
    rec = rec_of("bowl", "gd:lr=5", steps=10)
    assert rec.runs[0].diverged_at is not None
    renderer = FrameRenderer(rec, RenderOptions(view=view, size=SIZE, frames=11))
    last = list(renderer.frames())[-1]
    H = last.shape[0]
    mask = color_mask(last, renderer_color(renderer, 0))
    allowed = np.zeros_like(mask)
    for layer in renderer.layers[:-1]:
        # a 3D view draws its paths clipped to its region of the layout
        allowed[bbox_slices(getattr(layer, "clip", layer.ax.bbox), H)] = True
    legend = renderer.layout.legend
    W = last.shape[1]
    rows = slice(int(H * (1 - legend.y - legend.h)), int(np.ceil(H * (1 - legend.y))))
    cols = slice(int(W * legend.x), int(np.ceil(W * (legend.x + legend.w))))
    allowed[rows, cols] = True  # the legend swatch
    stray = int((mask & ~allowed).sum())
    assert stray == 0, f"{view}: {stray} pixels of the trail outside its axes"


# --- divergence ----------------------------------------------------------------------------


def test_a_run_that_left_is_marked_in_the_legend_and_stops_moving():
    rec = rec_of("bowl", "gd:lr=5", steps=8)
    diverged_at = rec.runs[0].diverged_at
    assert diverged_at == 4
    renderer = FrameRenderer(rec, RenderOptions(view="contour", size=SIZE))
    frames = list(renderer.frames())
    H, W = frames[0].shape[:2]
    legend = renderer.layout.legend
    rows = slice(int(H * (1 - legend.y - legend.h)), int(np.ceil(H * (1 - legend.y))))
    cols = slice(int(W * legend.x), W)
    red = [int(color_mask(f[rows, cols], DIVERGED_COLOR).sum()) for f in frames]
    # red from the step it left the picture (Run.left_at), the legend's one definition
    left = rec.runs[0].left_at(rec.surface.window)
    assert left == 1
    assert all(n == 0 for n in red[:left]), red
    assert all(n > 5 for n in red[left:]), red
    view_rows, view_cols = bbox_slices(renderer.layers[0].ax, H)
    views = [f[view_rows, view_cols] for f in frames]
    assert np.any(views[0] != views[left])  # it moved to the edge and left its mark
    for later in views[left + 1 :]:
        assert np.array_equal(later, views[left])  # nothing moves any more


def test_run_that_diverges_keeps_others_moving():
    rec = rec_of("bowl", "gd:lr=5", "gd:lr=0.2", steps=8)
    renderer = FrameRenderer(rec, RenderOptions(view="contour", size=SIZE))
    frames = list(renderer.frames())
    view = renderer.layers[0]
    for step in (5, 8):
        point = view.ax.transData.transform(rec.runs[1].positions[step])
        assert color_near(frames[step], point, renderer_color(renderer, 1))


# --- themes --------------------------------------------------------------------------------


def _luminance(pixel: np.ndarray) -> float:
    r, g, b = pixel[:3] / 255.0
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("view", ["contour", "surface", "both"])
def test_theme_sets_the_background(view):
    rec = rec_of("bowl", "gd:lr=0.2", steps=3)
    light = next(render_frames(rec, RenderOptions(view=view, size=(256, 144), frames=1)))
    dark = next(
        render_frames(rec, RenderOptions(view=view, size=(256, 144), frames=1, theme="dark"))
    )
    for corner in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert _luminance(light[corner]) > 0.9
        assert _luminance(dark[corner]) < 0.15
    assert np.array_equal(light[0, 0, :3], np.round(rgb255(THEMES["light"].background)))
    assert np.array_equal(dark[0, 0, :3], np.round(rgb255(THEMES["dark"].background)))


def test_theme_colors_are_the_exact_optimizer_and_text_colours():
    colors = THEMES["dark"].palette_colors(["gd", "sgd", "momentum"])
    theme = THEMES["dark"]
    for i in range(3):
        assert colors[i] == tuple(
            int(v) for v in np.round(rgb255(theme.styles(["gd", "sgd", "momentum"])[i].color))
        )
    assert tuple(int(v) for v in np.round(rgb255(DIVERGED_COLOR))) in colors
    assert tuple(int(v) for v in np.round(rgb255(theme.text))) in colors


# --- options -------------------------------------------------------------------------------


def test_layers_follow_view_and_loss_panel(ravine_rec):
    def kinds(**kw):
        renderer = FrameRenderer(ravine_rec, RenderOptions(size=SIZE, **kw))
        return [type(layer).__name__ for layer in renderer.layers]

    assert kinds() == ["ContourView", "LegendPanel"]
    assert kinds(view="surface") == ["SurfaceView", "LegendPanel"]
    assert kinds(view="both") == ["ContourView", "SurfaceView", "LegendPanel"]
    assert kinds(loss_panel=True) == ["ContourView", "LossPanel", "LegendPanel"]
    assert kinds(view="both", loss_panel=True) == [
        "ContourView",
        "SurfaceView",
        "LossPanel",
        "LegendPanel",
    ]


def test_loss_panel_curve_grows_with_the_animation(ravine_rec):
    renderer = FrameRenderer(ravine_rec, RenderOptions(size=SIZE, frames=5, loss_panel=True))
    frames = list(renderer.frames())
    panel = next(layer for layer in renderer.layers if isinstance(layer, LossPanel))
    rows, cols = bbox_slices(panel.ax, frames[0].shape[0])
    plain = list(FrameRenderer(ravine_rec, RenderOptions(size=SIZE, frames=5)).frames())
    # the panel's area is empty sidebar without the option, and fills as the curves grow
    assert np.all(np.any(frames[0] != plain[0], axis=2)[rows, cols].sum() > 100)
    drawn = [int(np.any(f[rows, cols] != frames[0][rows, cols], axis=2).sum()) for f in frames]
    assert drawn[0] == 0 and drawn[-1] > 50, drawn
    assert all(b >= a for a, b in itertools.pairwise(drawn[1:])), drawn


def test_arrows_are_drawn_from_the_ball_downhill():
    rec = rec_of("bowl", "gd:lr=0.1", steps=10)
    index = 2
    size = (480, 270)  # at 320x180 the ball (at least 10 px) hides much of a short arrow
    plain = FrameRenderer(rec, RenderOptions(size=size, frames=6))
    arrows = FrameRenderer(rec, RenderOptions(size=size, frames=6, arrows=True))
    a = list(plain.frames())[index]
    b = list(arrows.frames())[index]
    step = int(plain.steps[index])
    ax = plain.layers[0].ax
    diff = np.any(a != b, axis=2)
    assert diff.sum() > 20
    rows, cols = np.nonzero(diff)
    H = a.shape[0]
    ball = ax.transData.transform(rec.runs[0].positions[step])
    ball_rc = np.array([H - ball[1], ball[0]])
    offsets = np.column_stack([rows, cols]) - ball_rc
    # everything the arrow changes is close to the ball, inside the contour axes
    x0, y0, x1, y1 = ax.bbox.extents
    assert cols.min() >= x0 - 1 and cols.max() <= x1 + 1
    assert rows.min() >= H - y1 - 1 and rows.max() <= H - y0 + 1
    assert np.hypot(*offsets.T).max() < 0.35 * a.shape[1]
    # and it points along the negative gradient (in pixels: y flipped)
    downhill = ax.transData.transform(
        rec.runs[0].positions[step] - 0.1 * rec.runs[0].gradients[step]
    )
    want = np.array([H - downhill[1], downhill[0]]) - ball_rc
    got = offsets.mean(axis=0)
    cos = float(got @ want / (np.linalg.norm(got) * np.linalg.norm(want)))
    assert cos > 0.8, cos


def test_arrows_in_3d_start_at_the_ball_and_point_downhill_on_screen():
    rec = rec_of("bowl", "gd:lr=0.1", steps=10)
    index = 2
    options = {"view": "surface", "size": SIZE, "frames": 6}
    plain = FrameRenderer(rec, RenderOptions(**options))
    arrows = FrameRenderer(rec, RenderOptions(**options, arrows=True))
    a = list(plain.frames())[index]
    b = list(arrows.frames())[index]
    view = arrows.layers[0]
    step = int(arrows.steps[index])
    (x, y) = rec.runs[0].positions[step]
    H = a.shape[0]

    def screen(px, py):
        p = view.projection().project(
            np.array([px]), np.array([py]), view.heights(*map(np.atleast_1d, (px, py))) + view.lift
        )[0]
        return np.array([H - p[1], p[0]])

    diff = np.any(a != b, axis=2)
    assert diff.sum() > 20
    offsets = np.column_stack(np.nonzero(diff)) - screen(x, y)
    g = rec.runs[0].gradients[step]
    want = screen(x - 0.3 * g[0], y - 0.3 * g[1]) - screen(x, y)
    got = offsets.mean(axis=0)
    assert float(got @ want / (np.linalg.norm(got) * np.linalg.norm(want))) > 0.8


def test_arrows_option_leaves_frames_without_arrows_unchanged():
    rec = rec_of("bowl", "gd:lr=0.1", steps=4)
    a = list(render_frames(rec, RenderOptions(size=(256, 144))))
    b = list(render_frames(rec, RenderOptions(size=(256, 144), arrows=False)))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_orbit_turns_the_camera():
    rec = rec_of("bowl", "gd:lr=0.2", steps=10)
    options = RenderOptions(view="surface", size=(160, 90), frames=6, orbit=True)
    orbit = list(render_frames(rec, options, workers=2))  # a fork pool on POSIX
    fixed = list(render_frames(rec, RenderOptions(view="surface", size=(160, 90), frames=6)))
    assert len(orbit) == 6
    assert all(f.shape == (90, 160, 4) and f.dtype == np.uint8 for f in orbit)
    # the first frame is at the usual camera: a full redraw equals the blitted frame
    assert np.array_equal(orbit[0], next(FrameRenderer(rec, options).frames()))
    # later frames are turned: the surface itself (not just the balls) moved
    mid = 3
    run_color = color_mask(orbit[mid], THEMES["light"].styles(["gd"])[0].color) | color_mask(
        fixed[mid], THEMES["light"].styles(["gd"])[0].color
    )
    changed = np.any(orbit[mid] != fixed[mid], axis=2) & ~run_color
    assert changed.sum() > 0.1 * 90 * 160 * 0.7
    # the pool gives the same frames as rendering in this process
    single = list(render_frames(rec, options, workers=1))
    assert all(np.array_equal(x, y) for x, y in zip(orbit, single, strict=True))


def test_orbit_is_ignored_without_a_3d_view():
    rec = rec_of("bowl", "gd:lr=0.2", steps=4)
    a = list(render_frames(rec, RenderOptions(size=(160, 90), orbit=True)))
    b = list(render_frames(rec, RenderOptions(size=(160, 90))))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_frames_restore_only_the_axes_and_match_whole_figure_blitting():
    rec = rec_of("ravine", "gd", "momentum", steps=12)
    options = RenderOptions(view="both", size=SIZE, frames=6, arrows=True, loss_panel=True)
    boxed = FrameRenderer(rec, options)
    whole = FrameRenderer(rec, options)
    whole.drawing_boxes = lambda: [whole.figure.bbox]  # the old way: the whole figure
    boxes = boxed.drawing_boxes()
    assert len(boxes) == 3  # contour, surface and loss axes; the legend only stamps
    assert sum(b.width * b.height for b in boxes) < 0.8 * SIZE[0] * SIZE[1]
    for a, b in zip(boxed.frames(), whole.frames(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("scene", "view", "loss_panel"),
    [("rosenbrock", "surface", False), ("ravine", "both", True)],  # 7-run legend / panels
)
def test_a_turned_camera_redraws_only_the_3d_axes_and_matches_a_full_redraw(
    scene, view, loss_panel
):
    rec = Scene(surface=scene, steps=40).record()
    options = RenderOptions(view=view, size=(400, 300), loss_panel=loss_panel, orbit=True)
    fast = FrameRenderer(rec, options)
    full = FrameRenderer(rec, options)
    full._draw_turned = lambda: False  # every frame a full figure draw
    view = next(layer for layer in full.layers if isinstance(layer, SurfaceView))
    prepare = view._prepare
    view._prepare = lambda last=None: prepare()  # and every path projected whole
    for index, turn in [(12, 120.0), (20, 250.0)]:
        np.testing.assert_array_equal(fast.frame_at(index, turn), full.frame_at(index, turn))
    # the still parts were drawn once; the 3D view's paths only up to the frame's step
    assert fast._turning is not None
    fast_view = next(layer for layer in fast.layers if isinstance(layer, SurfaceView))
    assert fast_view._screen_to == 20 and len(fast_view._screen[0][0]) == 20 * 8 + 1


def test_changed_box_holds_exactly_the_pixels_that_changed():
    rec = rec_of("bowl", "gd:lr=0.2", steps=4)
    renderer = FrameRenderer(rec, RenderOptions(view="surface", size=(160, 90), orbit=True))
    renderer.canvas.draw()
    before = renderer._pixels().copy()
    assert renderer._changed_box(before) is None
    pixels = np.asarray(renderer.canvas.buffer_rgba())
    pixels[5, 7, 0] ^= 1  # rows count from the top, the box's y from the bottom
    pixels[20, 30, 2] ^= 1
    assert renderer._changed_box(before).extents.tolist() == [7, 90 - 21, 31, 90 - 5]


def test_turned_frames_that_redraw_a_later_artist_match_a_full_redraw():
    # small: the 3D axes reach the title, which is drawn again, clipped to their box
    rec = rec_of("bowl", "gd:lr=0.2", steps=10)
    options = RenderOptions(view="surface", size=(160, 90), frames=6, orbit=True)
    fast, full = FrameRenderer(rec, options), FrameRenderer(rec, options)
    full._draw_turned = lambda: False
    boxes = []
    changed_box = fast._changed_box
    fast._changed_box = lambda before: boxes.append(changed_box(before)) or boxes[-1]
    for index, turn in enumerate(orbit_turns(6)):
        np.testing.assert_array_equal(fast.frame_at(index, turn), full.frame_at(index, turn))
    later = fast._turning[2]
    assert all(any(extent.overlaps(box) for _, extent in later) for box in boxes)


def test_grid_view_draws_one_panel_per_run_with_only_that_run():
    rec = rec_of("bowl", "gd:lr=0.1", "momentum:lr=0.05", "nesterov:lr=0.05", steps=10)
    renderer = FrameRenderer(rec, RenderOptions(view="grid", size=(640, 360), frames=3))
    last = list(renderer.frames())[-1]
    panels = [layer for layer in renderer.layers if isinstance(layer, ContourView)]
    assert len(panels) == 3
    # one window and one colour scale for every panel: same limits and the same levels
    assert {p.ax.get_xlim() for p in panels} == {panels[0].ax.get_xlim()}
    levels = [tuple(np.round(p.ax.collections[0].levels, 12)) for p in panels]
    assert len(set(levels)) == 1
    H = last.shape[0]
    for i, panel in enumerate(panels):
        inside = last[bbox_slices(panel.ax, H)]
        for j in range(3):
            drawn = int(color_mask(inside, renderer_color(renderer, j)).sum())
            assert (drawn > 0) == (i == j), (i, j, drawn)


def test_a_ball_under_another_still_shows_its_colour_as_a_ring():
    # two runs of one optimizer that move identically: their balls always coincide
    rec = rec_of("bowl", "gd:lr=0.1,label=a", "gd:lr=0.1,label=b", steps=4)
    renderer = FrameRenderer(rec, RenderOptions(size=(960, 540), frames=2))
    last = list(renderer.frames())[-1]
    view = renderer.layers[0]
    point = view.ax.transData.transform(rec.runs[0].positions[-1])
    under, top = renderer_color(renderer, 0), renderer_color(renderer, 1)
    assert under != top
    assert color_near(last, point, top, radius=2)
    assert color_near(last, point, under, radius=6)  # the ring of the ball beneath


def test_labels_option_writes_each_name_next_to_its_ball():
    rec = rec_of("bowl", "gd:lr=0.1", "momentum:lr=0.05", steps=4)
    renderer = FrameRenderer(rec, RenderOptions(size=(640, 360), frames=2, labels=True))
    plain = FrameRenderer(rec, RenderOptions(size=(640, 360), frames=2))
    last, before = list(renderer.frames())[-1], list(plain.frames())[-1]
    view = renderer.layers[0]
    tags = view.name_tags.tags
    assert [t.get_text() for t in tags] == ["gd", "momentum"]
    for run, tag in zip(rec.runs, tags, strict=True):
        ball = view.ax.transData.transform(run.positions[-1])
        x, y = tag.get_position()
        assert 0 < x - ball[0] < 20 and 0 < y - ball[1] < 20  # just up and right of it
    assert np.any(last != before)


def _worker_signals(_: object) -> tuple[object, object]:
    import signal

    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def test_orbit_workers_leave_ctrl_c_to_the_parent_and_die_on_sigterm():
    import multiprocessing as mp
    import signal

    from visualizer.drawing.render import _orbit_worker_init

    rec = rec_of("bowl", "gd:lr=0.2", steps=2)
    options = RenderOptions(size=(64, 64), view="surface", orbit=True)
    with mp.get_context("fork").Pool(1, _orbit_worker_init, (rec, options, os.getpid())) as pool:
        assert pool.map(_worker_signals, [0]) == [(signal.SIG_IGN, signal.SIG_DFL)]


def test_orbit_workers_hand_frames_over_in_shared_slots_or_whole(monkeypatch):
    from visualizer.drawing import render

    rec = rec_of("bowl", "gd:lr=0.2", steps=4)
    options = RenderOptions(size=(64, 48), view="surface", orbit=True, frames=5)
    monkeypatch.setattr(render, "_WORKER", FrameRenderer(rec, options))
    want = FrameRenderer(rec, options).frame_at(3, 90.0)
    slots = np.zeros((2, 48, 64, 4), np.uint8)
    monkeypatch.setattr(render, "_SLOTS", slots)
    assert render._orbit_worker_frame((3, 90.0, 1)) is None
    np.testing.assert_array_equal(slots[1], want)
    assert not slots[0].any()
    monkeypatch.setattr(render, "_SLOTS", np.zeros((2, 48, 60, 4), np.uint8))  # no fit
    np.testing.assert_array_equal(render._orbit_worker_frame((3, 90.0, 0)), want)


def test_orbit_pool_reuses_its_slots_in_order():
    # more frames than slots (two per worker): each slot is read before it is reused
    rec = rec_of("bowl", "gd:lr=0.2", steps=12)
    options = RenderOptions(view="surface", size=(96, 64), frames=11, orbit=True)
    pooled = []
    for frame in render_frames(rec, options, workers=2):
        pooled.append(frame)
        time.sleep(0.05)  # a slow reader: the workers would run ahead if they could
    single = list(render_frames(rec, options, workers=1))
    assert len(pooled) == 11
    for a, b in zip(pooled, single, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len({a.tobytes() for a in pooled}) == 11
