"""The gallery's claims, each checked with the number its caption shows.

Every shipped scene says something about what is drawn ("momentum settles in 62
steps instead of 107"). Each test here records the scene exactly as the gallery
does, measures the claim, and checks that the caption quotes the measured number,
so a change to a surface, a preset or a scene file that breaks a claim fails here.

A scene that claims momentum beats GD keeps a control in the picture: GD at
momentum's effective step ``lr/(1 − β)``. If momentum's advantage were only a
bigger step, the control would do as well; the tests show it does not.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import numpy as np
import pytest

from surfaces import get_surface
from visualizer.drawing.render import FrameRenderer
from visualizer.frontends.gallery import GalleryScene, load_gallery
from visualizer.maths.recorder import DIVERGENCE_FACTOR, Recording, Run
from visualizer.scene.scene import Scene

SCENES: dict[str, GalleryScene] = {item.name: item for item in load_gallery()}


@cache
def recording(name: str) -> Recording:
    """The runs of the shipped scene ``name``, recorded as the gallery records them."""
    return SCENES[name].scene.record()


def caption(name: str) -> str:
    return SCENES[name].scene.caption


def says(name: str, *phrases: str) -> None:
    """The caption of ``name`` quotes every phrase (the measured numbers)."""
    text = caption(name)
    for phrase in phrases:
        assert phrase in text, f"{name}: caption should say {phrase!r}: {text}"


def run_of(rec: Recording, label: str) -> Run:
    (run,) = [r for r in rec.runs if r.label == label]
    return run


def settle_step(run: Run, tol: float = 1e-3) -> float:
    """First step after which the loss stays below ``tol`` × start loss (inf if never)."""
    if run.diverged_at is not None:
        return math.inf
    bad = ~(run.losses < tol * run.losses[0])
    if bad[-1]:
        return math.inf
    return float(np.nonzero(bad)[0][-1] + 1) if bad.any() else 0.0


def first_below(run: Run, level: float) -> float:
    """First step whose loss is below ``level`` (inf if never)."""
    hits = np.nonzero(run.losses[: run.last_step + 1] < level)[0]
    return float(hits[0]) if hits.size else math.inf


def leaves_picture(run: Run, window: tuple[float, float, float, float]) -> int | None:
    """The step the run leaves the picture: the one definition the legend and notes use."""
    return run.left_at(window)


def control_label(rec: Recording) -> str:
    """Label of the GD run at the momentum run's effective step ``lr/(1 − β)``."""
    (mom,) = [r for r in rec.runs if r.spec.name == "momentum"]
    effective = mom.spec.hyper["lr"] / (1 - mom.spec.hyper["beta"])
    controls = [
        r.label
        for r in rec.runs
        if r.spec.name == "gd" and math.isclose(r.spec.hyper["lr"], effective, rel_tol=0.01)
    ]
    assert controls, f"no gd run at momentum's effective step {effective:.3g}"
    return controls[0]


def near(run: Run, point: tuple[float, float], radius: float = 0.3) -> int:
    """Steps spent within ``radius`` of ``point``."""
    d = np.linalg.norm(run.positions[: run.last_step + 1] - np.asarray(point), axis=1)
    return int(np.sum(d < radius))


# --- every claim of "momentum beats GD" keeps its control -----------------------------


@pytest.mark.parametrize(
    "name", ["ravine", "ravine-3d", "saddle", "saddle-3d", "plateau", "local-minimum"]
)
def test_momentum_scenes_keep_gd_at_the_effective_step_as_a_control(name):
    rec = recording(name)
    control = run_of(rec, control_label(rec))
    mom = next(r for r in rec.runs if r.spec.name == "momentum")
    # the claim survives the control: momentum ends lower, and the control fails
    # (it is thrown out, or never settles)
    assert mom.diverged_at is None
    assert control.diverged_at is not None or settle_step(control) == math.inf, name
    assert "effective step" in caption(name), name


def subtitle(name: str) -> str:
    """The subtitle drawn on the shipped scene ``name``'s frames."""
    scene = dataclasses.replace(SCENES[name].scene, size=(1280, 720))  # small sizes drop it
    renderer = FrameRenderer(scene.record(), scene.render_options())
    return next(t.get_text() for t in renderer.figure.texts if t.get_text().startswith("start ("))


def test_subtitles_describe_the_runs_that_are_there():
    # one optimizer: no "same lr for every optimizer"
    assert subtitle("bowl") == "start (-4, 2.5)"
    # the control is named where it is drawn
    for name in ("saddle", "local-minimum", "plateau"):
        assert "as a control" in subtitle(name), name
    assert "as a control" in subtitle("ravine") and "own best lr" in subtitle("ravine")


