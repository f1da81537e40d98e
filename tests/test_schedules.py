"""Tests for visualizer/schedules.py and schedules in specs and the recorder."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surfaces import SpecError, get_surface
from visualizer.maths.recorder import record
from visualizer.maths.schedules import parse_schedule
from visualizer.maths.specs import parse_optimizer

T = 12


def factors(**raw: str) -> list[float]:
    return parse_schedule(raw, owner="gd").factors(T)[:T].tolist()


def test_the_formulas_of_the_issue():
    assert factors() == [1.0] * T
    assert factors(schedule="exponential", gamma="0.9") == [0.9**t for t in range(T)]
    assert factors(schedule="step", gamma="0.5", every="5") == [0.5 ** (t // 5) for t in range(T)]
    cosine = [0.5 * (1 + math.cos(math.pi * t / T)) for t in range(T)]
    np.testing.assert_allclose(factors(schedule="cosine"), cosine, rtol=0, atol=1e-15)
    warm = [min(1.0, (t + 1) / 4) * c for t, c in enumerate(cosine)]
    np.testing.assert_allclose(factors(schedule="cosine", warmup="4"), warm, rtol=0, atol=1e-15)
    assert factors(warmup="3")[:4] == [1 / 3, 2 / 3, 1.0, 1.0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("gd:schedule=linear", ["schedule", "constant, exponential, step, cosine", "'linear'"]),
        ("gd:schedule=exponential", ["needs gamma="]),
        ("gd:schedule=step,gamma=0.5", ["needs every="]),
        ("gd:gamma=0.5", ["gamma applies to schedule=exponential or step"]),
        ("gd:schedule=exponential,gamma=0.5,every=3", ["every applies to schedule=step"]),
        ("gd:schedule=exponential,gamma=0", ["gamma must be > 0"]),
        ("gd:schedule=step,gamma=0.5,every=1.5", ["every must be an integer"]),
        ("gd:warmup=-1", ["warmup must be >= 0"]),
    ],
)
def test_bad_schedules_are_one_line_errors(text, words):
    with pytest.raises(SpecError) as info:
        parse_optimizer(text)
    message = str(info.value)
    assert "\n" not in message and message.startswith("gd: ")
    for word in words:
        assert word in message


def test_schedule_round_trips_and_shows_in_labels_and_legend():
    spec = parse_optimizer("momentum:lr=0.1,schedule=step,gamma=0.5,every=10,warmup=5")
    assert parse_optimizer(spec.text()) == spec
    assert spec.hyper_text() == "lr=0.1 beta=0.9 schedule=step gamma=0.5 every=10 warmup=5"
    rec = record(get_surface("bowl"), ["gd:lr=0.1", "gd:lr=0.1,schedule=cosine"], steps=5)
    assert [r.label for r in rec.runs] == ["gd", "gd schedule=cosine"]


def test_a_scheduled_run_takes_steps_of_lr_times_the_factor():
    steps = 8
    rec = record(get_surface("bowl"), ["gd:lr=0.1,schedule=exponential,gamma=0.5"], steps=steps)
    run = rec.runs[0]
    np.testing.assert_array_equal(run.lrs, 0.1 * 0.5 ** np.arange(steps + 1))
    x = run.positions[0].copy()
    for t in range(steps):
        x = x - run.lrs[t] * x  # the bowl's gradient is x
        np.testing.assert_allclose(run.positions[t + 1], x, rtol=1e-14)


def test_scheduled_momentum_is_torch_sgd_with_the_same_scheduler():
    # v ← β·v + lr·g ; θ ← θ − (lr_t/lr)·v  is torch's  buf ← β·buf + g ; θ ← θ − lr_t·buf
    surface = get_surface("ravine")
    rec = record(surface, ["momentum:lr=0.004,beta=0.9,schedule=cosine"], steps=60)
    p, buf = np.array(surface.start), np.zeros(2)
    for t in range(60):
        buf = 0.9 * buf + surface.grad(p)
        p = p - 0.004 * 0.5 * (1 + math.cos(math.pi * t / 60)) * buf
    np.testing.assert_allclose(rec.runs[0].positions[-1], p, rtol=1e-9, atol=1e-12)
    assert rec.runs[0].velocities is not None  # still read through the schedule's state


def test_the_loss_panel_draws_scheduled_rates_and_the_legend_reads_them_out():
    from visualizer.drawing.panels import LossPanel
    from visualizer.drawing.render import FrameRenderer, RenderOptions

    rec = record(get_surface("bowl"), ["gd:lr=0.1", "gd:lr=0.2,schedule=cosine"], steps=20)
    renderer = FrameRenderer(rec, RenderOptions(size=(480, 270), loss_panel=True))
    panel = next(layer for layer in renderer.layers if isinstance(layer, LossPanel))
    (line,) = panel.lr_ax.get_lines()  # the scheduled run only
    np.testing.assert_allclose(line.get_ydata()[:-1], rec.runs[1].lrs[:-1])
    assert "lr dotted" in panel.ax.get_title(loc="left")
    assert rec.runs[0].readout(3) == "" and rec.runs[1].readout(0) == "lr 0.2"
    assert rec.runs[1].readout(10) == "lr 0.1"
