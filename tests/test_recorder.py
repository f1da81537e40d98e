"""Tests for visualizer/recorder.py: determinism, gradient oracles, minibatches, divergence."""

from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np
import pytest

from surfaces import Dataset, SpecError, get_surface
from visualizer.frontends import cli
from visualizer.maths.recorder import Recording, record
from visualizer.maths.specs import parse_optimizer


def specs(*texts: str):
    return [parse_optimizer(t) for t in texts]


def assert_recordings_equal(a: Recording, b: Recording) -> None:
    assert len(a.runs) == len(b.runs)
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert ra.label == rb.label
        assert ra.diverged_at == rb.diverged_at
        np.testing.assert_array_equal(ra.positions, rb.positions)
        np.testing.assert_array_equal(ra.losses, rb.losses)
        np.testing.assert_array_equal(ra.gradients, rb.gradients)
        if ra.velocities is None:
            assert rb.velocities is None
        else:
            np.testing.assert_array_equal(ra.velocities, rb.velocities)


# --- determinism and seeds -----------------------------------------------------------


@pytest.mark.parametrize(
    ("surface", "texts"),
    [
        ("ravine", ("gd:lr=0.01", "sgd:lr=0.01,noise=2", "momentum:lr=0.004", "adam:lr=0.1")),
        ("regression", ("gd:lr=0.3", "sgd:lr=0.3,batch=32", "sgd:lr=0.3,batch=7")),
    ],
)
def test_same_inputs_and_seed_give_identical_arrays(surface, texts):
    s = get_surface(surface)
    a = record(s, specs(*texts), steps=40, seed=7)
    b = record(get_surface(surface), specs(*texts), steps=40, seed=7)
    assert_recordings_equal(a, b)


@pytest.mark.parametrize(
    ("surface", "sgd"), [("ravine", "sgd:lr=0.01,noise=2"), ("regression", "sgd:lr=0.3,batch=32")]
)
def test_different_seed_changes_sgd_but_not_gd(surface, sgd):
    s = get_surface(surface)
    a = record(s, specs("gd:lr=0.01", sgd), steps=30, seed=0)
    b = record(s, specs("gd:lr=0.01", sgd), steps=30, seed=1)
    np.testing.assert_array_equal(a.runs[0].positions, b.runs[0].positions)
    assert not np.allclose(a.runs[1].positions[1:], b.runs[1].positions[1:])
    np.testing.assert_array_equal(a.runs[1].positions[0], b.runs[1].positions[0])


def test_runs_do_not_share_randomness():
    s = get_surface("bowl")
    rec = record(s, specs("sgd:lr=0.1", "sgd:lr=0.1"), steps=10, seed=0)
    assert not np.allclose(rec.runs[0].positions[1:], rec.runs[1].positions[1:])


def test_sgd_without_noise_equals_gd_exactly_on_analytic_surfaces():
    for name in ("ravine", "saddle", "rosenbrock"):
        s = get_surface(name)
        rec = record(s, specs("gd:lr=0.001", "sgd:lr=0.001,noise=0"), steps=50, seed=3)
        np.testing.assert_array_equal(rec.runs[0].positions, rec.runs[1].positions)
        np.testing.assert_array_equal(rec.runs[0].losses, rec.runs[1].losses)


def test_full_batch_sgd_equals_gd_on_regression():
    s = get_surface("regression")
    assert s.dataset is not None and s.dataset.n_samples == 1024
    rec = record(s, specs("gd:lr=0.3", "sgd:lr=0.3,batch=1024"), steps=60, seed=0)
    gd, sgd = rec.runs
    np.testing.assert_allclose(sgd.positions, gd.positions, rtol=1e-12, atol=1e-14)


def test_sgd_on_analytic_surface_is_gradient_plus_seeded_noise():
    s = get_surface("bowl")
    rec = record(s, specs("sgd:lr=0.1,noise=0.5"), start=(1.0, 2.0), steps=5, seed=4)
    rng = np.random.default_rng([4, 0])
    p = np.array([1.0, 2.0])
    for t in range(1, 6):
        p = p - 0.1 * (s.grad(p) + 0.5 * rng.standard_normal(2))
        np.testing.assert_allclose(rec.runs[0].positions[t], p, rtol=1e-12, atol=1e-15)


# --- minibatches: without replacement within an epoch ------------------------------------


def recording_surface(batch_calls: list[np.ndarray]):
    s = get_surface("regression:samples=100")
    assert s.dataset is not None
    inner = s.dataset.batch_grad

    def batch_grad(params, indices):
        batch_calls.append(np.array(indices, copy=True))
        return inner(params, indices)

    dataset = Dataset(n_samples=s.dataset.n_samples, batch_grad=batch_grad)
    return dataclasses.replace(s, dataset=dataset)


