"""Tests for visualizer/tune.py: the --tune search is the documented rule, and fair."""

from __future__ import annotations

import numpy as np
import pytest

from surfaces import get_surface
from visualizer.maths.optimizers import sign_sgd
from visualizer.maths.specs import from_optimizer, parse_optimizer
from visualizer.maths.tune import GRID, final_loss, final_losses, tune

#: Four times finer than the search's grid, over the same range.
FINE = 10.0 ** (np.arange(-6 * 96, 96 + 1) / 96.0)


def test_the_grid_is_24_rates_per_decade_to_two_digits():
    assert GRID.size == 169 and GRID[0] == 1e-6 and GRID[-1] == 10.0
    assert list(GRID[72:80]) == [0.001, 0.0011, 0.0012, 0.0013, 0.0015, 0.0016, 0.0018, 0.002]
    assert all(float(f"{v:.2g}") == v for v in GRID)


@pytest.mark.parametrize(
    "text", ["gd", "sgd:noise=5", "nesterov", "adam", "rmsprop:schedule=cosine"]
)
def test_all_candidates_at_once_are_each_candidate_alone(text):
    s, spec = get_surface("rosenbrock"), parse_optimizer(text)
    lrs = GRID[::9]
    where = {"start": s.start, "steps": 80, "seed": 3, "index": 1}
    together = final_losses(s, spec, lrs, **where)
    alone = [final_loss(s, spec.with_lr(float(lr)), **where) for lr in lrs]
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    assert np.isfinite(together).any()
    if text == "gd":  # large rates diverge: both ways say so
        assert np.isinf(together).any()


@pytest.mark.parametrize(
    ("surface", "names", "steps"),
    [
        ("ravine", ["gd", "sgd", "momentum"], 120),
        ("rosenbrock", ["gd", "momentum", "nesterov", "adagrad"], 500),
        ("himmelblau", ["gd", "momentum", "adam"], 150),
    ],
)
def test_the_chosen_rate_is_within_1_5_of_the_best_on_a_finer_grid(surface, names, steps):
    s = get_surface(surface)
    tuned = tune(s, [parse_optimizer(n) for n in names], steps=steps)
    for index, (name, spec) in enumerate(zip(names, tuned, strict=True)):
        assert spec.tuned and spec.given >= {"lr"}
        where = {"start": s.start, "steps": steps, "seed": 0, "index": index}
        losses = final_losses(s, parse_optimizer(name), FINE, **where)
        best = FINE[int(np.argmin(losses))]
        assert 1 / 1.5 <= spec.hyper["lr"] / best <= 1.5, (name, spec.hyper["lr"], best)


def test_tuning_is_deterministic_and_reproducible_from_the_spec_text():
    s = get_surface("ravine")
    a = tune(s, [parse_optimizer("gd"), parse_optimizer("sgd:noise=2")], steps=60, seed=4)
    b = tune(s, [parse_optimizer("gd"), parse_optimizer("sgd:noise=2")], steps=60, seed=4)
    assert a == b
    assert [parse_optimizer(spec.text()).hyper for spec in a] == [spec.hyper for spec in a]


def test_a_users_object_runs_as_it_is_and_hopeless_runs_keep_their_rate():
    mine = from_optimizer(sign_sgd(lr=0.05))
    assert tune(get_surface("bowl"), [mine], steps=10) == [mine]
    # no candidate qualifies (here the loss is nan at the start): the spec is unchanged
    hopeless = parse_optimizer("gd:lr=0.1")
    assert tune(get_surface("sqrt(x) + y**2"), [hopeless], steps=10) == [hopeless]


def test_trace_says_the_tuned_rates_and_its_spec_column_reproduces_the_runs(capsys):
    import csv
    import io
    import shlex

    from helpers import run_main

    argv = ["trace", "-s", "ravine:kappa=50", "-O", "gd", "-O", "momentum:schedule=cosine"]
    code, out, err = run_main(capsys, *argv, "--tune", "--steps", "60", "--seed", "2")
    assert code == 0
    assert err.startswith("lossviz: note: --tune chose gd lr=0.0")  # and momentum's
    assert ", momentum lr=0.0" in err.splitlines()[0]
    rows = list(csv.DictReader(io.StringIO(out)))
    firsts = [r for r in rows if r["step"] == "0"]
    assert [r["optimizer"] for r in firsts] == ["gd", "momentum"]
    # two runs of one optimizer: their labels hold the rate, which the note says once
    code, _, err = run_main(capsys, "trace", "-s", "regression", "--tune", "--steps", "20")
    assert code == 0
    note = err.splitlines()[0]
    for label in ("sgd lr=", "batch=256", "batch=32"):
        assert label in note, note
    entries = note.split("--tune chose ", 1)[1].split(", ")
    assert [e.count("lr=") for e in entries] == [1, 1, 1], note  # not "sgd lr=a batch=256 lr=a"
    again = ["trace"]
    for r in firsts:
        words = shlex.split(r["spec"])
        assert words[0] == "-O" and "lr=" in words[1]
        again += words[:2]
    again += shlex.split(firsts[0]["spec"])[2:]  # the scene: -s ... --start ... --seed 2
    assert "--seed" in again and "2" in again
    code, out_again, _ = run_main(capsys, *again)
    assert code == 0
    cut = [{k: v for k, v in r.items()} for r in csv.DictReader(io.StringIO(out_again))]
    assert cut == rows  # the same numbers, and the same spec column (no --tune needed)


def test_tune_is_refused_on_a_network_surface(capsys):
    from helpers import run_main

    code, out, err = run_main(capsys, "trace", "-s", "mlp", "--tune", "--steps", "3")
    assert code == 2 and out == ""
    assert err == "lossviz: error: --tune is not available on mlp (a network's surface)\n"