def test_every_shipped_scene_has_a_number_in_its_caption():
    for name in SCENES:
        assert any(ch.isdigit() for ch in caption(name)), name


def test_every_shipped_scene_has_a_headline_and_marks_its_control():
    for name, item in SCENES.items():
        headline = item.scene.headline
        assert headline and len(headline) <= 70, name
    for name in ("ravine", "ravine-3d", "saddle", "saddle-3d", "plateau", "local-minimum"):
        rec = recording(name)
        assert [r.label for r in rec.runs if r.spec.control] == [control_label(rec)], name


def test_a_caption_and_the_legend_say_the_same_step_a_control_left():
    # the legend's words come from Run.fate, the same definition as the captions'
    rec = recording("ravine")
    control = run_of(rec, control_label(rec))
    assert control.fate(rec.surface.window) == "left the picture at step 1, diverged at step 5"
    says("ravine", "picture at step 1")


# --- one test per scene ------------------------------------------------------------


def test_gradient_field_downhill_is_not_towards_the_minimum():
    rec = recording("gradient-field")
    (gd,) = rec.runs
    start = np.asarray(rec.start)
    down = -gd.gradients[0]
    to_min = np.asarray(rec.surface.minima[0]) - start
    angle = np.degrees(np.arccos(down @ to_min / np.linalg.norm(down) / np.linalg.norm(to_min)))
    assert round(angle) == 36
    # GD's first step is along -grad f, so it too leaves the straight line
    step = gd.positions[1] - gd.positions[0]
    assert abs(step[0] * down[1] - step[1] * down[0]) < 1e-12
    assert SCENES["gradient-field"].scene.field
    says("gradient-field", "36° away", "right angle", "lr 0.1")


def test_bowl_gd_keeps_a_tenth_less_distance_each_step():
    rec = recording("bowl")
    (gd,) = rec.runs
    ratio = gd.losses[-1] / gd.losses[0]
    assert math.isclose(ratio, 0.9 ** (2 * rec.steps), rel_tol=1e-9)
    assert rec.steps == 40
    says("bowl", "lr 0.1", "after 40 steps", f"{100 * ratio:.2f}%")


def test_learning_rate_small_crawls_right_arrives_large_diverges():
    rec = recording("learning-rate")
    window = rec.surface.window
    small, right, large = (run_of(rec, f"gd lr={lr}") for lr in ("0.02", "0.4", "0.55"))
    left = small.losses[-1] / small.losses[0]
    assert 0.1 < left < 0.5, left
    assert settle_step(right) == 7
    kappa = rec.surface.params["kappa"]
    assert 2 / (1 + kappa) == 0.4  # the best constant step 2/(μ + L)
    assert large.spec.hyper["lr"] * kappa > 2
    out = leaves_picture(large, window)
    assert out == 9
    assert large.diverged_at is not None
    # each bounce across is 1.2 times the last: |1 − lr·L| = 1.2
    y = large.positions[1 : out + 1, 1] / large.positions[:out, 1]
    np.testing.assert_allclose(y, -1.2)
    says("learning-rate", f"{round(100 * left)}%", "in 7 steps", "1.2 times", "at step 9")


def test_momentum_beta_sweep_small_beta_helps_large_beta_overshoots():
    rec = recording("momentum-beta")
    # beta = 0 is plain GD: the scene draws it as gd (same update, gd's colour)
    runs = {r.spec.hyper.get("beta", 0.0): r for r in rec.runs}
    assert runs[0.0].spec.name == "gd" and runs[0.0].spec.hyper["lr"] == 0.1
    steps = {b: settle_step(r) for b, r in runs.items()}
    reach = {b: float(np.max(r.positions[:, 0])) for b, r in runs.items()}
    assert (steps[0.0], steps[0.5], steps[0.9]) == (31, 12, 62), steps
    assert steps[0.99] == math.inf
    assert reach[0.0] <= 0 and reach[0.5] <= 0.01, reach  # no overshoot
    assert f"{reach[0.9]:.2f}" == "2.41" and f"{reach[0.99]:.2f}" == "3.83", reach
    # the control for beta = 0.5: GD at its effective step lr/(1 − β) = 0.2
    control = Scene(surface="ravine:kappa=4", optimizers=("gd:lr=0.2",), steps=rec.steps).record()
    assert settle_step(control.runs[0]) == 15
    says("momentum-beta", "in 31 steps", "β = 0.5 in 12", "x = 2.41", "needs 62", "x = 3.83")
    says("momentum-beta", "0.2 needs 15", "after 120 steps")


