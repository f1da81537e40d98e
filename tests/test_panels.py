"""Tests for visualizer/panels.py: loss formatting, the legend and the loss panel."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from helpers import rec_of
from hypothesis import given, settings
from hypothesis import strategies as st

from surfaces import get_surface
from visualizer.drawing.panels import LegendPanel, LossPanel, format_loss
from visualizer.drawing.render import FrameRenderer, RenderOptions
from visualizer.maths.recorder import record
from visualizer.maths.specs import parse_optimizer

SIZE = (320, 180)
#: Large enough for the secondary text (9 px and up) and for the loss panel beside the legend.
BIG = (800, 450)


# --- format_loss ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.3456, "12.35"),
        (0.000123, "1.23e-04"),
        (-0.25, "-0.2500"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1.000"),
        (0.01, "0.01000"),
        (0.001, "0.001000"),
        (0.00099, "9.90e-04"),
        (100.0, "100.0"),
        (1000.0, "1000"),
        (9999.0, "9999"),
        (10000.0, "1.00e+04"),
        (12345.0, "1.23e+04"),
        (-12345.0, "-1.23e+04"),
        (1e-300, "1.00e-300"),
        (float("inf"), "inf"),
        (float("nan"), "nan"),
    ],
)
def test_format_loss_cases(value, text):
    assert format_loss(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(999.96, "1000"), (9.99996, "10.00"), (0.099996, "0.1000"), (9999.9, "1.00e+04")],
)
def test_format_loss_rounding_up_to_a_power_of_ten_keeps_four_digits(value, text):
    # 999.96 has 4 significant digits as 1000, like format_loss(1000.0) == "1000";
    # and 9999.9 rounds to 10000, which is shown in scientific notation like 10000 itself
    assert format_loss(value) == text


@settings(derandomize=True, max_examples=300)
@given(st.floats(min_value=-1e6, max_value=1e6).filter(lambda v: abs(v) >= 1e-99))
def test_format_loss_round_trips_and_fits_the_legend(value):
    text = format_loss(value)
    assert len(text) <= 9  # the legend pads to 9 characters
    back = float(text)
    if "e" in text:
        assert back == pytest.approx(value, rel=5e-3)
    else:
        assert back == pytest.approx(value, rel=5e-4, abs=5e-7)
        assert math.copysign(1, back) == math.copysign(1, value) or back == 0


# --- legend --------------------------------------------------------------------------------


def legend_of(renderer: FrameRenderer) -> LegendPanel:
    legend = renderer.layers[-1]
    assert isinstance(legend, LegendPanel)
    return legend


def texts(renderer: FrameRenderer) -> list[str]:
    return [t.get_text() for t in renderer.figure.texts]


def test_legend_has_title_formula_labels_and_hyperparameters():
    rec = rec_of("bowl", "gd:lr=0.2", "momentum:lr=0.05,beta=0.8", steps=3)
    renderer = FrameRenderer(rec, RenderOptions(size=BIG, frames=2))
    shown = texts(renderer)
    assert rec.surface.title in shown and rec.surface.formula in shown
    assert "gd" in shown and "momentum" in shown
    assert any("lr=0.05" in t and "beta=0.8" in t for t in shown)
    assert any(t.startswith("start (-4, 2.5)") for t in shown)
    assert not any("seed" in t for t in shown)  # no stochastic run


def test_legend_title_option_and_seed_for_sgd():
    rec = record(get_surface("bowl"), [parse_optimizer("sgd:lr=0.1,noise=1")], steps=3, seed=7)
    renderer = FrameRenderer(rec, RenderOptions(size=BIG, frames=2, title="My title"))
    shown = texts(renderer)
    assert "My title" in shown and rec.surface.title not in shown
    assert any("seed 7" in t for t in shown)


@pytest.mark.parametrize("frames", [None, 4])
def test_readouts_show_the_step_the_picture_shows(frames):
    # with fewer frames than steps too: the counter never lags the trails
    rec = rec_of("bowl", "gd:lr=0.2", steps=9)
    renderer = FrameRenderer(rec, RenderOptions(size=(640, 360), fps=20, frames=frames))
    drawn = []
    legend = legend_of(renderer)
    original = legend.step_stamp.draw
    legend.step_stamp.draw = lambda frame, text, color=None: (
        drawn.append(text),
        original(frame, text, color),
    )
    list(renderer.frames())
    assert drawn == [f"step {s} / 9" for s in renderer.steps]


def test_step_counter_and_losses_are_stamped_every_frame():
    rec = rec_of("bowl", "gd:lr=0.2", steps=4)
    renderer = FrameRenderer(rec, RenderOptions(size=(640, 360)))
    frames = list(renderer.frames())
    legend = legend_of(renderer)
    W = frames[0].shape[1]
    # the step counter's line and the loss line change on every frame
    x, y = legend.step_stamp.xy
    rows = slice(int(y), int(y) + int(legend.step_stamp.font.size * 1.3))
    counter = [f[rows, int(x) : W] for f in frames]
    ly = legend.loss_stamps[0].xy[1]
    loss_rows = slice(int(ly), int(ly) + int(legend.loss_stamps[0].font.size * 1.3))
    losses = [f[loss_rows, :] for f in frames]
    for i in range(1, len(frames)):
        assert np.any(counter[i] != counter[i - 1]), i
        assert np.any(losses[i] != losses[i - 1]), i


def test_stamps_match_drawing_the_text_on_a_blank_frame():
    rec = rec_of("bowl", "gd:lr=0.2", steps=2)
    renderer = FrameRenderer(rec, RenderOptions(size=(640, 360), frames=1))
    frame = next(renderer.frames())
    legend = legend_of(renderer)
    mask = np.zeros_like(frame)
    legend.step_stamp.draw(mask, "step 2 / 2", color="#ffffff")
    ink = mask[..., 0] > 128
    assert ink.sum() > 20
    # where the counter's glyphs are fully opaque, the frame has the muted text colour
    muted = np.round(np.array(matplotlib.colors.to_rgb(renderer.theme.muted)) * 255)
    solid = mask[..., 0] == 255
    assert solid.any()
    assert np.all(np.abs(frame[solid][:, :3] - muted) <= 1)


# --- loss panel ----------------------------------------------------------------------------


def loss_panel_of(renderer: FrameRenderer) -> LossPanel:
    return next(layer for layer in renderer.layers if isinstance(layer, LossPanel))


def test_loss_panel_axes_cover_the_recorded_gaps():
    rec = rec_of("ravine", "gd:lr=0.0195", "momentum:lr=0.004", steps=30)
    renderer = FrameRenderer(rec, RenderOptions(size=BIG, frames=3, loss_panel=True))
    panel = loss_panel_of(renderer)
    assert panel.ax.get_yscale() == "log"
    assert panel.ax.get_xlim() == (0, 30)
    lo, hi = panel.ax.get_ylim()
    for run in rec.runs:
        gaps = run.losses - panel.f_star
        assert np.all(gaps >= 0)
        assert lo <= max(gaps.min(), panel.floor) and gaps.max() <= hi
    assert panel.floor > 0


@pytest.mark.parametrize(
    ("specs", "start"),
    [(("gd:lr=0.2",), (0.0, 0.0)), (("gd:lr=5", "gd:lr=0.2"), None), (("gd:lr=5",), None)],
)
def test_loss_panel_handles_zero_gaps_and_divergence(specs, start):
    rec = rec_of("bowl", *specs, steps=6, start=start)
    renderer = FrameRenderer(rec, RenderOptions(size=BIG, loss_panel=True))
    frames = list(renderer.frames())
    assert len(frames) == 7
    panel = loss_panel_of(renderer)
    lo, hi = panel.ax.get_ylim()
    assert 0 < lo < hi and np.isfinite(hi)


def test_preset_note_only_when_every_run_uses_the_preset_values():
    surface = get_surface("ravine")
    preset = [parse_optimizer(p) for p in surface.preset.optimizers]
    tuned = [parse_optimizer("gd:lr=0.001"), *preset[1:]]
    for specs, shown in ((preset, True), (tuned, False)):
        renderer = FrameRenderer(record(surface, specs, steps=2), RenderOptions(size=BIG))
        texts = [t.get_text() for t in renderer.figure.texts]
        assert any(surface.preset.note in t for t in texts) is shown


def test_loss_gap_uses_the_known_minimum_so_gd_on_the_bowl_is_a_straight_line():
    rec = rec_of("bowl", "gd:lr=0.1", steps=40)
    renderer = FrameRenderer(rec, RenderOptions(size=BIG, loss_panel=True, frames=2))
    panel = loss_panel_of(renderer)
    assert panel.f_star == 0.0
    gaps = panel._gap(rec.runs[0].losses)
    ratios = gaps[1:] / gaps[:-1]
    assert np.allclose(ratios, 0.81)  # (1 − lr)² every step, to the last one


def test_loss_gap_of_the_regression_is_measured_from_the_least_squares_loss():
    surface = get_surface("regression")
    rec = record(surface, [parse_optimizer("gd:lr=0.3")], steps=80)
    renderer = FrameRenderer(rec, RenderOptions(size=BIG, loss_panel=True, frames=2))
    panel = loss_panel_of(renderer)
    assert panel.f_star == pytest.approx(float(surface.f(np.array(surface.minima[0]))))
    assert panel.f_star < rec.runs[0].losses[-1]  # the last step does not dive to the floor


# --- the headline, and what the legend says of a run that left -----------------------------


def test_headline_is_the_title_with_the_surface_and_formula_beneath():
    rec = rec_of("bowl", "gd:lr=0.2", steps=3)
    renderer = FrameRenderer(rec, RenderOptions(size=BIG, frames=2, headline="GD walks down"))
    by_text = {t.get_text(): t for t in renderer.figure.texts}
    head, name = by_text["GD walks down"], by_text[rec.surface.title]
    assert rec.surface.formula in by_text
    assert head.get_position()[1] > name.get_position()[1]  # the takeaway on top
    assert head.get_fontweight() == "bold" and name.get_fontweight() == "normal"
    assert by_text[rec.surface.formula].get_position()[1] == name.get_position()[1]


def test_an_expression_is_typeset_once_not_repeated_raw():
    rec = rec_of("x**2 + 10*y**2", "gd:lr=0.05", steps=3)
    shown = texts(FrameRenderer(rec, RenderOptions(size=BIG, frames=2)))
    assert rec.surface.formula in shown
    assert not any("x**2" in t for t in shown)


def test_legend_says_when_a_run_left_the_picture_in_the_words_of_run_fate():
    rec = rec_of("ravine", "gd:lr=0.041", "gd:lr=0.0195", steps=8)
    legend = legend_of(FrameRenderer(rec, RenderOptions(size=BIG, frames=2)))
    control, gd = rec.runs
    assert legend._loss_text(control, 0).startswith("loss")
    assert legend._loss_text(control, 1) == legend._loss_text(control, 8)
    assert legend._loss_text(control, 1) == "left at step 1"
    assert control.fate(rec.surface.window).startswith("left the picture at step 1")
    assert legend._loss_text(gd, 8).startswith("loss")


@pytest.mark.parametrize("name", ["saddle", "all-optimizers", "local-minimum"])
def test_small_frames_keep_names_losses_and_notes_in_the_legend(name):
    # at 480x270 the hyperparameters (and the loss panel, if need be) go first
    import dataclasses

    from visualizer.frontends.gallery import load_gallery

    (item,) = [g for g in load_gallery() if g.name == name]
    scene = dataclasses.replace(item.scene, size=(480, 270), steps=6, theme="dark")
    renderer = FrameRenderer(scene.record(), scene.render_options())
    legend = legend_of(renderer)
    assert legend.show_loss, name
    shown = texts(renderer)
    assert all(run.label in shown for run in renderer.rec.runs), name
