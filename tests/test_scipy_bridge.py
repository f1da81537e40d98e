"""Tests for visualizer/maths/scipy_bridge.py: scipy.optimize.minimize methods as runs.

The trajectories must be scipy's own: each test calls ``minimize`` with the same
function, gradient, Hessian, start and options, and compares iterate by iterate.
Skipped, with the reason, without scipy (``lossviz[scipy]``; CI installs it).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from surfaces import get_surface
from surfaces.errors import SpecError
from visualizer.frontends import cli
from visualizer.maths import scipy_bridge
from visualizer.maths.recorder import record
from visualizer.maths.specs import parse_optimizer

optimize = pytest.importorskip("scipy.optimize", reason="scipy (lossviz[scipy]) is not installed")

START = (-1.5, 2.5)
STEPS = 60


def scipy_itself(method: str, surface_name: str, options: dict, steps: int = STEPS):
    """The iterates, the result and the calls of ``scipy.optimize.minimize`` called directly."""
    surface = get_surface(surface_name)
    xs = [np.array(START)]
    calls = {"fun": 0, "jac": 0, "hess": 0}

    def counted(name, function):
        def call(p):
            calls[name] += 1
            return function(p)

        return call

    arguments = scipy_bridge.minimize_arguments(method, surface)
    result = optimize.minimize(
        x0=np.array(START),
        method=method,
        callback=lambda intermediate_result: xs.append(np.array(intermediate_result.x)),
        options={"maxiter": steps, **options},
        **{k: counted(k, v) for k, v in arguments.items()},
    )
    result.calls = (calls["fun"], calls["jac"], calls["hess"])
    return np.array(xs), result


CASES = [("rosenbrock", method) for method in scipy_bridge.METHODS] + [
    ("himmelblau", method) for method in ("Nelder-Mead", "BFGS", "Newton-CG", "trust-ncg")
]


@pytest.mark.parametrize(("surface_name", "method"), CASES)
def test_each_step_is_the_iterate_scipy_passed_to_its_callback(method, surface_name):
    options = {"gtol": 1e-8} if method == "BFGS" else {}
    text = f"scipy:{method}" + (":gtol=1e-8" if options else "")
    rec = record(get_surface(surface_name), [text], start=START, steps=STEPS)
    (run,) = rec.runs
    xs, result = scipy_itself(method, surface_name, options)
    k = len(xs) - 1
    assert run.diverged_at is None
    np.testing.assert_allclose(run.positions[: k + 1], xs, rtol=1e-9, atol=0)
    assert np.all(run.positions[k:] == xs[-1])  # stopped: stays at its last iterate
    assert run.stopped_at == (k if k < STEPS else None)
    # the counts are the calls scipy made (its nfev, njev; its nhev can miss the
    # Hessian the trust-region methods evaluate for the result)
    assert tuple(run.evaluations[-1]) == result.calls
    assert result.calls[:2] == (result.nfev, result.get("njev", 0))
    assert result.calls[2] - result.get("nhev", 0) in (0, 1)
    assert np.all(np.diff(run.evaluations, axis=0) >= 0)


def test_bfgs_with_options_and_few_steps():
    rec = record(get_surface("rosenbrock"), ["scipy:BFGS:gtol=1e-8"], start=START, steps=5)
    xs, _ = scipy_itself("BFGS", "rosenbrock", {"gtol": 1e-8}, steps=5)
    np.testing.assert_allclose(rec.runs[0].positions, xs, rtol=1e-9, atol=0)
    assert rec.runs[0].stopped_at is None


def test_nelder_mead_keeps_scipys_simplex_at_every_iteration():
    rec = record(get_surface("himmelblau"), ["scipy:Nelder-Mead"], start=START, steps=40)
    run = rec.runs[0]
    assert run.simplices is not None and run.simplices.shape == (41, 3, 2)
    assert not np.isnan(run.simplices).any()
    np.testing.assert_array_equal(run.simplices[1:, 0], run.positions[1:])  # best vertex first
    f = get_surface("himmelblau").f
    values = f(np.moveaxis(run.simplices, -1, 0))  # (41, 3): sorted, best first
    assert np.all(np.diff(values, axis=1) >= 0)
    # scipy's default start simplex: 5% along each coordinate
    np.testing.assert_allclose(run.simplices[0][np.argsort(values[0])], run.simplices[0])
    corners = sorted(map(tuple, run.simplices[0].round(12)))
    assert corners == [(-1.575, 2.5), (-1.5, 2.5), (-1.5, 2.625)]
    # the last simplex is the final_simplex scipy itself returns
    _, result = scipy_itself("Nelder-Mead", "himmelblau", {}, steps=40)
    np.testing.assert_array_equal(run.simplices[run.stopped_at or -1], result.final_simplex[0])


def test_spec_syntax_keys_and_errors():
    spec = parse_optimizer("scipy:bfgs:gtol=1e-8,label=quasi-Newton")
    assert spec.name == "scipy:BFGS" and spec.hyper == {"gtol": 1e-8}
    assert spec.text() == "scipy:BFGS:gtol=1e-08,label=quasi-Newton"
    assert parse_optimizer(spec.text()).hyper == spec.hyper
    for text, words in [
        ("scipy:bgfs", ["unknown scipy method 'bgfs'", "did you mean 'BFGS'"]),
        ("scipy:BFGS:gtl=1", ["unknown key 'gtl'", "did you mean 'gtol'"]),
        ("scipy:CG:noise=1", ["no noise= or batch="]),
        ("scipy:CG:schedule=cosine", ["no learning-rate schedule"]),
        ("scipy:BFGS:gtol=abc", ["scipy:BFGS:"]),
        ("scipy:L-BFGS-B:disp=true", ["unknown key 'disp'"]),  # it would print into trace
    ]:
        with pytest.raises(SpecError) as info:
            parse_optimizer(text)
        message = str(info.value)
        assert "\n" not in message and all(w in message for w in words), message


def test_a_missing_scipy_is_one_line_naming_the_extra(monkeypatch, capsys):
    real = importlib.import_module

    def refuse(name: str, *args: object):
        if name == "scipy":
            raise ImportError("No module named 'scipy'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", refuse)
    assert cli.main(["trace", "-s", "bowl", "-O", "scipy:BFGS", "--steps", "3"]) == 2
    err = capsys.readouterr().err
    assert err == "lossviz: error: scipy:BFGS needs scipy: pip install 'lossviz[scipy]'\n"


def test_scipy_is_refused_on_a_network_and_left_alone_by_tune():
    with pytest.raises(SpecError, match="not available on mlp"):
        record(get_surface("mlp:samples=8,hidden=2,grid=10"), ["scipy:BFGS"], steps=2)
    from visualizer.maths.tune import tune

    (spec,) = tune(get_surface("bowl"), [parse_optimizer("scipy:CG")], steps=5)
    assert not spec.tuned