def test_ravine_control_is_thrown_out():
    rec = recording("ravine")
    control = run_of(rec, control_label(rec))
    out = leaves_picture(control, rec.surface.window)
    assert out == 1 and control.diverged_at == 5
    assert control.spec.hyper["lr"] == 0.041
    says("ravine", "= 0.041", "picture at step 1")


def test_ravine_3d_gd_reverses_momentum_rolls():
    rec = recording("ravine-3d")
    gd = run_of(rec, next(r.label for r in rec.runs if r.spec.name == "gd"))
    mom = run_of(rec, "momentum")

    def flips(run: Run) -> int:
        dy = np.diff(run.positions[:61, 1])
        return int(np.sum(np.sign(dy[1:]) != np.sign(dy[:-1])))

    assert (flips(gd), flips(mom)) == (59, 12)
    control = run_of(rec, control_label(rec))
    assert leaves_picture(control, rec.surface.window) == 1
    says("ravine-3d", "59 times", "momentum 12 times", "picture at step 1")


@pytest.mark.parametrize("name", ["saddle", "saddle-3d"])
def test_saddle_gd_lingers_momentum_rolls_off_control_thrown_off(name):
    rec = recording(name)
    gd, mom = run_of(rec, "gd lr=0.1"), run_of(rec, "momentum")
    control = run_of(rec, control_label(rec))
    assert (near(gd, (0, 0)), near(mom, (0, 0))) == (58, 7)
    for run in (gd, mom):
        assert min(np.linalg.norm(run.positions[-1] - m) for m in rec.surface.minima) < 0.05
    out = leaves_picture(control, rec.surface.window)
    assert control.diverged_at == 5 and out == 1
    says(name, "58 steps", "momentum", "7", "picture at step 1", "effective step")
    assert "for 7" in caption(name)


def test_plateau_is_not_a_saddle():
    s = get_surface("plateau")
    xmin, xmax, ymin, ymax = s.window
    X, Y = np.meshgrid(np.linspace(xmin, xmax, 81), np.linspace(ymin, ymax, 81))
    p = np.stack([X, Y])
    g = s.grad(p)
    r = np.hypot(X, Y)
    # -grad · (minimum − p) = grad · p > 0 away from the minimum: the downhill
    # direction always leads towards the well, and the gradient never vanishes there
    away = r > 1e-9
    assert np.all((g[0] * X + g[1] * Y)[away] > 0)
    # and it is a plateau: at the start the slope is tiny
    assert np.linalg.norm(s.grad(np.array(s.start))) < 0.01