@pytest.mark.parametrize("batch", [1, 10, 32, 100])
def test_minibatches_cover_every_sample_once_per_epoch(batch):
    calls: list[np.ndarray] = []
    s = recording_surface(calls)
    n = 100
    epochs = 3
    steps = epochs * n // batch
    record(s, specs(f"sgd:lr=0.1,batch={batch}"), steps=steps, seed=2)
    assert len(calls) == steps
    assert all(c.size == batch for c in calls)
    per_epoch = n // batch
    for e in range(epochs if n % batch == 0 else 1):
        epoch = np.concatenate(calls[e * per_epoch : (e + 1) * per_epoch])
        assert len(set(epoch.tolist())) == epoch.size, f"repeated sample in epoch {e}"
        if n % batch == 0:
            np.testing.assert_array_equal(np.sort(epoch), np.arange(n))
    if per_epoch > 1:
        # Shuffled, not sequential.
        assert not np.array_equal(np.concatenate(calls[:per_epoch]), np.arange(per_epoch * batch))


def test_minibatch_indices_are_in_range():
    calls: list[np.ndarray] = []
    record(recording_surface(calls), specs("sgd:lr=0.1,batch=30"), steps=20, seed=0)
    for c in calls:
        assert c.min() >= 0 and c.max() < 100
    # First 3 batches (90 samples) come from one permutation: no repeats among them.
    first = np.concatenate(calls[:3])
    assert len(set(first.tolist())) == 90


def test_a_minibatch_never_holds_the_same_sample_twice():
    """N=100, batch=30: the 4th batch straddles two epochs and must still be distinct samples."""
    calls: list[np.ndarray] = []
    record(recording_surface(calls), specs("sgd:lr=0.1,batch=30"), steps=20, seed=0)
    for step, c in enumerate(calls, start=1):
        repeated = sorted({int(i) for i in c if np.sum(c == i) > 1})
        assert not repeated, f"step {step}: batch repeats samples {repeated}"


def test_batch_larger_than_dataset_is_an_error():
    with pytest.raises(SpecError, match="batch"):
        record(get_surface("regression:samples=100"), specs("sgd:batch=101"), steps=3)


def test_batch_on_analytic_surface_and_noise_on_data_surface_are_errors():
    with pytest.raises(SpecError, match="batch"):
        record(get_surface("bowl"), specs("sgd:batch=8"), steps=3)
    with pytest.raises(SpecError, match="noise"):
        record(get_surface("regression"), specs("sgd:noise=1"), steps=3)


# --- divergence -----------------------------------------------------------------------


def test_diverged_run_is_marked_and_others_finish():
    s = get_surface("bowl")
    rec = record(s, specs("gd:lr=10", "momentum:lr=0.1", "gd:lr=0.1"), steps=40)
    bad, mom, good = rec.runs
    assert bad.diverged_at is not None and 1 <= bad.diverged_at <= 40
    k = bad.diverged_at
    assert bad.last_step == k - 1
    assert np.all(np.isfinite(bad.positions[:k])) and np.all(np.isfinite(bad.losses[:k]))
    assert np.all(np.isnan(bad.positions[k:])) and np.all(np.isnan(bad.losses[k:]))
    assert np.all(np.isnan(bad.gradients[k:]))
    for run in (mom, good):
        assert run.diverged_at is None
        assert run.last_step == 40
        assert np.all(np.isfinite(run.positions)) and np.all(np.isfinite(run.losses))
    assert mom.velocities is not None and np.all(np.isfinite(mom.velocities))


def test_divergence_by_overflow_to_non_finite_values():
    s = get_surface("rosenbrock")
    rec = record(s, specs("gd:lr=1", "adam:lr=0.01"), steps=30)
    assert rec.runs[0].diverged_at is not None
    assert rec.runs[1].diverged_at is None


def test_a_run_inside_the_grown_window_is_not_diverged():
    s = get_surface("bowl")
    # lr=1.9 oscillates with factor -0.9: stays bounded.
    rec = record(s, specs("gd:lr=1.9"), steps=50)
    assert rec.runs[0].diverged_at is None


# --- shapes and contents -----------------------------------------------------------------


