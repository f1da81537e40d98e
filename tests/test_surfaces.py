"""Tests for the surface registry (surfaces/__init__.py), analytic.py and regression.py.

Also holds the preset tests: each built-in scene must *show* what the source
article describes, checked with numbers (see MISSION.md).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surfaces import SURFACES, SpecError, Surface, get_surface, surface_names
from surfaces.regression import make_data
from visualizer.maths.recorder import Recording, Run, record
from visualizer.maths.specs import resolve_optimizers
from visualizer.scene.scene import Scene

#: The 2-parameter surfaces (a model surface's f works on its network's parameters).
NAMES = [name for name in SURFACES if get_surface(name).model is None]
FUZZ = settings(derandomize=True, max_examples=50, deadline=None, database=None)
EPS = np.finfo(float).eps
FD_STEP = 1e-6


@cache
def surface(name: str) -> Surface:
    return get_surface(name)


unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def point_in_window(s: Surface, u: float, v: float) -> np.ndarray:
    xmin, xmax, ymin, ymax = s.window
    return np.array([xmin + u * (xmax - xmin), ymin + v * (ymax - ymin)])


def central_differences(s: Surface, p: np.ndarray, h: float = FD_STEP) -> np.ndarray:
    out = np.empty(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[i] = (s.loss(p + e) - s.loss(p - e)) / (2 * h)
    return out


# --- registry ------------------------------------------------------------------


def test_registry_lists_the_article_surfaces():
    assert {"bowl", "ravine", "saddle", "local-minimum", "regression"} <= set(NAMES)
    assert surface_names() == list(SURFACES)


@pytest.mark.parametrize("name", NAMES)
def test_get_surface_builds_the_named_surface(name):
    s = surface(name)
    assert isinstance(s, Surface)
    assert s.name == name
    assert s.formula.startswith("$") and s.formula.endswith("$")
    assert s.preset.optimizers and s.preset.steps >= 1


# --- gradients ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(u=unit, v=unit)
def test_gradient_matches_central_differences(name, u, v):
    s = surface(name)
    p = point_in_window(s, u, v)
    g = np.asarray(s.grad(p), dtype=float)
    fd = central_differences(s, p)
    assert g.shape == (2,)
    # Scale-aware: relative to the gradient, plus the rounding error of the quotient.
    tol = 1e-5 * max(1.0, float(np.linalg.norm(g))) + 10 * EPS * abs(s.loss(p)) / FD_STEP
    assert np.linalg.norm(g - fd) <= tol, f"{name} at {p.tolist()}: grad {g}, fd {fd}"


# --- broadcasting -----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_f_and_grad_broadcast_over_grids(name):
    s = surface(name)
    xmin, xmax, ymin, ymax = s.window
    X, Y = np.meshgrid(np.linspace(xmin, xmax, 7), np.linspace(ymin, ymax, 5))
    grid = np.stack([X, Y])
    Z = s.f(grid)
    G = s.grad(grid)
    assert np.shape(Z) == X.shape
    assert np.shape(G) == (2, *X.shape)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            p = np.array([X[i, j], Y[i, j]])
            np.testing.assert_allclose(Z[i, j], s.f(p), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(G[:, i, j], s.grad(p), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_f_and_grad_broadcast_over_three_dimensional_stacks(name):
    s = surface(name)
    rng = np.random.default_rng(1)
    u = rng.uniform(size=(2, 3, 4, 5))
    xmin, xmax, ymin, ymax = s.window
    pts = np.stack([xmin + u[0] * (xmax - xmin), ymin + u[1] * (ymax - ymin)])
    assert np.shape(s.f(pts)) == (3, 4, 5)
    assert np.shape(s.grad(pts)) == (2, 3, 4, 5)
    assert np.ndim(s.f(pts[:, 0, 0, 0])) == 0
    assert np.shape(s.grad(pts[:, 0, 0, 0])) == (2,)


# --- minima, windows, starts ----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_listed_minima_are_local_minima(name):
    s = surface(name)
    assert s.minima, f"{name} lists no minima"
    for m in s.minima:
        p = np.asarray(m, dtype=float)
        g = np.asarray(s.grad(p))
        assert np.linalg.norm(g) < 1e-6, f"{name}: gradient {g} at listed minimum {m}"
        f0 = s.loss(p)
        for angle in np.arange(8) * np.pi / 4:
            for r in (1e-3, 1e-2):
                q = p + r * np.array([np.cos(angle), np.sin(angle)])
                assert f0 <= s.loss(q), f"{name}: f{tuple(q)} < f{m}"


@pytest.mark.parametrize("name", NAMES)
def test_window_is_valid_and_contains_start_and_minima(name):
    s = surface(name)
    xmin, xmax, ymin, ymax = s.window
    assert all(np.isfinite(s.window))
    assert xmin < xmax and ymin < ymax
    x, y = s.start
    assert xmin < x < xmax and ymin < y < ymax
    for mx, my in s.minima:
        assert xmin <= mx <= xmax and ymin <= my <= ymax


def test_local_minimum_lists_the_deep_minimum_first():
    s = surface("local-minimum")
    deep, shallow = s.minima
    assert s.loss(deep) < s.loss(shallow)
    assert deep[0] < 0 < shallow[0]


# --- regression: the loss is a mean over samples ----------------------------------------


def explicit_mean_loss(data, p: np.ndarray) -> float:
    w, b = p
    return float(np.mean(0.5 * (w * data.x + b - data.y) ** 2))


@pytest.mark.parametrize(
    ("spec", "kwargs"),
    [
        ("regression", {}),  # the registry's defaults are make_data's
        ("regression:samples=50,noise=0.5,seed=3", {"samples": 50, "noise": 0.5, "seed": 3}),
    ],
)
@FUZZ
@given(u=unit, v=unit)
def test_regression_loss_is_the_mean_over_samples(spec, kwargs, u, v):
    s = surface(spec)
    data = make_data(**kwargs)
    p = point_in_window(s, u, v)
    np.testing.assert_allclose(s.loss(p), explicit_mean_loss(data, p), rtol=1e-10, atol=1e-12)
    assert s.dataset is not None and s.dataset.n_samples == data.n_samples
    full = s.dataset.batch_grad(p, np.arange(s.dataset.n_samples))
    np.testing.assert_allclose(full, s.grad(p), rtol=1e-10, atol=1e-12)


def test_regression_minimum_is_the_least_squares_solution():
    s = surface("regression")
    data = make_data()
    assert data.n_samples == 1024
    design = np.stack([data.x, np.ones_like(data.x)], axis=1)
    expected, *_ = np.linalg.lstsq(design, data.y, rcond=None)
    (minimum,) = s.minima
    np.testing.assert_allclose(minimum, expected, rtol=1e-12, atol=1e-12)
    assert np.linalg.norm(s.grad(np.asarray(minimum))) < 1e-12


def test_regression_dataset_is_seeded():
    a, b, c = make_data(seed=5), make_data(seed=5), make_data(seed=6)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_analytic_surfaces_have_no_dataset():
    for name in NAMES:
        assert (surface(name).dataset is not None) == (name in ("regression", "logistic"))


# --- parameters and errors ----------------------------------------------------------------


def test_ravine_kappa_changes_f():
    default, fifty = get_surface("ravine"), get_surface("ravine:kappa=50")
    assert fifty.params["kappa"] == 50.0
    assert default.params["kappa"] != 50.0
    p = np.array([1.0, 1.0])
    assert float(fifty.f(p)) == 25.5
    assert float(default.f(p)) == 0.5 * (1 + default.params["kappa"])
    np.testing.assert_array_equal(fifty.grad(p), [1.0, 50.0])


def spec_error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        get_surface(text)
    message = str(info.value)
    assert message and "\n" not in message
    return message


def test_unknown_surface_lists_valid_names():
    message = spec_error("rosenbrok")
    assert "'rosenbrok'" in message
    for name in NAMES:
        assert name in message


def test_unknown_key_names_it_and_lists_valid_keys():
    message = spec_error("ravine:kapa=5")
    assert "'kapa'" in message and "kappa" in message
    assert "none" in spec_error("bowl:kappa=5")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ravine:kappa=0.5", ["kappa", "0.5"]),
        ("ravine:kappa=1e5", ["kappa", "1e5"]),
        ("ravine:kappa=-3", ["kappa", "-3"]),
        ("ravine:kappa=abc", ["kappa", "abc"]),
        ("ravine:kappa=nan", ["kappa", "nan"]),
        ("regression:samples=2.5", ["samples", "2.5"]),
        ("regression:samples=1", ["samples"]),
        ("regression:noise=-1", ["noise"]),
        ("ravine:kappa=", ["ravine"]),
        ("ravine:kappa=5,kappa=6", ["kappa"]),
    ],
)
def test_bad_parameter_values_raise_one_line_spec_errors(text, words):
    message = spec_error(text)
    for word in words:
        assert word in message


def test_regression_parameters_are_applied():
    s = get_surface("regression:samples=64,seed=2")
    assert s.dataset is not None and s.dataset.n_samples == 64
    assert s.params["samples"] == 64 and s.params["seed"] == 2
    assert s.minima[0] == make_data(samples=64, seed=2).minimum()


# === presets: each scene shows its phenomenon, with numbers ================================


@cache
def preset_recording(name: str) -> Recording:
    return Scene(surface=name).record()


def run_of(rec: Recording, label: str) -> Run:
    (run,) = [r for r in rec.runs if r.label == label]
    assert run.diverged_at is None, f"{label} diverged at {run.diverged_at}"
    return run


def test_preset_recording_matches_record_with_the_preset():
    s = surface("bowl")
    rec = record(s, resolve_optimizers([], s.preset.optimizers))
    for a, b in zip(rec.runs, preset_recording("bowl").runs, strict=True):
        np.testing.assert_array_equal(a.positions, b.positions)


def test_bowl_gd_walks_straight_to_the_bottom():
    rec = preset_recording("bowl")
    gd = run_of(rec, "gd")
    assert gd.losses[-1] < 1e-3, f"gd final loss {gd.losses[-1]}"
    start = gd.positions[0]
    minimum = np.asarray(rec.surface.minima[0])
    direction = (minimum - start) / np.linalg.norm(minimum - start)
    rel = gd.positions - start
    perpendicular = rel - np.outer(rel @ direction, direction)
    distance = np.linalg.norm(perpendicular, axis=1).max()
    assert distance < 1e-9, f"gd strays {distance} from the start→minimum line"
    assert np.all(np.diff(gd.losses) < 0), "gd loss must fall at every step on the bowl"


def sign_changes(run: Run, steps: int = 60) -> tuple[int, int]:
    """Sign changes of the y-step among the first ``steps`` steps, and pairs compared."""
    dy = np.diff(run.positions[: steps + 1, 1])
    return int(np.sum(np.sign(dy[1:]) != np.sign(dy[:-1]))), dy.size - 1


def settle_step(run: Run, tol: float = 1e-3) -> float:
    """First step after which the loss stays below ``tol`` × start loss (inf if never)."""
    bad = ~(run.losses < tol * run.losses[0])
    if bad[-1]:
        return float("inf")
    return float(np.nonzero(bad)[0][-1] + 1)


def test_ravine_gd_and_sgd_zigzag_momentum_is_smooth_and_faster():
    rec = preset_recording("ravine")
    gd_label = next(r.label for r in rec.runs if r.spec.name == "gd")  # the tuned one comes first
    gd, sgd, mom = run_of(rec, gd_label), run_of(rec, "sgd"), run_of(rec, "momentum")
    (gd_flips, n), (sgd_flips, _), (mom_flips, _) = map(sign_changes, (gd, sgd, mom))
    numbers = f"y-step sign changes in {n}: gd {gd_flips}, sgd {sgd_flips}, momentum {mom_flips}"
    # Measured: gd 59/59, sgd 59/59, momentum 12/59.
    assert gd_flips >= 0.9 * n, numbers
    assert sgd_flips >= 0.6 * n, numbers
    assert mom_flips <= 0.25 * gd_flips, numbers
    gd_settle, mom_settle = settle_step(gd), settle_step(mom)
    # Measured: gd 107, momentum 62 (sgd never stays below within the 120 steps).
    assert mom_settle <= 0.7 * gd_settle, f"settle steps: gd {gd_settle}, momentum {mom_settle}"
    assert gd_settle <= rec.steps, f"gd never settles: {gd_settle}"


def test_ravine_preset_gives_each_optimizer_its_own_lr():
    specs = resolve_optimizers([], surface("ravine").preset.optimizers)
    lrs: dict[str, float] = {}
    for s in specs:  # the first gd is the tuned one; the last is the control
        lrs.setdefault(s.name, s.hyper["lr"])
    kappa = surface("ravine").params["kappa"]
    # GD zig-zags only when lr·L > 1 (L = kappa); the tuned lr must be in that regime.
    assert 1 < lrs["gd"] * kappa < 2
    assert lrs["sgd"] == lrs["gd"]


def test_ravine_preset_search_runs_only_when_the_preset_is_read(monkeypatch):
    import surfaces

    calls = []
    real = surfaces.ravine_best_lrs
    monkeypatch.setattr(surfaces, "ravine_best_lrs", lambda k: calls.append(k) or real(k))
    s = get_surface("ravine:kappa=77")
    assert calls == [] and s.loss(np.array([0.0, 1.0])) == 38.5
    assert s.preset.optimizers[0] == f"gd:lr={real(77.0)[0]:.3g}" and calls == [77.0]


def test_ravine_search_runs_the_real_momentum_on_the_real_ravine():
    from surfaces.analytic import ravine_der
    from surfaces.tuning import _trajectories
    from visualizer.maths.optimizers import momentum

    lrs = np.array([0.005, 0.012])
    paths = _trajectories(50.0, lrs, 0.9, 30)
    for i, lr in enumerate(lrs):
        opt, p = momentum(lr=float(lr), beta=0.9), np.array([-4.0, 1.5])
        state = opt.init(p)
        for t in range(30):
            p, state = opt.update(ravine_der(p, 50.0), state, p)
            np.testing.assert_array_equal(paths[t + 1, i], p)


def test_saddle_gd_stalls_near_the_saddle_momentum_rolls_through():
    rec = preset_recording("saddle")
    gd, mom = run_of(rec, "gd lr=0.1"), run_of(rec, "momentum")

    def near_origin(run: Run) -> int:
        return int(np.sum(np.linalg.norm(run.positions, axis=1) < 0.3))

    # Measured: gd 58 steps, momentum 7 steps (the control is in tests/test_claims.py).
    numbers = f"steps within 0.3 of the saddle: gd {near_origin(gd)}, momentum {near_origin(mom)}"
    assert near_origin(gd) >= 3 * near_origin(mom), numbers
    assert near_origin(gd) >= 20, numbers
    for run in (gd, mom):
        distance = min(np.linalg.norm(run.positions[-1] - m) for m in rec.surface.minima)
        assert distance < 0.05, f"{run.label} ends at {run.positions[-1]}"


def test_local_minimum_gd_stops_in_the_shallow_well_momentum_reaches_the_deep_one():
    rec = preset_recording("local-minimum")
    deep, shallow = (np.asarray(m) for m in rec.surface.minima)
    gd, mom = run_of(rec, "gd lr=0.05"), run_of(rec, "momentum")
    assert np.linalg.norm(gd.positions[-1] - shallow) < 0.1, f"gd ends at {gd.positions[-1]}"
    assert np.linalg.norm(mom.positions[-1] - deep) < 0.1, f"momentum ends at {mom.positions[-1]}"


def test_regression_smaller_minibatches_are_noisier():
    rec = preset_recording("regression")
    gd = run_of(rec, "gd")

    def noise(label: str) -> float:
        run = run_of(rec, label)
        return float(np.mean(np.linalg.norm(run.positions - gd.positions, axis=1)))

    small, large = noise("sgd batch=32"), noise("sgd batch=256")
    # Measured: batch=32 0.21, batch=256 0.05 (the minibatch scene's caption quotes them).
    assert small > large > 0, f"mean distance from gd: batch=32 {small}, batch=256 {large}"
    assert small > 2 * large, f"mean distance from gd: batch=32 {small}, batch=256 {large}"


def test_a_window_override_leaves_the_preset_uncomputed(monkeypatch):
    # dataclasses.replace reads every field, the lazy preset included: Surface.replace
    # and the scene's window override do not
    import surfaces
    from visualizer.scene.scene import Scene

    calls = []
    real = surfaces.ravine_best_lrs
    monkeypatch.setattr(surfaces, "ravine_best_lrs", lambda k: calls.append(k) or real(k))
    moved = get_surface("ravine:kappa=37").replace(window=(-5.0, 5.0, -3.0, 3.0))
    assert calls == [] and moved.window == (-5.0, 5.0, -3.0, 3.0)
    scene = Scene(surface="ravine:kappa=37", window=(-5.0, 5.0, -3.0, 3.0), optimizers=("gd",))
    assert scene.build_surface().window == (-5.0, 5.0, -3.0, 3.0) and calls == []
    assert moved.preset.steps == 120 and calls == [37.0]  # computed when read