def test_plateau_gd_crawls_momentum_crosses_control_never_settles():
    rec = recording("plateau")
    gd, mom = run_of(rec, "gd lr=0.3"), run_of(rec, "momentum")
    control = run_of(rec, control_label(rec))
    assert (first_below(gd, 0.5), first_below(mom, 0.5)) == (140, 33)
    assert (settle_step(gd), settle_step(mom)) == (151, 96)
    assert first_below(control, 0.5) < first_below(mom, 0.5)  # it does cross sooner...
    assert settle_step(control) == math.inf  # ...but never settles
    # it bounces from side to side of the well: over the second half its median loss
    # is above the plateau's midpoint, and it never once gets within 1e-3
    half = control.losses[rec.steps // 2 :]
    assert control.diverged_at is None and np.median(half) > 0.5 and half.min() > 1e-3
    says("plateau", "crawls for 140 steps", "edge in 33", "by step 96", "GD by step 151")


def gd_sweep_escapes(lrs: np.ndarray, steps: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """For GD at each lr on local-minimum: (escaped to the deep basin, diverged)."""
    s = get_surface("local-minimum")
    xmin, xmax, ymin, ymax = s.window
    grow = DIVERGENCE_FACTOR
    cx, cy, hx, hy = (xmin + xmax) / 2, (ymin + ymax) / 2, (xmax - xmin) / 2, (ymax - ymin) / 2
    p = np.tile(np.asarray(s.start, dtype=float)[:, None], (1, lrs.size))
    diverged = np.zeros(lrs.size, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            p = np.where(diverged, p, p - lrs * s.grad(p))
            out = ~np.isfinite(p).all(axis=0)
            out |= np.abs(p[0] - cx) > grow * hx
            out |= np.abs(p[1] - cy) > grow * hy
            diverged |= out
    ridge = 0.3
    return (~diverged) & (p[0] < ridge), diverged


def test_local_minimum_momentum_escapes_and_no_gd_learning_rate_does():
    rec = recording("local-minimum")
    deep, shallow = (np.asarray(m) for m in rec.surface.minima)
    gd, mom = run_of(rec, "gd lr=0.05"), run_of(rec, "momentum")
    control = run_of(rec, control_label(rec))
    assert np.linalg.norm(gd.positions[-1] - shallow) < 0.01
    assert np.linalg.norm(mom.positions[-1] - deep) < 0.01
    assert control.diverged_at == 4 and leaves_picture(control, rec.surface.window) == 1
    escaped, diverged = gd_sweep_escapes(np.arange(0.005, 1.0001, 0.005))
    assert not escaped.any(), "some plain GD learning rate escapes and survives"
    assert diverged[-1]
    says(
        "local-minimum",
        f"x = {gd.positions[-1, 0]:.2f}",
        f"x = −{-mom.positions[-1, 0]:.2f}",
        "picture at step 1",
        "from 0.005 to 1",
    )


def test_minibatch_smaller_batches_stray_further_from_gd():
    rec = recording("minibatch")
    gd = run_of(rec, "gd")

    def stray(label: str) -> float:
        return float(np.mean(np.linalg.norm(run_of(rec, label).positions - gd.positions, axis=1)))

    small, large = stray("sgd batch=32"), stray("sgd batch=256")
    assert small > 2 * large > 0
    says("minibatch", f"{large:.2f} and {small:.2f}")


def test_all_optimizers_final_losses():
    # seven runs share one valley: small multiples show every one of them
    assert SCENES["all-optimizers"].scene.view == "grid"
    rec = recording("all-optimizers")
    final = {r.label: float(r.losses[-1]) for r in rec.runs}
    assert min(final, key=final.get) == "adam"
    assert final["adam"] < final["nesterov"] < final["momentum"] < final["gd"]
    says(
        "all-optimizers",
        f"Adam ends at loss {final['adam']:.2g}",
        f"Nesterov {final['nesterov']:.2g}",
        f"momentum {final['momentum']:.2g}",
        f"GD {final['gd']:.2g}",
    )


def test_newton_saddle_newton_lands_on_the_saddle_gd_and_momentum_roll_off():
    rec = recording("newton-saddle")
    newton, damped = run_of(rec, "newton damping=0"), run_of(rec, "newton damping=2")
    gd, mom = run_of(rec, "gd"), run_of(rec, "momentum")
    assert rec.start == (0.25, 1.2)
    # the undamped step goes to the saddle at the origin, and stays
    at_saddle = np.linalg.norm(newton.positions, axis=1) < 1e-6
    first = int(np.argmax(at_saddle))
    assert first == 3 and at_saddle[first:].all()
    h = rec.surface.hess(np.array(rec.start))
    assert np.linalg.eigvalsh(h)[0] < 0 < np.linalg.eigvalsh(h + 2 * np.eye(2))[0]
    # the others end at the minimum (1, 0); damped Newton within 0.001 by step 11
    for run in (gd, mom, damped):
        assert np.linalg.norm(run.positions[-1] - [1.0, 0.0]) < 0.05, run.label
    near_min = np.linalg.norm(damped.positions - [1.0, 0.0], axis=1) < 1e-3
    assert int(np.argmax(near_min)) == 11 and near_min[11:].all()
    assert newton.evaluations[-1].tolist() == [0, 80, 80]
    says("newton-saddle", "0.25 off", "in 3 steps", "λ = 2", "by step 11", "(1, 0)")


def test_newton_ravine_counts_evaluations_newton_2_momentum_62_gd_107():
    rec = recording("newton-ravine")
    assert rec.pace == "evaluations"
    newton, gd, mom = run_of(rec, "newton"), run_of(rec, "gd"), run_of(rec, "momentum")
    assert (settle_step(newton), settle_step(mom), settle_step(gd)) == (2, 62, 107)
    assert newton.evaluations[2].tolist() == [0, 1, 1] and newton.losses[2] == 0.0
    assert newton.evaluations[1].tolist() == [0, 0, 0]  # one evaluation is not a Newton step
    for run, n in ((mom, 62), (gd, 107)):
        assert run.evaluations[n].tolist() == [0, n, 0]
    # each at its own best learning rate: the ravine's preset
    preset = get_surface("ravine").preset.optimizers
    assert gd.spec.text() == preset[0] and mom.spec.text() == "momentum:beta=0.9,lr=0.0041"
    assert preset[2] == "momentum:lr=0.0041,beta=0.9"
    says(
        "newton-ravine",
        "2 evaluations",
        "after 62 gradients",
        "GD after 107",
        "1 gradient and 1 Hessian",
    )