def test_shapes_velocities_and_losses():
    s = get_surface("ravine")
    steps = 25
    rec = record(
        s, specs("gd:lr=0.01", "momentum:lr=0.004", "nesterov:lr=0.004", "adam"), steps=steps
    )
    assert rec.steps == steps and rec.start == s.start and rec.seed == 0
    assert [r.label for r in rec.runs] == ["gd", "momentum", "nesterov", "adam"]
    for run in rec.runs:
        assert run.positions.shape == (steps + 1, 2)
        assert run.losses.shape == (steps + 1,)
        assert run.gradients.shape == (steps + 1, 2)
        np.testing.assert_array_equal(run.positions[0], s.start)
        np.testing.assert_allclose(run.losses, s.f(run.positions.T), rtol=1e-14)
        np.testing.assert_allclose(run.gradients, s.grad(run.positions.T).T, rtol=1e-14)
    gd, mom, nes, adam = rec.runs
    assert gd.velocities is None and adam.velocities is None
    for run in (mom, nes):
        assert run.velocities is not None and run.velocities.shape == (steps + 1, 2)
        np.testing.assert_array_equal(run.velocities[0], [0.0, 0.0])
        # θ_t = θ_{t-1} − v_t
        np.testing.assert_allclose(
            run.positions[1:], run.positions[:-1] - run.velocities[1:], rtol=1e-12, atol=1e-15
        )


def test_start_and_steps_default_to_the_surface():
    s = get_surface("saddle")
    rec = record(s, specs("gd"))
    assert rec.start == s.start and rec.steps == s.preset.steps
    assert rec.runs[0].positions.shape == (s.preset.steps + 1, 2)


@pytest.mark.parametrize(
    ("kwargs", "word"), [({"steps": 0}, "steps"), ({"seed": -1}, "seed"), ({}, "optimizers")]
)
def test_record_rejects_bad_arguments(kwargs, word):
    optimizers = [] if word == "optimizers" else specs("gd")
    with pytest.raises(SpecError, match=word):
        record(get_surface("bowl"), optimizers, **kwargs)


# --- the doc example, through the CLI, against the recurrence ------------------------------

EXPR = "x**2 + 10*y**2"


def expr_grad(p: np.ndarray) -> np.ndarray:
    return np.array([2 * p[0], 20 * p[1]])


def trace_rows(capsys, argv: list[str]) -> dict[str, np.ndarray]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    out: dict[str, list[list[float]]] = {}
    for row in rows:
        out.setdefault(row["optimizer"], []).append(
            [float(row["step"]), float(row["x"]), float(row["y"]), float(row["loss"])]
        )
    return {k: np.array(v) for k, v in out.items()}


def hand_path(name: str, hyper: dict[str, float], start, steps: int) -> np.ndarray:
    p = np.array(start, dtype=float)
    v = np.zeros(2)  # velocity / first moment
    s = np.zeros(2)  # squared-gradient accumulator / second moment
    out = [p.copy()]
    for t in range(1, steps + 1):
        if name == "gd":
            p = p - hyper["lr"] * expr_grad(p)
        elif name == "momentum":
            v = hyper["beta"] * v + hyper["lr"] * expr_grad(p)
            p = p - v
        elif name == "nesterov":
            v = hyper["beta"] * v + hyper["lr"] * expr_grad(p - hyper["beta"] * v)
            p = p - v
        elif name == "adagrad":
            g = expr_grad(p)
            s = s + g**2
            p = p - hyper["lr"] * g / (np.sqrt(s) + hyper["eps"])
        elif name == "rmsprop":
            g = expr_grad(p)
            s = hyper["rho"] * s + (1 - hyper["rho"]) * g**2
            p = p - hyper["lr"] * g / (np.sqrt(s) + hyper["eps"])
        elif name == "adam":
            g = expr_grad(p)
            v = hyper["beta1"] * v + (1 - hyper["beta1"]) * g
            s = hyper["beta2"] * s + (1 - hyper["beta2"]) * g**2
            v_hat = v / (1 - hyper["beta1"] ** t)
            s_hat = s / (1 - hyper["beta2"] ** t)
            p = p - hyper["lr"] * v_hat / (np.sqrt(s_hat) + hyper["eps"])
        out.append(p.copy())
    return np.array(out)


def check_against_hand(table: np.ndarray, expected: np.ndarray, steps: int) -> None:
    np.testing.assert_array_equal(table[:, 0], np.arange(steps + 1))
    np.testing.assert_allclose(table[:, 1:3], expected, rtol=1e-9, atol=1e-9)
    loss = expected[:, 0] ** 2 + 10 * expected[:, 1] ** 2
    np.testing.assert_allclose(table[:, 3], loss, rtol=1e-9, atol=1e-9)


