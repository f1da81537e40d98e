"""Checks of the torch and optax bridges, run in a process of their own by test_bridges.py.

Importing torch (which imports jax's modules when jax is installed) or jax starts
threads, and a process with threads must not fork; the render tests fork. So
these checks run in a child process, one per library: ``python bridge_checks.py
torch`` prints ``{check name: "ok" or the failure}`` as JSON. Each check is a
plain function that raises ``AssertionError``.
"""

from __future__ import annotations

import io
import json
import sys
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout

import numpy as np

from surfaces import SpecError, get_surface
from visualizer.frontends import cli
from visualizer.maths.recorder import record
from visualizer.maths.schedules import parse_schedule
from visualizer.maths.specs import parse_optimizer

STEPS = 100
CHECKS: dict[str, list[Callable[[], None]]] = {"torch": [], "optax": []}


def check(library: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(function: Callable[[], None]) -> Callable[[], None]:
        CHECKS[library].append(function)
        return function

    return register


def gap(surface: str, a: str, b: str, steps: int = STEPS) -> float:
    """Largest coordinate gap between two runs, each recorded alone (so with the same rng)."""
    (ra,) = record(get_surface(surface), [a], steps=steps).runs
    (rb,) = record(get_surface(surface), [b], steps=steps).runs
    assert ra.diverged_at is None and rb.diverged_at is None
    return float(np.max(np.abs(ra.positions - rb.positions)))


def refused(text: str, *words: str) -> None:
    try:
        parse_optimizer(text)
    except SpecError as exc:
        message = str(exc)
        assert "\n" not in message and all(w in message for w in words), message
    else:
        raise AssertionError(f"{text} was accepted")


# --- torch ---------------------------------------------------------------------------


@check("torch")
def torch_sgd_with_momentum_is_the_heavy_ball() -> None:
    for surface, lr in (("ravine", 0.004), ("rosenbrock", 0.0004)):
        g = gap(surface, f"momentum:lr={lr},beta=0.9", f"torch:SGD:lr={lr},momentum=0.9")
        assert g <= 1e-9, (surface, g)


@check("torch")
def torch_adam_is_the_builtin_adam() -> None:
    for surface in ("rosenbrock", "himmelblau"):
        g = gap(surface, "adam:lr=0.05", "torch:Adam:lr=0.05")
        assert g <= 1e-9, (surface, g)


@check("torch")
def torch_takes_schedules_and_real_minibatches() -> None:
    scheduled = ",schedule=step,gamma=0.5,every=20"
    g = gap("rosenbrock", "adam:lr=0.05" + scheduled, "torch:Adam:lr=0.05" + scheduled)
    assert g <= 1e-9, g
    g = gap(
        "regression:samples=256",
        "momentum:lr=0.1,beta=0.9,batch=16",  # the same batches for the same seed
        "torch:SGD:lr=0.1,momentum=0.9,batch=16",
        steps=40,
    )
    assert g <= 1e-9, g


@check("torch")
def schedule_factors_are_torch_lr_schedulers() -> None:
    import torch

    sched, steps = torch.optim.lr_scheduler, 12

    def lrs(make: Callable[..., object]) -> list[float]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        scheduler = make(opt)
        out = []
        for _ in range(steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()  # type: ignore[attr-defined]
        return out

    def ours(**raw: str) -> np.ndarray:
        return parse_schedule(raw, owner="gd").factors(steps)[:steps]

    np.testing.assert_allclose(
        ours(schedule="exponential", gamma="0.8"), lrs(lambda o: sched.ExponentialLR(o, 0.8))
    )
    np.testing.assert_allclose(
        ours(schedule="step", gamma="0.5", every="3"), lrs(lambda o: sched.StepLR(o, 3, 0.5))
    )
    np.testing.assert_allclose(
        ours(schedule="cosine"), lrs(lambda o: sched.CosineAnnealingLR(o, steps)), atol=1e-12
    )
    # warmup=W: torch's LinearLR from 1/W to 1 over W - 1 steps, chained with the schedule
    np.testing.assert_allclose(
        ours(warmup="4"), lrs(lambda o: sched.LinearLR(o, 1 / 4, 1.0, 3)), atol=1e-12
    )
    warm_step = ours(schedule="step", gamma="0.5", every="3", warmup="5")
    chained = lrs(
        lambda o: sched.ChainedScheduler(
            [sched.LinearLR(o, 1 / 5, 1.0, 4), sched.StepLR(o, 3, 0.5)]
        )
    )
    np.testing.assert_allclose(warm_step, chained, atol=1e-12)


@check("torch")
def torch_values_keys_and_labels() -> None:
    spec = parse_optimizer("torch:Adam:lr=0.1,betas=(0.8,0.99),amsgrad=true,label=mine")
    assert spec.hyper["betas"] == (0.8, 0.99) and spec.hyper["amsgrad"] is True
    assert parse_optimizer(spec.text()) == spec
    assert spec.hyper_text() == "lr=0.1 betas=(0.8,0.99) amsgrad=true", spec.hyper_text()
    assert parse_optimizer("torch:SGD").hyper["lr"] == 0.001  # torch's default, shown


@check("torch")
def bad_torch_specs_are_one_line_errors() -> None:
    refused("torch:SDG:lr=0.1", "unknown torch optimizer 'SDG'", "mean 'SGD'")
    refused("torch:SGD:lr=0.1,momentun=0.9", "torch:SGD", "'momentun'", "mean 'momentum'")
    refused("torch:SGD:lr=-1", "torch:SGD", "learning rate")
    refused("torch:LBFGS:lr=0.1", "torch:LBFGS", "closure")


@check("torch")
def the_cli_runs_a_torch_optimizer() -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["trace", "-s", "ravine", "-O", "torch:SGD:lr=0.004,momentum=0.9", "--steps", "5"]
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(argv)
    assert code == 0, err.getvalue()
    rows = out.getvalue().splitlines()
    assert rows[1].startswith("torch:SGD,0,") and len(rows) == 1 + 6, rows


# --- optax ---------------------------------------------------------------------------


@check("optax")
def optax_adam_is_the_builtin_adam() -> None:
    for surface in ("rosenbrock", "himmelblau"):
        g = gap(surface, "adam:lr=0.05", "optax:adam:learning_rate=0.05")
        assert g <= 1e-9, (surface, g)


@check("optax")
def optax_takes_schedules_and_real_minibatches() -> None:
    g = gap(
        "ravine",
        "adam:lr=0.1,schedule=cosine,warmup=5",
        "optax:adam:learning_rate=0.1,schedule=cosine,warmup=5",
    )
    assert g <= 1e-9, g
    s = get_surface("regression:samples=256")
    mini = record(s, ["optax:sgd:learning_rate=0.3,batch=8"], steps=20).runs[0]
    full = record(s, ["optax:sgd:learning_rate=0.3"], steps=20).runs[0]
    assert not np.array_equal(mini.positions, full.positions)
    assert full.lrs is not None and full.lrs[0] == 0.3


@check("optax")
def bad_optax_specs_are_one_line_errors() -> None:
    refused("optax:adamm:learning_rate=0.1", "'adamm'", "'adam'")
    refused("optax:adam", "optax:adam", "learning_rate is required")
    refused("optax:adam:learning_rate=0.1,b3=1", "'b3'", "b1")


def main(library: str) -> int:
    results = {}
    for function in CHECKS[library]:
        try:
            function()
            results[function.__name__] = "ok"
        except Exception:
            results[function.__name__] = traceback.format_exc(limit=-3)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
