"""Tests for visualizer/layout.py: where each part of a frame goes."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import pytest

from surfaces import get_surface
from visualizer.drawing.layout import MIN_TEXT_PX, Rect, make_layout
from visualizer.drawing.render import FrameRenderer, RenderOptions
from visualizer.maths.recorder import Recording, record
from visualizer.maths.specs import parse_optimizer

VIEWS = ["contour", "surface", "both"]
SIZES = [(1280, 720), (320, 180), (720, 720), (400, 800)]


def preset_rec(name: str, steps: int = 3) -> Recording:
    surface = get_surface(name)
    return record(surface, [parse_optimizer(s) for s in surface.preset.optimizers], steps=steps)


def n_runs_rec(n: int) -> Recording:
    return record(
        get_surface("bowl"), [parse_optimizer(f"gd:lr={0.01 * (i + 1)}") for i in range(n)], steps=1
    )


def parts(layout) -> dict[str, Rect]:
    named = {
        "contour": layout.contour,
        "surface": layout.surface,
        "loss": layout.loss,
        "legend": layout.legend,
    }
    return {k: v for k, v in named.items() if v is not None}


def overlap(a: Rect, b: Rect) -> float:
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(w, 0.0) * max(h, 0.0)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("loss_panel", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_parts_are_inside_the_figure_and_apart(view, loss_panel, size):
    rec = preset_rec("ravine")
    options = RenderOptions(view=view, loss_panel=loss_panel, size=size)
    layout = make_layout(rec, options)
    shown = parts(layout)
    assert ("contour" in shown) == (view in ("contour", "both"))
    assert ("surface" in shown) == (view in ("surface", "both"))
    # a frame too small for legible text keeps the legend and may drop the loss panel
    small = 13 * options.resolved_dpi() / 72 < MIN_TEXT_PX
    assert ("loss" in shown) == loss_panel or (loss_panel and small)
    for name, r in shown.items():
        assert r.w > 0 and r.h > 0, name
        assert r.x >= 0 and r.y >= 0 and r.x + r.w <= 1 + 1e-9 and r.y + r.h <= 1 + 1e-9, name
        assert r.bounds == (r.x, r.y, r.w, r.h)
    for (a, ra), (b, rb) in itertools.combinations(shown.items(), 2):
        assert overlap(ra, rb) < 1e-9, (a, b)
    assert 0.8 < layout.title_y <= 1.0


@pytest.mark.parametrize("view", ["contour", "both"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", ["ravine", "bowl", "rosenbrock"])
def test_contour_keeps_the_window_aspect_in_pixels(view, size, name):
    rec = preset_rec(name)
    layout = make_layout(rec, RenderOptions(view=view, size=size))
    r = layout.contour
    xmin, xmax, ymin, ymax = rec.surface.window
    w_px, h_px = r.w * size[0], r.h * size[1]
    assert h_px / w_px == pytest.approx((ymax - ymin) / (xmax - xmin), rel=1e-6)


def test_contour_fills_its_region_in_one_direction():
    # a wide window in a tall figure: full width; a tall window in a wide figure: full height
    wide = make_layout(preset_rec("ravine"), RenderOptions(size=(400, 800)))
    tall = make_layout(preset_rec("rosenbrock"), RenderOptions(size=(1280, 720)))
    assert wide.contour.x == pytest.approx(0.065)
    assert tall.contour.y == pytest.approx(0.10)


@pytest.mark.parametrize(("n", "columns"), [(1, 1), (2, 1), (3, 2), (6, 2), (7, 3)])
def test_legend_columns_grow_with_runs_side_by_side(n, columns):
    rec = n_runs_rec(n)
    assert make_layout(rec, RenderOptions(view="both")).legend_columns == columns
    assert make_layout(rec, RenderOptions(view="contour")).legend_columns == 1


def test_loss_panel_shares_the_legend_area():
    rec = preset_rec("bowl")
    for view in VIEWS:
        plain = make_layout(rec, RenderOptions(view=view))
        with_loss = make_layout(rec, RenderOptions(view=view, loss_panel=True))
        assert with_loss.legend.h * with_loss.legend.w < plain.legend.h * plain.legend.w
        # the views themselves do not move
        assert with_loss.contour == plain.contour
        assert with_loss.surface == plain.surface


# --- what is drawn in those places ---------------------------------------------------------


def rendered(name: str, **options) -> FrameRenderer:
    renderer = FrameRenderer(preset_rec(name), RenderOptions(frames=1, **options))
    renderer.canvas.draw()
    return renderer


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("loss_panel", [False, True])
def test_drawn_axes_with_their_labels_do_not_collide(view, loss_panel):
    renderer = rendered("rosenbrock", view=view, loss_panel=loss_panel, size=(640, 360))
    canvas_renderer = renderer.canvas.get_renderer()
    boxes = {
        type(layer).__name__: layer.ax.get_tightbbox(canvas_renderer)
        for layer in renderer.layers
        if hasattr(layer, "ax")
    }
    W, H = renderer.options.size
    for name, box in boxes.items():
        outside = box.x0 < -1 or box.y0 < -1 or box.x1 > W + 1 or box.y1 > H + 1
        assert not outside, f"{name} tick labels cut off at the edge: {box.extents.round()}"
    for (a, ba), (b, bb) in itertools.combinations(boxes.items(), 2):
        w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
        h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
        assert w <= 1 or h <= 1, f"{a} and {b} overlap by {w:.0f}x{h:.0f} px"


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("size", [(1280, 720), (320, 180)])
def test_legend_text_stays_in_the_legend(view, size):
    renderer = rendered("rosenbrock", view=view, loss_panel=True, size=size)  # 7 runs
    canvas_renderer = renderer.canvas.get_renderer()
    W, H = size
    legend = renderer.layout.legend
    lo_x, hi_x = legend.x * W - 2, (legend.x + legend.w) * W + 2
    lo_y, hi_y = legend.y * H - 2, (legend.y + legend.h) * H + 2
    surface = renderer.rec.surface
    inside = 0
    for text in renderer.figure.texts:
        if not text.get_text() or text.get_text() in (surface.title, surface.formula):
            continue
        if text.get_position()[1] > renderer.layout.title_y - 0.1:  # subtitle
            continue
        box = text.get_window_extent(canvas_renderer)
        assert lo_x <= box.x0 and box.x1 <= hi_x, (text.get_text(), box.extents.round())
        assert lo_y <= box.y0 and box.y1 <= hi_y, (text.get_text(), box.extents.round())
        inside += 1
    # a label and hyperparameters per run; at small sizes the hyperparameters are dropped
    assert inside >= (2 if size == (1280, 720) else 1) * len(renderer.rec.runs)


# --- legibility ------------------------------------------------------------------------------


def drawn_text_px(renderer: FrameRenderer) -> list[tuple[str, float]]:
    """Every piece of text a frame shows, with its height in pixels (font size at the dpi)."""
    from matplotlib.text import Text

    renderer.canvas.draw()
    dpi = renderer.figure.dpi
    out = [
        (t.get_text(), t.get_fontsize() * dpi / 72.0)
        for t in renderer.figure.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    legend = renderer.legend
    stamps = [legend.step_stamp]
    stamps += legend.loss_stamps if legend.show_loss else []
    stamps += [s for line in legend.readout_stamps for s in line]
    out += [("(stamp)", float(s.font.size)) for s in stamps]
    return out


LEGIBILITY_SCENES = [
    ("ravine", {"view": "surface", "arrows": True}),
    ("local-minimum", {"view": "both", "loss_panel": True}),
    ("rosenbrock", {"loss_panel": True}),  # 7 runs
]


@pytest.mark.parametrize(("name", "options"), LEGIBILITY_SCENES)
def test_no_text_under_14_px_at_1280x720(name, options):
    renderer = rendered(name, size=(1280, 720), **options)
    small = [(t, round(px, 1)) for t, px in drawn_text_px(renderer) if px < 14.0 - 1e-6]
    assert not small


@pytest.mark.parametrize(("name", "options"), LEGIBILITY_SCENES)
def test_small_frames_drop_secondary_text_rather_than_shrink_it(name, options):
    renderer = rendered(name, size=(480, 270), **options)
    shown = drawn_text_px(renderer)
    assert min(px for _, px in shown) >= MIN_TEXT_PX - 1e-6
    texts = [t for t, _ in shown]
    # the primary text stays: the title, each run's label and the step counter
    assert renderer.legend.step_stamp.font.size >= MIN_TEXT_PX
    assert all(run.label in texts for run in renderer.rec.runs)


@pytest.mark.parametrize("n", [1, 3, 7])
@pytest.mark.parametrize("size", [(1280, 720), (480, 270)])
def test_grid_has_one_equal_panel_per_run_apart_and_beside_the_legend(n, size):
    layout = make_layout(n_runs_rec(n), RenderOptions(view="grid", size=size))
    assert len(layout.grid) == n and layout.contour is None and layout.surface is None
    assert len({(round(r.w, 9), round(r.h, 9)) for r in layout.grid}) == 1
    for a, b in itertools.combinations([*layout.grid, layout.legend], 2):
        assert overlap(a, b) < 1e-9
    for r in layout.grid:
        assert r.x >= 0 and r.y >= 0 and r.x + r.w <= 1 and r.y + r.h <= 1