def test_doc_example_momentum_trace_matches_the_recurrence(capsys):
    argv = ["trace", "-s", EXPR, "-O", "momentum:lr=0.01,beta=0.9", "--start=3,2", "--steps", "50"]
    tables = trace_rows(capsys, argv)
    assert list(tables) == ["momentum"]
    expected = hand_path("momentum", {"lr": 0.01, "beta": 0.9}, (3.0, 2.0), 50)
    check_against_hand(tables["momentum"], expected, 50)


@pytest.mark.parametrize(
    ("spec", "hyper"),
    [
        ("gd:lr=0.04", {"lr": 0.04}),
        ("nesterov:lr=0.01,beta=0.8", {"lr": 0.01, "beta": 0.8}),
        (
            "adam:lr=0.1,beta1=0.85,beta2=0.99,eps=1e-6",
            {"lr": 0.1, "beta1": 0.85, "beta2": 0.99, "eps": 1e-6},
        ),
        ("rmsprop:lr=0.05,rho=0.8,eps=1e-6", {"lr": 0.05, "rho": 0.8, "eps": 1e-6}),
        ("adagrad:lr=0.5,eps=1e-6", {"lr": 0.5, "eps": 1e-6}),
    ],
)
def test_cli_trace_matches_the_recurrence(capsys, spec, hyper):
    name = spec.split(":")[0]
    argv = ["trace", "-s", EXPR, "-O", spec, "--start=3,2", "--steps", "50"]
    tables = trace_rows(capsys, argv)
    assert list(tables) == [name]
    check_against_hand(tables[name], hand_path(name, hyper, (3.0, 2.0), 50), 50)


def test_cli_trace_on_the_bowl_matches_gd_in_closed_form(capsys):
    tables = trace_rows(capsys, ["trace", "-s", "bowl", "-O", "gd:lr=0.25", "--steps", "20"])
    start = np.array(get_surface("bowl").start)
    expected = np.array([start * 0.75**t for t in range(21)])
    np.testing.assert_allclose(tables["gd"][:, 1:3], expected, rtol=1e-12, atol=1e-15)


# --- a user's own optimizer ----------------------------------------------------------


def test_a_users_optimizer_object_races_beside_spec_strings():
    from visualizer.maths.optimizers import Optimizer, sign_sgd

    mine = sign_sgd(lr=0.05)
    rec = record(get_surface("bowl"), ["gd:lr=0.1", mine, mine._replace(label=None)], steps=4)
    assert [r.label for r in rec.runs] == ["gd", "sign-sgd", "custom"]
    assert rec.runs[1].spec.hyper_text() == "lr=0.05"
    np.testing.assert_allclose(
        rec.runs[1].positions[1], np.array(rec.start) + 0.05 * np.array([1, -1])
    )
    assert rec.runs[1].lrs is not None and rec.runs[2].lrs is not None
    plain = Optimizer(mine.init, mine.update)  # no label, no declared lr
    assert record(get_surface("bowl"), [plain], steps=2).runs[0].lrs is None


@pytest.mark.parametrize("bad", [42, ("gd",), Dataset])
def test_anything_else_in_the_optimizers_is_a_one_line_error(bad):
    with pytest.raises(SpecError, match="spec strings or Optimizer"):
        record(get_surface("bowl"), ["gd", bad], steps=2)


def test_any_optimizer_takes_noise_or_real_minibatches():
    s = get_surface("regression:samples=64")
    (exact,) = record(s, ["momentum:lr=0.1"], steps=20).runs
    (mini,) = record(s, ["momentum:lr=0.1,batch=8"], steps=20).runs
    assert not mini.spec.info.stochastic and mini.spec.stochastic
    assert not np.array_equal(exact.positions, mini.positions)
    with pytest.raises(SpecError, match="momentum: batch applies to data surfaces"):
        record(get_surface("bowl"), ["momentum:batch=8"], steps=2)
    (noisy,) = record(get_surface("bowl"), ["adam:lr=0.1,noise=0.5"], steps=5).runs
    (clean,) = record(get_surface("bowl"), ["adam:lr=0.1"], steps=5).runs
    assert not np.array_equal(noisy.positions, clean.positions)


# --- trace's spec column reproduces the figure ---------------------------------------


@pytest.mark.parametrize(
    ("surface", "more"),
    [
        ("himmelblau", ["-O", "gd", "-O", "sgd", "--start", "1,-2"]),  # sgd: noise, not batch
        ("DATA", ["-O", "gd", "-O", "sgd:batch=8"]),  # sgd: batch, not noise; data=FILE kept
        ("mlp:data=circles,hidden=4,samples=40,plane=random", ["-O", "sgd:batch=8"]),
    ],
)
def test_trace_spec_column_runs_again_to_the_same_rows(capsys, tmp_path, surface, more):
    """Every run's spec, then the first run's scene, as ``lossviz trace`` arguments."""
    import shlex

    if surface == "DATA":  # a CSV of the user's, with a header; start read as np.float64
        points = np.c_[np.linspace(-1, 2, 30), 3 * np.linspace(-1, 2, 30) ** 2]
        path = tmp_path / "points.csv"
        np.savetxt(path, points, delimiter=",", header="x,y", comments="")
        surface = f"regression:data={path}"
    argv = ["trace", "-s", surface, *more, "--steps", "12", "--seed", "3"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    firsts = [r for r in csv.DictReader(io.StringIO(out)) if r["step"] == "0"]
    again = ["trace"]
    for r in firsts:
        again += shlex.split(r["spec"])[:2]  # -O SPEC
    again += shlex.split(firsts[0]["spec"])[2:]  # the scene
    assert cli.main(again) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == out


def test_each_run_records_its_evaluations():
    rec = record(
        get_surface("saddle"),
        specs("gd:lr=0.1", "nesterov:lr=0.1", "newton"),
        start=(0.3, 1.0),
        steps=4,
    )
    gd, nesterov, newton = rec.runs
    for run in (gd, nesterov):  # one gradient per step, nothing else
        assert run.evaluations.tolist() == [[0, t, 0] for t in range(5)]
    assert newton.evaluations.tolist() == [[0, t, t] for t in range(5)]
    assert all(run.show_evaluations for run in rec.runs)  # a scene with Newton shows them
    assert newton.readout(3) == "3 ∇f, 3 H" and gd.readout(3) == "3 ∇f"
    plain = record(get_surface("bowl"), specs("gd:lr=0.1"), steps=3).runs[0]
    assert not plain.show_evaluations and plain.readout(2) == ""


def test_newton_on_the_saddle_goes_to_the_saddle():
    rec = record(get_surface("saddle"), specs("newton"), start=(0.3, 1.0), steps=8)
    (run,) = rec.runs
    # x ← x − (x³ − x)/(3x² − 1) = 2x³/(3x² − 1); y ← 0 in one step (the y-curvature is 4)
    x = 0.3
    for t in range(1, 4):  # 0.3, −0.0740, 0.000825, −1.1e-9 (then below rounding)
        x = 2 * x**3 / (3 * x**2 - 1)
        assert run.positions[t, 0] == pytest.approx(x, rel=1e-12)
    assert np.all(run.positions[1:, 1] == 0.0)
    assert np.all(np.abs(run.positions[4:, 0]) < 1e-8)


def test_trace_writes_the_evaluations():
    out = io.StringIO()
    rec = record(get_surface("bowl"), specs("newton", "gd:lr=0.5"), start=(2, 1), steps=2)
    from visualizer.maths.recorder import trace_csv

    out.write(trace_csv(rec))
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["f_evals"], r["grad_evals"], r["hess_evals"]) for r in rows] == [
        ("0", "0", "0"),
        ("0", "1", "1"),
        ("0", "2", "2"),
        ("0", "0", "0"),
        ("0", "1", "0"),
        ("0", "2", "0"),
    ]
    assert float(rows[1]["x"]) == 0.0 and float(rows[1]["y"]) == 0.0  # the bowl's minimum


def test_pace_by_evaluations_holds_iterates_and_moves_a_divergence():
    from visualizer.maths.recorder import by_evaluations, trace_csv

    surface = get_surface("bowl")
    rec = record(surface, specs("newton:lr=0.5", "gd:lr=4"), start=(2, 0), steps=12)
    paced = by_evaluations(rec)
    newton, gd = paced.runs
    # Newton's iterations cost 2 evaluations each: every iterate is shown for two steps
    np.testing.assert_array_equal(newton.positions[::2], rec.runs[0].positions[:7])
    np.testing.assert_array_equal(newton.positions[1::2], rec.runs[0].positions[:6])
    # gd (one gradient per step) is unchanged, its divergence at the same step
    assert gd.diverged_at == rec.runs[1].diverged_at is not None
    np.testing.assert_array_equal(gd.positions, rec.runs[1].positions)
    assert all(run.show_evaluations for run in paced.runs)
    assert "--pace evaluations" in trace_csv(paced).splitlines()[1]
    assert cli.main(["trace", "-s", "bowl", "--pace", "sideways"]) == 2
